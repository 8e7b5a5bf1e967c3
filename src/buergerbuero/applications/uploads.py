"""Checks of an uploaded file, from its content alone: size, count, type, and whether it is sound.

The file name and the content type the browser sent are never trusted: the type is detected from the
first bytes (:func:`detect_type`), a PDF must open with pypdf in strict mode and not be encrypted, an
image must pass Pillow's ``verify()`` and load, and must not have more pixels than
``ATTACHMENT_MAX_IMAGE_PIXELS`` (decompression bombs). :func:`check_file` runs them all and returns
the detected type, size and SHA-512; :func:`copy_limited` copies an upload to disk without ever
holding more than one chunk in memory and stops at the size limit.

No ORM here: the services (``services/attachments.py``) decide where files go and who owns them.
"""

from __future__ import annotations

import hashlib
import io
import os
import re
import unicodedata
import warnings
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import IO, Any

from django.conf import settings
from django.utils.formats import number_format
from django.utils.translation import gettext as _
from django.utils.translation import ngettext, pgettext

__all__ = [
    "DEFAULT_ACCEPT",
    "KNOWN_TYPES",
    "CheckedFile",
    "UploadLimits",
    "UploadRejected",
    "check_file",
    "copy_limited",
    "default_limits",
    "describe_types",
    "detect_type",
    "limits_for_field",
    "safe_filename",
    "too_big",
    "too_many",
]

MB = 1024 * 1024
CHUNK = 64 * 1024

#: Types an upload field may accept, with the word the citizen knows them by and their file extension.
KNOWN_TYPES: Mapping[str, tuple[str, str]] = {
    "application/pdf": ("PDF", ".pdf"),
    "image/jpeg": ("JPEG", ".jpg"),
    "image/png": ("PNG", ".png"),
    "image/gif": ("GIF", ".gif"),
    "image/webp": ("WebP", ".webp"),
}
DEFAULT_ACCEPT: tuple[str, ...] = ("application/pdf", "image/jpeg", "image/png")
_IMAGE_FORMATS = {"image/jpeg": "JPEG", "image/png": "PNG", "image/gif": "GIF", "image/webp": "WEBP"}


class UploadRejected(Exception):
    """The file cannot be taken; ``message`` is translated and says why (and what would be accepted)."""

    def __init__(self, message: str, *, code: str) -> None:
        super().__init__(message)
        self.message = message
        self.code = code


@dataclass(frozen=True)
class UploadLimits:
    """What one upload field takes: bytes per file, files in all, and content types."""

    max_bytes: int
    max_files: int
    accept: tuple[str, ...] = DEFAULT_ACCEPT


@dataclass(frozen=True)
class CheckedFile:
    """A file that passed every check: its detected type, size in bytes and SHA-512 (hex)."""

    content_type: str
    size: int
    sha512: str


def default_limits() -> UploadLimits:
    return UploadLimits(
        max_bytes=settings.ATTACHMENT_MAX_MB * MB, max_files=settings.ATTACHMENT_MAX_FILES, accept=DEFAULT_ACCEPT
    )


def limits_for_field(field: Mapping[str, Any] | Any) -> UploadLimits:
    """The limits of a form's ``file`` field (``accept``, ``max_files``, ``max_mb``), never above the settings.

    ``field`` is the field's definition (a mapping) or a parsed ``formdef.FieldSpec``. Types the checks
    do not know are ignored; a field that names none of the known ones gets the default (PDF, JPEG, PNG).
    """

    def attribute(name: str) -> Any:
        return field.get(name) if isinstance(field, Mapping) else getattr(field, name, None)

    cap = default_limits()
    max_mb = attribute("max_mb")
    max_bytes = cap.max_bytes if max_mb is None else min(cap.max_bytes, int(float(max_mb) * MB))
    max_files_value = attribute("max_files")
    max_files = cap.max_files if max_files_value is None else min(cap.max_files, int(max_files_value))
    accept = tuple(dict.fromkeys(t for t in attribute("accept") or () if t in KNOWN_TYPES)) or DEFAULT_ACCEPT
    return UploadLimits(max_bytes=max(max_bytes, 1), max_files=max(max_files, 1), accept=accept)


def detect_type(head: bytes) -> str | None:
    """The content type the first bytes of a file show (at least 12 bytes), or ``None`` if unknown.

    Besides the accepted types, some that are never accepted are recognised, so that the message can
    say what the file is not: ZIP (also Office documents), Windows programs, HEIC photos.
    """
    if head.startswith(b"%PDF-"):
        return "application/pdf"
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return "image/png"
    if head.startswith(b"\xff\xd8\xff"):
        return "image/jpeg"
    if head.startswith((b"GIF87a", b"GIF89a")):
        return "image/gif"
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "image/webp"
    if head[4:8] == b"ftyp" and head[8:12] in {b"heic", b"heix", b"mif1", b"msf1", b"hevc"}:
        return "image/heic"
    if head.startswith((b"PK\x03\x04", b"PK\x05\x06")):
        return "application/zip"
    if head.startswith(b"MZ"):
        return "application/vnd.microsoft.portable-executable"
    return None


def describe_types(types: Iterable[str]) -> str:
    """The accepted types in words: "PDF, JPEG or PNG" (translated)."""
    words = [KNOWN_TYPES[t][0] if t in KNOWN_TYPES else t for t in types]
    if len(words) <= 1:
        return "".join(words)
    return _("%(types)s or %(last)s") % {"types": ", ".join(words[:-1]), "last": words[-1]}


def _megabytes(size: int) -> str:
    value = size / MB
    return number_format(value, 0 if value == int(value) else 1, use_l10n=True)


def too_many(limits: UploadLimits) -> UploadRejected:
    return UploadRejected(
        ngettext(
            "You can upload at most %(count)d file here. Please remove one before adding another.",
            "You can upload at most %(count)d files here. Please remove one before adding another.",
            limits.max_files,
        )
        % {"count": limits.max_files},
        code="too_many",
    )


def too_big(size: int | None, limits: UploadLimits) -> UploadRejected:
    if size is None:
        message = _("The file is larger than the %(max)s MB allowed.") % {"max": _megabytes(limits.max_bytes)}
    else:
        message = _("The file is %(size)s MB; at most %(max)s MB are allowed.") % {
            "size": _megabytes(size),
            "max": _megabytes(limits.max_bytes),
        }
    return UploadRejected(message, code="too_big")


def copy_limited(source: IO[bytes], destination: IO[bytes], limits: UploadLimits) -> tuple[int, str]:
    """Copy ``source`` to ``destination`` in chunks; return (size, SHA-512). Stops past ``limits.max_bytes``."""
    digest = hashlib.sha512()
    size = 0
    while chunk := source.read(CHUNK):
        size += len(chunk)
        if size > limits.max_bytes:
            raise too_big(_total_size(source), limits)
        digest.update(chunk)
        destination.write(chunk)
    return size, digest.hexdigest()


def _total_size(stream: IO[bytes]) -> int | None:
    try:
        return os.fstat(stream.fileno()).st_size
    except (AttributeError, OSError, ValueError):
        pass
    size = getattr(stream, "size", None)
    if isinstance(size, int):
        return size
    try:
        position = stream.tell()
        end = stream.seek(0, os.SEEK_END)
        stream.seek(position)
    except (AttributeError, OSError, ValueError):
        return None
    return end


def check_file(source: Path | str | IO[bytes], limits: UploadLimits, *, already: int) -> CheckedFile:
    """Check one file against ``limits`` when ``already`` files are on the field; raise :class:`UploadRejected`.

    ``source`` is a path or a seekable binary stream (read from its start; left at an unspecified
    position). At most ``limits.max_bytes`` are read, one chunk at a time.
    """
    if already >= limits.max_files:
        raise too_many(limits)
    if isinstance(source, (str, Path)):
        with Path(source).open("rb") as stream:
            return _check_stream(stream, limits)
    source.seek(0)
    return _check_stream(source, limits)


def _check_stream(stream: IO[bytes], limits: UploadLimits) -> CheckedFile:
    size_known = _total_size(stream)
    if size_known is not None and size_known > limits.max_bytes:
        raise too_big(size_known, limits)
    digest = hashlib.sha512()
    head = b""
    size = 0
    while chunk := stream.read(CHUNK):
        if len(head) < 16:
            head += chunk[:16]
        size += len(chunk)
        if size > limits.max_bytes:
            raise too_big(size_known, limits)
        digest.update(chunk)
    if size == 0:
        raise UploadRejected(_("The file is empty. Please choose the file again."), code="empty")
    content_type = detect_type(head)
    if content_type not in limits.accept:
        raise UploadRejected(
            _("This file type cannot be accepted here. Please upload %(types)s.")
            % {"types": describe_types(limits.accept)},
            code="type",
        )
    stream.seek(0)
    if content_type == "application/pdf":
        _check_pdf(stream)
    else:
        _check_image(stream, content_type)
    return CheckedFile(content_type=content_type, size=size, sha512=digest.hexdigest())


def _check_pdf(stream: IO[bytes]) -> None:
    from pypdf import PdfReader
    from pypdf.errors import PyPdfError

    broken = UploadRejected(
        _("The PDF file is damaged or incomplete and cannot be opened. Please save it again and upload it anew."),
        code="pdf_malformed",
    )
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            reader = PdfReader(stream, strict=True)
            if reader.is_encrypted:
                raise UploadRejected(
                    _(
                        "The PDF file is protected by a password or encrypted, so the office could not open it. "
                        "Please upload it without a password."
                    ),
                    code="pdf_encrypted",
                )
            if len(reader.pages) == 0:
                raise broken
            reader.pages[0].mediabox  # noqa: B018 (parsing the first page is the check)
    except UploadRejected:
        raise
    except (PyPdfError, ValueError, KeyError, TypeError, AttributeError, IndexError, OSError, RecursionError) as exc:
        raise broken from exc


def _check_image(stream: IO[bytes], content_type: str) -> None:
    from PIL import Image, UnidentifiedImageError

    max_pixels = int(settings.ATTACHMENT_MAX_IMAGE_PIXELS)
    broken = UploadRejected(
        _("The image file is damaged or incomplete and cannot be opened. Please save it again and upload it anew."),
        code="image_malformed",
    )
    too_large = UploadRejected(
        _("The image is too large: at most %(megapixels)s megapixels are allowed. Please upload a smaller image.")
        % {"megapixels": number_format(max_pixels / 1_000_000, 0, use_l10n=True)},
        code="image_pixels",
    )
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(stream) as image:
                if image.format != _IMAGE_FORMATS[content_type]:
                    raise broken
                width, height = image.size
                if width * height > max_pixels:
                    raise too_large
                image.verify()
            stream.seek(0)
            with Image.open(stream) as image:
                image.load()
        # Pillow's own check is switched off process-wide once WeasyPrint is imported (it sets
        # ImageFile.LOAD_TRUNCATED_IMAGES), so an incomplete file is also recognised by its missing end.
        if not _has_end_marker(stream, content_type):
            raise broken
    except UploadRejected:
        raise
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
        raise too_large from exc
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError, EOFError, MemoryError) as exc:
        raise broken from exc


#: How each image format ends; a file cut off in transfer lacks it (JPEG: EOI, PNG: the IEND chunk, GIF: the trailer).
_END_MARKERS = {"image/jpeg": b"\xff\xd9", "image/png": b"IEND\xaeB`\x82", "image/gif": b"\x3b"}
#: Some cameras and editors append a little data after the end marker; look for it near the end only.
_END_SLACK = 4096


def _has_end_marker(stream: IO[bytes], content_type: str) -> bool:
    """Whether the image ends as its format requires (WebP: the RIFF size covers the whole file)."""
    size = stream.seek(0, io.SEEK_END)
    if content_type == "image/webp":
        stream.seek(4)
        declared = int.from_bytes(stream.read(4), "little")
        stream.seek(0)
        return declared + 8 <= size
    marker = _END_MARKERS.get(content_type)
    if marker is None:
        stream.seek(0)
        return True
    stream.seek(max(0, size - _END_SLACK))
    tail = stream.read()
    stream.seek(0)
    if content_type == "image/gif":  # its one-byte trailer is only meaningful as the very last byte
        return tail.rstrip(b"\x00").endswith(marker)
    return marker in tail


_UNSAFE = re.compile(r'[\x00-\x1f\x7f"\\/:*?<>|]+')


def safe_filename(name: str, content_type: str) -> str:
    """The name to keep and offer for download: no path, no control characters, the extension of the
    detected type (a JPEG called ``scan.pdf`` becomes ``scan.jpg``), at most 120 characters."""
    base = PurePosixPath(unicodedata.normalize("NFC", name.replace("\\", "/"))).name
    stem = _UNSAFE.sub("_", PurePosixPath(base).stem).strip(" ._")
    stem = stem or pgettext("download name of a file that has none", "file")
    extension = KNOWN_TYPES.get(content_type, ("", ""))[1]
    return stem[: 120 - len(extension)] + extension
