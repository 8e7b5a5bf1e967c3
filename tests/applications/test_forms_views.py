"""The citizen's application pages: start, steps with errors, save and resume, summary, isolation, assurance."""

from __future__ import annotations

from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse

from buergerbuero.accounts.models import User
from buergerbuero.applications.models import Draft
from buergerbuero.catalog.models import Service
from buergerbuero.core.tenancy import scopes_disabled
from buergerbuero.tenants.models import Municipality
from tests.applications.factories import online_service
from tests.harness.oidc import csrf_token

pytestmark = pytest.mark.django_db


def png() -> bytes:
    import io

    from PIL import Image

    buffer = io.BytesIO()
    Image.new("RGB", (4, 4), "white").save(buffer, format="PNG")
    return buffer.getvalue()


@pytest.fixture
def service(municipality_a: Municipality) -> Service:
    with scopes_disabled():
        service, _form = online_service(municipality_a)
    return service


def post(client: Client, url: str, data: dict[str, Any] | None = None, *, page: str = "") -> Any:
    """POST like the browser: with the CSRF token of the page the form is on (the clients enforce CSRF)."""
    token = csrf_token(client, page or url)
    return client.post(url, {"csrfmiddlewaretoken": token, **(data or {})})


def user_of(client: Client) -> User:
    return User.objects.get(pk=client.session["_auth_user_id"])


def start(client: Client, service: Service) -> Draft:
    response = post(client, reverse("application_forms:start", args=[service.slug]))
    assert response.status_code == 302
    draft = Draft.objects.filter(citizen=user_of(client)).latest("created_at")
    assert response["Location"] == reverse("application_forms:step", args=[draft.public_id, "person"])
    return draft


def step_url(draft: Draft, key: str) -> str:
    return reverse("application_forms:step", args=[draft.public_id, key])


def test_the_start_page_explains_the_application_and_asks_anonymous_visitors_to_log_in(
    client: Client, service: Service
) -> None:
    response = client.get(reverse("application_forms:start", args=[service.slug]))
    assert response.status_code == 200
    text = response.content.decode()
    assert "Probeantrag" in text
    assert "acr_values=" in text  # the login asks for the service's level
    anonymous_post = client.post(reverse("application_forms:start", args=[service.slug]))
    assert anonymous_post.status_code == 302
    assert "/login" in anonymous_post["Location"] or "anmelden" in anonymous_post["Location"]


def test_unknown_services_and_reserved_words_are_not_start_pages(client: Client, service: Service) -> None:
    assert client.get("/antraege/gibtsnicht/").status_code == 404
    assert reverse("cases:mine") == "/antraege/meine/"
    assert (
        client.get("/antraege/meine/").status_code != 200
        or b"Probeantrag" not in client.get("/antraege/meine/").content
    )


def test_a_citizen_fills_the_steps_saves_and_resumes(citizen_substantial: Client, service: Service) -> None:
    client = citizen_substantial
    draft = start(client, service)
    page = client.get(step_url(draft, "person"))
    assert page.status_code == 200
    text = page.content.decode()
    citizen = user_of(client)
    assert f'value="{citizen.first_name}"' in text  # prefilled from the account
    assert 'aria-current="step"' in text

    # A mistake: the page shows the error next to the field and in the summary, and keeps what was typed.
    response = post(
        client,
        step_url(draft, "person"),
        {
            "person.vorname": "Erika",
            "person.familienname": "",
            "person.email": "kaputt",
            "person.rechtsform": "person",
            "_action": "next",
        },
    )
    assert response.status_code == 200
    text = response.content.decode()
    assert 'class="error-summary"' in text
    assert 'href="#f-person-email"' in text
    assert 'aria-describedby="f-person-email-error"' in text
    assert 'value="kaputt"' in text
    draft.refresh_from_db()
    assert draft.data["person"]["email"] == "kaputt"

    # Save and continue later: back on the start page, which offers the draft.
    response = post(client, step_url(draft, "person"), {"person.vorname": "Erika", "_action": "save"})
    assert response.status_code == 302
    start_page = client.get(response["Location"]).content.decode()
    assert step_url(draft, "person") in start_page

    person = {
        "person.vorname": "Erika",
        "person.familienname": "Mustermann",
        "person.email": "erika@example.org",
        "person.rechtsform": "person",
    }
    response = post(client, step_url(draft, "person"), {**person, "_action": "next"})
    assert response["Location"] == step_url(draft, "adresse")
    address = {"adresse.strasse": "Am Neumarkt 1", "adresse.plz": "41564", "adresse.ort": "Kaarst", "_action": "next"}
    response = post(client, step_url(draft, "adresse"), address)
    assert response["Location"] == step_url(draft, "nachweise")
    draft.refresh_from_db()
    assert draft.municipality is not None and draft.municipality.slug == "kaarst"

    # Going on without the required upload is an error; "Back" saves and goes back.
    response = post(client, step_url(draft, "nachweise"), {"bemerkung": "Hallo", "_action": "next"})
    assert response.status_code == 200
    assert "Personalausweis" in response.content.decode()
    response = post(client, step_url(draft, "nachweise"), {"bemerkung": "Hallo", "_action": "back"})
    assert response["Location"] == step_url(draft, "adresse")
    draft.refresh_from_db()
    assert draft.data["bemerkung"] == "Hallo"

    # The summary lists what is missing with a link to the step instead of the submit button.
    summary = client.get(reverse("application_forms:summary", args=[draft.public_id])).content.decode()
    assert step_url(draft, "nachweise") in summary
    assert reverse("submission:submit", args=[draft.public_id]) not in summary
    assert "Mustermann" in summary


def test_an_upload_completes_the_application(
    citizen_substantial: Client, service: Service, settings: Any, tmp_path: Any
) -> None:
    settings.PRIVATE_MEDIA_ROOT = tmp_path
    client = citizen_substantial
    draft = start(client, service)
    post(
        client,
        step_url(draft, "person"),
        {
            "person.vorname": "E",
            "person.familienname": "M",
            "person.email": "e@example.org",
            "person.rechtsform": "person",
        },
    )
    post(
        client, step_url(draft, "adresse"), {"adresse.strasse": "A 1", "adresse.plz": "41564", "adresse.ort": "Kaarst"}
    )
    upload = SimpleUploadedFile("ausweis.png", png(), content_type="image/png")
    response = post(client, step_url(draft, "nachweise"), {"nachweise.ausweis": upload, "_action": "next"})
    assert response.status_code == 302, response.content.decode().split("error-summary-title")[-1][:1500]
    assert response["Location"] == reverse("application_forms:summary", args=[draft.public_id])
    summary = client.get(response["Location"]).content.decode()
    assert "ausweis.png" in summary
    assert reverse("submission:submit", args=[draft.public_id]) in summary
    assert "26,00" in summary or "26.00" in summary

    # a file that is not what its name says is refused next to the field
    fake = SimpleUploadedFile("scan.pdf", b"not a pdf at all", content_type="application/pdf")
    response = post(client, step_url(draft, "nachweise"), {"nachweise.ausweis": fake, "_action": "upload"})
    assert response.status_code == 200
    assert 'id="f-nachweise-ausweis-error"' in response.content.decode()


def test_another_citizen_gets_404(citizen_substantial: Client, citizen_login: Any, service: Service) -> None:
    draft = start(citizen_substantial, service)
    other = citizen_login("fatma.yilmaz")
    assert other.get(step_url(draft, "person")).status_code == 404
    assert other.get(reverse("application_forms:summary", args=[draft.public_id])).status_code == 404
    assert post(other, reverse("application_forms:discard", args=[draft.public_id]), page="/konto/").status_code == 404
    assert Draft.objects.filter(pk=draft.pk).exists()


def test_a_weak_login_gets_the_step_up_page(citizen_low: Client, service: Service) -> None:
    response = post(citizen_low, reverse("application_forms:start", args=[service.slug]))
    assert response.status_code == 403
    assert not Draft.objects.exists()


def test_a_draft_can_be_discarded(citizen_substantial: Client, service: Service) -> None:
    draft = start(citizen_substantial, service)
    assert citizen_substantial.get(reverse("application_forms:discard", args=[draft.public_id])).status_code == 200
    response = post(citizen_substantial, reverse("application_forms:discard", args=[draft.public_id]))
    assert response.status_code == 302
    assert not Draft.objects.filter(pk=draft.pk).exists()
