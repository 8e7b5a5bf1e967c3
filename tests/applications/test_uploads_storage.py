"""Storing uploads: private storage under random names, the draft's data, limits per field, removal,
hand-over to the case at submission, and the sweep of orphans. Nothing half-stored on failure."""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone, translation
from pytest_django import Settings

from buergerbuero.applications.constants import ScanStatus
from buergerbuero.applications.models import Attachment, Draft, FormDefinition
from buergerbuero.applications.services import ApplicationError
from buergerbuero.applications.services.attachments import (
    adopt_draft_attachments,
    delete_orphans,
    remove_attachment,
    store_upload,
)
from buergerbuero.core.models import AuditEntry
from buergerbuero.tenants.models import Municipality
from tests.applications import uploads_files as files
from tests.applications.factories import CaseFactory, CitizenFactory, DraftFactory, online_service

FIELD = "nachweise.ausweis"  # the sample form's file field: PDF, JPEG, PNG; at most 2 files of 5 MB


@pytest.fixture(autouse=True)
def english() -> Iterator[None]:
    with translation.override("en"):
        yield


@pytest.fixture
def private_root(settings: Settings, tmp_path: Path) -> Path:
    root = tmp_path / "private"
    settings.PRIVATE_MEDIA_ROOT = root
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.STATIC_ROOT = tmp_path / "static"
    return root


@pytest.fixture
def form(kreis_scope: None, municipality_a: Municipality) -> FormDefinition:
    return online_service(municipality_a)[1]


@pytest.fixture
def draft(form: FormDefinition, municipality_a: Municipality) -> Draft:
    return DraftFactory(form=form, municipality=municipality_a)


def upload(content: bytes, name: str = "nachweis.pdf") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, content, content_type="application/pdf")  # the browser's claim is ignored


def stored_files(root: Path) -> list[Path]:
    return sorted(p for p in root.rglob("*") if p.is_file()) if root.exists() else []


def test_it_stores_the_file_privately_under_a_random_name_and_records_it_in_the_draft(
    private_root: Path, draft: Draft
) -> None:
    content = files.pdf()
    attachment = store_upload(
        owner=draft.citizen, upload=upload(content, "Ausweis Erika.pdf"), field=FIELD, draft=draft
    )

    [path] = stored_files(private_root)
    assert path == Path(attachment.file.path)
    assert path.read_bytes() == content
    assert path.relative_to(private_root.resolve()).parts[0] == "attachments"
    assert "Ausweis" not in path.name and "." not in path.name
    for public_root in (settings.MEDIA_ROOT, settings.STATIC_ROOT):
        assert not path.is_relative_to(Path(public_root).resolve())
    assert (attachment.original_name, attachment.content_type, attachment.size) == (
        "Ausweis Erika.pdf",
        "application/pdf",
        len(content),
    )
    assert attachment.scan_status == ScanStatus.SKIPPED
    assert len(attachment.sha512) == 128
    draft.refresh_from_db()
    assert draft.data["nachweise"]["ausweis"] == [str(attachment.public_id)]
    assert AuditEntry.objects.filter(action="applications.attachment.upload", object_id=str(attachment.pk)).exists()


def test_it_takes_the_type_from_the_content_and_fixes_the_name(private_root: Path, draft: Draft) -> None:
    attachment = store_upload(
        owner=draft.citizen, upload=upload(files.image("JPEG"), "scan.pdf"), field=FIELD, draft=draft
    )
    assert (attachment.content_type, attachment.original_name) == ("image/jpeg", "scan.jpg")


@pytest.mark.parametrize(
    ("content", "code"),
    [
        (files.pdf(password="geheim"), "pdf_encrypted"),
        (files.pdf(3)[:300], "pdf_malformed"),
        (files.zip_archive(), "type"),
        (files.png_bomb(), "image_pixels"),
        (b"", "empty"),
        (files.pdf() + b"%" + b"x" * (6 * 1024 * 1024), "too_big"),  # the field allows 5 MB
    ],
)
def test_it_refuses_a_bad_file_with_a_message_for_the_field_and_keeps_nothing(
    private_root: Path, draft: Draft, content: bytes, code: str
) -> None:
    with pytest.raises(ApplicationError) as caught:
        store_upload(owner=draft.citizen, upload=upload(content), field=FIELD, draft=draft)
    assert (caught.value.field, caught.value.code) == (FIELD, code)
    assert caught.value.message
    assert stored_files(private_root) == []
    assert not Attachment.objects.exists()
    draft.refresh_from_db()
    assert "ausweis" not in draft.data.get("nachweise", {}) or draft.data["nachweise"]["ausweis"] == []


def test_it_refuses_more_files_than_the_field_takes(private_root: Path, draft: Draft) -> None:
    for _ in range(2):
        store_upload(owner=draft.citizen, upload=upload(files.pdf()), field=FIELD, draft=draft)
    with pytest.raises(ApplicationError) as caught:
        store_upload(owner=draft.citizen, upload=upload(files.pdf()), field=FIELD, draft=draft)
    assert caught.value.code == "too_many"
    assert "at most 2 files" in caught.value.message
    assert len(stored_files(private_root)) == 2
    draft.refresh_from_db()
    assert len(draft.data["nachweise"]["ausweis"]) == 2


def test_it_refuses_uploads_to_a_field_the_form_does_not_have(private_root: Path, draft: Draft) -> None:
    with pytest.raises(ApplicationError) as caught:
        store_upload(owner=draft.citizen, upload=upload(files.pdf()), field="person.vorname", draft=draft)
    assert caught.value.code == "no_field"


def test_it_refuses_uploads_to_someone_elses_or_a_submitted_draft(private_root: Path, draft: Draft) -> None:
    with pytest.raises(ApplicationError):
        store_upload(owner=CitizenFactory(), upload=upload(files.pdf()), field=FIELD, draft=draft)
    draft.submitted_at = timezone.now()
    draft.save()
    with pytest.raises(ApplicationError) as caught:
        store_upload(owner=draft.citizen, upload=upload(files.pdf()), field=FIELD, draft=draft)
    assert caught.value.code == "submitted"
    assert stored_files(private_root) == []


def test_the_owner_removes_a_file_from_the_draft_and_the_file_goes_after_commit(
    private_root: Path, draft: Draft, django_capture_on_commit_callbacks: Callable[..., Any]
) -> None:
    first = store_upload(owner=draft.citizen, upload=upload(files.pdf()), field=FIELD, draft=draft)
    second = store_upload(owner=draft.citizen, upload=upload(files.image()), field=FIELD, draft=draft)
    with pytest.raises(ApplicationError):
        remove_attachment(owner=CitizenFactory(), attachment=first)

    with django_capture_on_commit_callbacks(execute=True):
        remove_attachment(owner=draft.citizen, attachment=first)

    assert not Attachment.objects.filter(pk=first.pk).exists()
    assert not Path(first.file.path).exists()
    assert Path(second.file.path).exists()
    draft.refresh_from_db()
    assert draft.data["nachweise"]["ausweis"] == [str(second.public_id)]


def test_submission_hands_the_named_files_to_the_case_and_deletes_the_rest(
    private_root: Path,
    draft: Draft,
    municipality_a: Municipality,
    django_capture_on_commit_callbacks: Callable[..., Any],
) -> None:
    kept = store_upload(owner=draft.citizen, upload=upload(files.pdf()), field=FIELD, draft=draft)
    dropped = store_upload(owner=draft.citizen, upload=upload(files.image()), field=FIELD, draft=draft)
    draft.refresh_from_db()
    data = draft.data
    data["nachweise"]["ausweis"] = [str(kept.public_id)]  # e.g. the field of the other was hidden
    case = CaseFactory(municipality=municipality_a, service=draft.form.service, form=draft.form, data=data)

    with django_capture_on_commit_callbacks(execute=True):
        adopted = adopt_draft_attachments(draft=draft, case=case)

    assert [a.pk for a in adopted] == [kept.pk]
    assert list(case.attachments.values_list("pk", flat=True)) == [kept.pk]
    assert not Attachment.objects.filter(pk=dropped.pk).exists()
    assert not Path(dropped.file.path).exists()
    with pytest.raises(ApplicationError) as caught:
        remove_attachment(owner=draft.citizen, attachment=kept)
    assert caught.value.code == "submitted"


def test_the_sweep_deletes_old_orphans_and_stray_files_but_nothing_in_use(
    private_root: Path, draft: Draft, django_capture_on_commit_callbacks: Callable[..., Any]
) -> None:
    in_use = store_upload(owner=draft.citizen, upload=upload(files.pdf()), field=FIELD, draft=draft)
    orphan = store_upload(owner=draft.citizen, upload=upload(files.image()), field=FIELD, draft=draft)
    Attachment.objects.filter(pk=orphan.pk).update(draft=None, uploaded_at=timezone.now() - dt.timedelta(days=2))
    stray = private_root / "attachments" / "2026" / "01" / "leftover"
    stray.parent.mkdir(parents=True, exist_ok=True)
    stray.write_bytes(b"left by a rolled-back request")
    fresh_stray = private_root / "incoming" / "upload-now"
    fresh_stray.parent.mkdir(parents=True, exist_ok=True)
    fresh_stray.write_bytes(b"being uploaded right now")
    old = (timezone.now() - dt.timedelta(days=2)).timestamp()
    for path in (stray, Path(in_use.file.path), Path(orphan.file.path)):
        os.utime(path, (old, old))

    with django_capture_on_commit_callbacks(execute=True):
        deleted = delete_orphans(dt.timedelta(days=1))

    assert deleted == 2
    assert not Attachment.objects.filter(pk=orphan.pk).exists()
    assert not Path(orphan.file.path).exists()
    assert not stray.exists()
    assert fresh_stray.exists()
    assert Path(in_use.file.path).exists()
