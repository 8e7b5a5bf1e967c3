"""The checks of an upload look at the content only: type from the first bytes, size, count, and
whether a PDF or image really opens. No database."""

from __future__ import annotations

import io
from collections.abc import Iterator
from pathlib import Path

import pytest
from django.test import override_settings
from django.utils import translation

from buergerbuero.applications.uploads import (
    MB,
    UploadLimits,
    UploadRejected,
    check_file,
    copy_limited,
    describe_types,
    detect_type,
    limits_for_field,
    safe_filename,
)
from tests.applications import uploads_files as files


@pytest.fixture(autouse=True)
def english() -> Iterator[None]:
    """Messages are compared with their English source text (German is the default language)."""
    with translation.override("en"):
        yield


LIMITS = UploadLimits(max_bytes=10 * MB, max_files=3, accept=("application/pdf", "image/jpeg", "image/png"))


def rejected(content: bytes, limits: UploadLimits = LIMITS, *, already: int = 0) -> UploadRejected:
    with pytest.raises(UploadRejected) as caught:
        check_file(io.BytesIO(content), limits, already=already)
    return caught.value


def test_it_accepts_a_real_pdf_png_and_jpeg_and_reports_type_size_and_sha512() -> None:
    import hashlib

    for content, expected in (
        (files.pdf(2), "application/pdf"),
        (files.image("PNG"), "image/png"),
        (files.image("JPEG"), "image/jpeg"),
    ):
        checked = check_file(io.BytesIO(content), LIMITS, already=2)
        assert checked.content_type == expected
        assert checked.size == len(content)
        assert checked.sha512 == hashlib.sha512(content).hexdigest()


def test_it_reads_a_path_as_well_as_a_stream(tmp_path: Path) -> None:
    target = tmp_path / "bescheinigung.pdf"
    target.write_bytes(files.pdf())
    assert check_file(target, LIMITS, already=0).content_type == "application/pdf"


def test_it_detects_the_type_from_the_content_not_the_name() -> None:
    assert detect_type(files.pdf()[:16]) == "application/pdf"
    assert detect_type(files.image("PNG")[:16]) == "image/png"
    assert detect_type(files.image("JPEG")[:16]) == "image/jpeg"
    assert detect_type(files.image("GIF")[:16]) == "image/gif"
    assert detect_type(files.image("WEBP")[:16]) == "image/webp"
    assert detect_type(files.zip_archive()[:16]) == "application/zip"
    assert detect_type(files.windows_program()[:16]) == "application/vnd.microsoft.portable-executable"
    assert detect_type(b"Hello, this is plain text") is None


def test_it_rejects_a_jpeg_where_only_pdf_is_accepted_and_names_the_allowed_type() -> None:
    only_pdf = UploadLimits(max_bytes=MB, max_files=1, accept=("application/pdf",))
    error = rejected(files.image("JPEG"), only_pdf)
    assert error.code == "type"
    assert "Please upload PDF." in error.message


@pytest.mark.parametrize("content", [files.zip_archive(), files.windows_program(), b"just some text\n" * 10])
def test_it_rejects_programs_archives_and_text_whatever_they_are_called(content: bytes) -> None:
    error = rejected(content)
    assert error.code == "type"
    assert "PDF, JPEG or PNG" in error.message


def test_it_rejects_an_empty_file() -> None:
    assert rejected(b"").code == "empty"


def test_it_rejects_a_file_over_the_limit_and_says_how_big_it_is() -> None:
    limits = UploadLimits(max_bytes=1 * MB, max_files=3)
    content = files.pdf() + b"%" + b"x" * int(1.42 * MB)
    with translation.override("en"):
        error = rejected(content, limits)
    assert error.code == "too_big"
    assert error.message == "The file is 1.4 MB; at most 1 MB are allowed."
    with translation.override("de"):
        assert "1,4" in rejected(content, limits).message


def test_it_rejects_a_file_when_the_field_already_has_the_most_files() -> None:
    error = rejected(files.pdf(), already=3)
    assert error.code == "too_many"
    assert "at most 3 files" in error.message


def test_it_rejects_an_encrypted_pdf_with_or_without_an_open_password() -> None:
    for password in ("geheim", ""):
        error = rejected(files.pdf(password=password))
        assert error.code == "pdf_encrypted"
        assert "password" in error.message


@pytest.mark.parametrize("cut", [0.5, 0.9])
def test_it_rejects_a_truncated_pdf(cut: float) -> None:
    content = files.pdf(3)
    assert rejected(content[: int(len(content) * cut)]).code == "pdf_malformed"


def test_it_rejects_a_pdf_header_on_garbage_and_a_pdf_without_pages() -> None:
    assert rejected(b"%PDF-1.7\n" + b"\x00garbage" * 50).code == "pdf_malformed"
    assert rejected(files.pdf(0)).code == "pdf_malformed"


@pytest.mark.parametrize("kind", ["PNG", "JPEG"])
def test_it_rejects_a_truncated_image(kind: str) -> None:
    content = files.image(kind, (400, 300))
    assert rejected(content[: len(content) // 2]).code == "image_malformed"


def test_it_rejects_a_decompression_bomb_by_its_claimed_size_without_decoding_it() -> None:
    bomb = files.png_bomb()
    assert len(bomb) < 200
    error = rejected(bomb)
    assert error.code == "image_pixels"
    assert "40 megapixels" in error.message


@override_settings(ATTACHMENT_MAX_IMAGE_PIXELS=10_000)
def test_it_rejects_an_image_over_the_configured_pixels() -> None:
    assert check_file(io.BytesIO(files.image("PNG", (100, 100))), LIMITS, already=0).content_type == "image/png"
    assert rejected(files.image("PNG", (101, 100))).code == "image_pixels"


def test_it_stops_copying_at_the_limit() -> None:
    limits = UploadLimits(max_bytes=200_000, max_files=1)

    class Counting(io.BytesIO):
        read_total = 0

        def read(self, size: int | None = -1) -> bytes:
            chunk = super().read(size)
            self.read_total += len(chunk)
            return chunk

        def fileno(self) -> int:
            raise OSError("not a real file")

    source = Counting(b"%PDF-" + b"x" * 5_000_000)
    target = io.BytesIO()
    with pytest.raises(UploadRejected) as caught:
        copy_limited(source, target, limits)
    assert caught.value.code == "too_big"
    assert source.read_total <= limits.max_bytes + 64 * 1024
    assert len(target.getvalue()) <= limits.max_bytes


@override_settings(ATTACHMENT_MAX_MB=10, ATTACHMENT_MAX_FILES=10)
def test_it_takes_a_fields_limits_but_never_more_than_the_settings() -> None:
    field = {"widget": "file", "accept": ["application/pdf", "image/png", "text/html"], "max_files": 3, "max_mb": 5}
    assert limits_for_field(field) == UploadLimits(5 * MB, 3, ("application/pdf", "image/png"))
    greedy = {"widget": "file", "max_files": 50, "max_mb": 500}
    assert limits_for_field(greedy) == UploadLimits(10 * MB, 10, ("application/pdf", "image/jpeg", "image/png"))


def test_it_names_the_types_in_words() -> None:
    assert describe_types(["application/pdf"]) == "PDF"
    assert describe_types(["application/pdf", "image/jpeg", "image/png"]) == "PDF, JPEG or PNG"


def test_it_keeps_a_safe_name_with_the_extension_of_the_detected_type() -> None:
    assert safe_filename("C:\\Users\\erika\\Ausweis vorne.pdf", "application/pdf") == "Ausweis vorne.pdf"
    assert safe_filename("../../etc/passwd.pdf", "image/jpeg") == "passwd.jpg"
    assert safe_filename('Bescheid "neu"\x00.png', "image/png") == "Bescheid _neu.png"
    assert safe_filename("....pdf", "application/pdf") == "file.pdf"


@pytest.mark.parametrize("kind", ["JPEG", "PNG"])
def test_it_rejects_a_truncated_image_even_after_weasyprint_relaxed_pillow(kind: str) -> None:
    import weasyprint.images  # noqa: F401  (sets PIL.ImageFile.LOAD_TRUNCATED_IMAGES = True for the process)
    from PIL import ImageFile

    assert ImageFile.LOAD_TRUNCATED_IMAGES
    content = files.image(kind, (400, 300))
    assert rejected(content[: len(content) // 2]).code == "image_malformed"
    assert check_file(io.BytesIO(content), LIMITS, already=0).content_type == f"image/{kind.lower()}"
