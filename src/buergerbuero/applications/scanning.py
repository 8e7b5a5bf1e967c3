"""The virus scanner hook for uploads.

``settings.ATTACHMENT_SCANNER`` names a class whose instances have ``scan(path) -> ScanResult`` (the
:class:`Scanner` protocol). The default, :class:`NoopScanner`, scans nothing and says so
(``ScanStatus.SKIPPED``). :class:`ClamdScanner` sends the file to a ClamAV daemon with the
``INSTREAM`` command over a unix or TCP socket (``ATTACHMENT_CLAMD_ADDRESS``). A scanner that cannot
give an answer raises :class:`ScannerUnavailable`; the upload is then refused, never stored unscanned.
"""

from __future__ import annotations

import socket
import struct
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol
from urllib.parse import urlsplit

from django.conf import settings
from django.utils.module_loading import import_string

from .constants import ScanStatus

__all__ = ["ClamdScanner", "NoopScanner", "ScanResult", "Scanner", "ScannerUnavailable", "get_scanner"]


@dataclass(frozen=True)
class ScanResult:
    """What the scanner found: ``CLEAN``, ``INFECTED`` (``detail`` names the signature) or ``SKIPPED``."""

    status: ScanStatus
    detail: str = ""


class ScannerUnavailable(Exception):
    """The scanner could not be asked or gave no verdict."""


class Scanner(Protocol):
    def scan(self, path: Path) -> ScanResult: ...


class NoopScanner:
    """No scanner configured: every file is ``SKIPPED``."""

    def scan(self, path: Path) -> ScanResult:
        return ScanResult(ScanStatus.SKIPPED)


class ClamdScanner:
    """Ask clamd (``INSTREAM``) about a file.

    ``address`` is ``unix:///run/clamav/clamd.ctl`` or ``tcp://host:3310`` (default:
    ``settings.ATTACHMENT_CLAMD_ADDRESS``). The file is streamed in chunks; clamd's
    ``StreamMaxLength`` must be at least the upload limit, or it answers with an error.
    """

    chunk_size = 64 * 1024

    def __init__(self, address: str | None = None, *, timeout: float | None = None) -> None:
        self.address = address or str(settings.ATTACHMENT_CLAMD_ADDRESS)
        self.timeout = float(settings.ATTACHMENT_CLAMD_TIMEOUT if timeout is None else timeout)

    def _connect(self) -> socket.socket:
        parts = urlsplit(self.address)
        if parts.scheme == "unix":
            sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            target: str | tuple[str, int] = parts.path
        elif parts.scheme == "tcp" and parts.hostname:
            sock = socket.socket(socket.AF_INET6 if ":" in parts.hostname else socket.AF_INET, socket.SOCK_STREAM)
            target = (parts.hostname, parts.port or 3310)
        else:
            raise ScannerUnavailable(f"clamd address must be unix:///path or tcp://host:port, not {self.address!r}")
        sock.settimeout(self.timeout)
        try:
            sock.connect(target)
        except OSError as exc:
            sock.close()
            raise ScannerUnavailable(f"cannot reach clamd at {self.address}: {exc}") from exc
        return sock

    def scan(self, path: Path) -> ScanResult:
        try:
            with self._connect() as sock, Path(path).open("rb") as stream:
                sock.sendall(b"zINSTREAM\0")
                while chunk := stream.read(self.chunk_size):
                    sock.sendall(struct.pack("!L", len(chunk)) + chunk)
                sock.sendall(struct.pack("!L", 0))
                reply = b""
                while not reply.endswith(b"\0"):
                    data = sock.recv(4096)
                    if not data:
                        break
                    reply += data
        except OSError as exc:
            raise ScannerUnavailable(f"clamd at {self.address} failed: {exc}") from exc
        return self.parse_reply(reply.rstrip(b"\0\n").decode("utf-8", "replace"))

    @staticmethod
    def parse_reply(reply: str) -> ScanResult:
        """``stream: OK`` → clean, ``stream: <signature> FOUND`` → infected, anything else is no verdict."""
        verdict = reply.partition(": ")[2] if ": " in reply else reply
        if verdict == "OK":
            return ScanResult(ScanStatus.CLEAN)
        if verdict.endswith(" FOUND"):
            return ScanResult(ScanStatus.INFECTED, verdict.removesuffix(" FOUND"))
        raise ScannerUnavailable(f"clamd gave no verdict: {reply!r}")


def get_scanner() -> Scanner:
    """An instance of the scanner ``settings.ATTACHMENT_SCANNER`` names."""
    scanner: Scanner = import_string(settings.ATTACHMENT_SCANNER)()
    return scanner
