"""The scanner hook: the no-op default, and the clamd client against a small fake clamd on loopback
that speaks INSTREAM and finds the EICAR test string. An infected file is refused and not stored."""

from __future__ import annotations

import socketserver
import struct
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import translation
from pytest_django import Settings

from buergerbuero.applications.constants import ScanStatus
from buergerbuero.applications.models import Attachment, Draft
from buergerbuero.applications.scanning import ClamdScanner, NoopScanner, ScannerUnavailable, get_scanner
from buergerbuero.applications.services import ApplicationError
from buergerbuero.applications.services.attachments import store_upload
from buergerbuero.core.models import AuditEntry
from buergerbuero.tenants.models import Municipality
from tests.applications import uploads_files as files
from tests.applications.factories import DraftFactory, online_service

EICAR = rb"X5O!P%@AP[4\PZX54(P^)7CC)7}$EICAR-STANDARD-ANTIVIRUS-TEST-FILE!$H+H*"


class FakeClamd(socketserver.BaseRequestHandler):
    """Reads ``zINSTREAM\\0`` and length-prefixed chunks up to a zero length, answers like clamd."""

    received: list[bytes] = []

    def handle(self) -> None:
        stream = self.request.makefile("rb")
        command = b""
        while not command.endswith(b"\0"):
            command += stream.read(1)
        assert command == b"zINSTREAM\0"
        data = b""
        while True:
            (length,) = struct.unpack("!L", stream.read(4))
            if length == 0:
                break
            data += stream.read(length)
        FakeClamd.received.append(data)
        verdict = b"stream: Eicar-Signature FOUND\0" if EICAR in data else b"stream: OK\0"
        self.request.sendall(verdict)


@pytest.fixture
def clamd_tcp() -> Iterator[str]:
    server = socketserver.ThreadingTCPServer(("127.0.0.1", 0), FakeClamd)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"tcp://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


@pytest.fixture
def clamd_unix(tmp_path: Path) -> Iterator[str]:
    path = tmp_path / "clamd.sock"
    server = socketserver.ThreadingUnixStreamServer(str(path), FakeClamd)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"unix://{path}"
    finally:
        server.shutdown()
        server.server_close()


def test_the_default_scanner_scans_nothing_and_says_so(tmp_path: Path) -> None:
    assert isinstance(get_scanner(), NoopScanner)
    target = tmp_path / "f.pdf"
    target.write_bytes(files.pdf())
    assert get_scanner().scan(target).status == ScanStatus.SKIPPED


@pytest.mark.parametrize("server", ["clamd_tcp", "clamd_unix"])
def test_clamd_gets_the_whole_file_and_its_verdict_is_read(
    request: pytest.FixtureRequest, server: str, tmp_path: Path
) -> None:
    address = request.getfixturevalue(server)
    clean, infected = tmp_path / "clean.pdf", tmp_path / "infected.pdf"
    clean.write_bytes(files.pdf() * 50)  # several chunks
    infected.write_bytes(files.pdf() + EICAR)
    scanner = ClamdScanner(address, timeout=5)

    assert scanner.scan(clean).status == ScanStatus.CLEAN
    assert FakeClamd.received[-1] == clean.read_bytes()
    result = scanner.scan(infected)
    assert (result.status, result.detail) == (ScanStatus.INFECTED, "Eicar-Signature")


def test_clamd_that_is_down_or_answers_nonsense_gives_no_verdict(tmp_path: Path) -> None:
    target = tmp_path / "f.pdf"
    target.write_bytes(files.pdf())
    with pytest.raises(ScannerUnavailable):
        ClamdScanner(f"unix://{tmp_path}/nobody-listens.sock", timeout=1).scan(target)
    with pytest.raises(ScannerUnavailable):
        ClamdScanner.parse_reply("INSTREAM size limit exceeded. ERROR")


@pytest.fixture
def draft(settings: Settings, tmp_path: Path, kreis_scope: None, municipality_a: Municipality) -> Draft:
    settings.PRIVATE_MEDIA_ROOT = tmp_path / "private"
    settings.ATTACHMENT_SCANNER = "buergerbuero.applications.scanning.ClamdScanner"
    _, form = online_service(municipality_a)
    return DraftFactory(form=form, municipality=municipality_a)


def test_an_infected_upload_is_refused_logged_and_not_stored(settings: Settings, clamd_tcp: str, draft: Draft) -> None:
    settings.ATTACHMENT_CLAMD_ADDRESS = clamd_tcp
    clean = store_upload(
        owner=draft.citizen, upload=SimpleUploadedFile("a.pdf", files.pdf()), field="nachweise.ausweis", draft=draft
    )
    assert clean.scan_status == ScanStatus.CLEAN

    with translation.override("en"), pytest.raises(ApplicationError) as caught:
        store_upload(
            owner=draft.citizen,
            upload=SimpleUploadedFile("b.pdf", files.pdf() + EICAR),
            field="nachweise.ausweis",
            draft=draft,
        )
    assert (caught.value.code, caught.value.field) == ("infected", "nachweise.ausweis")
    assert "Eicar-Signature" in caught.value.message
    assert list(Attachment.objects.values_list("pk", flat=True)) == [clean.pk]
    assert [p.name for p in (Path(settings.PRIVATE_MEDIA_ROOT) / "incoming").iterdir()] == []
    assert AuditEntry.objects.filter(action="applications.attachment.reject_infected").count() == 1


def test_an_upload_is_refused_while_the_scanner_is_down(settings: Settings, tmp_path: Path, draft: Draft) -> None:
    settings.ATTACHMENT_CLAMD_ADDRESS = f"unix://{tmp_path}/down.sock"
    with pytest.raises(ApplicationError) as caught:
        store_upload(
            owner=draft.citizen, upload=SimpleUploadedFile("a.pdf", files.pdf()), field="nachweise.ausweis", draft=draft
        )
    assert caught.value.code == "scanner_unavailable"
    assert not Attachment.objects.exists()
