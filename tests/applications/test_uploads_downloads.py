"""Who may download an uploaded file: the owner and the case's citizen (through the real OIDC login),
the responsible municipality's staff (signed in with password and TOTP); everyone else gets 404."""

from __future__ import annotations

from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse
from pytest_django import Settings

from buergerbuero.accounts.models import User
from buergerbuero.applications.constants import ScanStatus
from buergerbuero.applications.models import Attachment, Case, Draft, FormDefinition
from buergerbuero.applications.selectors_files import citizen_file_url, staff_file_url
from buergerbuero.applications.services.attachments import store_upload
from buergerbuero.core.tenancy import scopes_disabled
from buergerbuero.tenants.models import Municipality
from tests.applications import uploads_files as files
from tests.applications.factories import CaseFactory, DraftFactory, online_service
from tests.harness.staff import StaffClient

FIELD = "nachweise.ausweis"


def user_of(client: Client) -> User:
    return User.objects.get(pk=client.session["_auth_user_id"])


def content_of(response: object) -> bytes:
    return b"".join(response.streaming_content)  # type: ignore[attr-defined]


@pytest.fixture
def private_root(settings: Settings, tmp_path: Path) -> Path:
    settings.PRIVATE_MEDIA_ROOT = tmp_path / "private"
    return settings.PRIVATE_MEDIA_ROOT


@pytest.fixture
def form(municipality_a: Municipality) -> FormDefinition:
    with scopes_disabled():
        return online_service(municipality_a)[1]


def upload_for(owner: User, form: FormDefinition, *, name: str = "Ausweis.pdf") -> tuple[Draft, Attachment]:
    with scopes_disabled():
        draft = DraftFactory(citizen=owner, form=form)
    attachment = store_upload(owner=owner, upload=SimpleUploadedFile(name, files.pdf()), field=FIELD, draft=draft)
    return draft, attachment


def submit(draft: Draft, attachment: Attachment, municipality: Municipality) -> Case:
    with scopes_disabled():
        case = CaseFactory(
            municipality=municipality,
            service=draft.form.service,
            form=draft.form,
            citizen=draft.citizen,
            data=draft.data,
        )
    Attachment.objects.filter(pk=attachment.pk).update(case=case)
    return case


def test_the_owner_downloads_their_file_with_safe_headers(
    private_root: Path, citizen_substantial: Client, form: FormDefinition
) -> None:
    _, attachment = upload_for(user_of(citizen_substantial), form, name="Gewerbeerlaubnis Müller.pdf")

    response = citizen_substantial.get(citizen_file_url(attachment))

    assert response.status_code == 200
    assert content_of(response) == files.pdf()
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"].startswith("attachment;")
    assert "filename*=utf-8''Gewerbeerlaubnis%20M%C3%BCller.pdf" in response["Content-Disposition"]
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Cache-Control"] == "private, no-store"

    inline = citizen_substantial.get(citizen_file_url(attachment, inline=True))
    assert inline["Content-Disposition"].startswith("inline;")


def test_another_citizen_gets_404_and_an_anonymous_visitor_is_sent_to_the_login(
    private_root: Path, citizen_substantial: Client, citizen_high: Client, form: FormDefinition
) -> None:
    _, attachment = upload_for(user_of(citizen_substantial), form)

    assert citizen_high.get(citizen_file_url(attachment)).status_code == 404
    anonymous = Client().get(citizen_file_url(attachment))
    assert anonymous.status_code == 302
    assert anonymous["Location"].startswith(reverse("accounts:login"))


def test_a_file_not_yet_scanned_or_found_infected_is_not_served(
    private_root: Path, citizen_substantial: Client, form: FormDefinition
) -> None:
    _, attachment = upload_for(user_of(citizen_substantial), form)
    for status in (ScanStatus.PENDING, ScanStatus.INFECTED):
        Attachment.objects.filter(pk=attachment.pk).update(scan_status=status)
        assert citizen_substantial.get(citizen_file_url(attachment)).status_code == 404


def test_the_case_citizen_needs_the_login_level_of_the_service(
    private_root: Path, citizen_low: Client, form: FormDefinition, municipality_a: Municipality
) -> None:
    draft, attachment = upload_for(user_of(citizen_low), form)  # the sample service asks for level 2
    submit(draft, attachment, municipality_a)

    assert citizen_low.get(citizen_file_url(attachment)).status_code == 403


def test_staff_of_the_responsible_municipality_download_a_case_file_and_nobody_else(
    private_root: Path,
    citizen_substantial: Client,
    form: FormDefinition,
    municipality_a: Municipality,
    municipality_b: Municipality,
    clerk_a: User,
    clerk_b: User,
    staff_client: StaffClient,
) -> None:
    draft, attachment = upload_for(user_of(citizen_substantial), form)
    clerk_a_client, clerk_b_client = staff_client(clerk_a), staff_client(clerk_b)

    # Still on the draft: not the office's business yet.
    assert clerk_a_client.get(staff_file_url(attachment, municipality_a)).status_code == 404

    submit(draft, attachment, municipality_a)
    response = clerk_a_client.get(staff_file_url(attachment, municipality_a))
    assert response.status_code == 200
    assert content_of(response) == files.pdf()
    assert response["Cache-Control"] == "private, no-store"

    assert clerk_b_client.get(staff_file_url(attachment, municipality_a)).status_code == 404
    assert clerk_b_client.get(staff_file_url(attachment, municipality_b)).status_code == 404
    assert clerk_a_client.get(staff_file_url(attachment, municipality_b)).status_code == 404
    # The citizen still has their file, and the citizen's login does not open the staff URL.
    assert citizen_substantial.get(citizen_file_url(attachment)).status_code == 200
    assert citizen_substantial.get(staff_file_url(attachment, municipality_a)).status_code in (302, 404)
