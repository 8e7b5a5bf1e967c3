"""The checklist pages: questionnaire with errors, the exact checklist, the PDF, for the Kreis and a municipality."""

from __future__ import annotations

import re
import zlib
from typing import Any

import pytest
from django.test import Client

from buergerbuero.catalog.models import Service
from buergerbuero.catalog.selectors import HOME_SESSION_KEY
from buergerbuero.tenants.models import Municipality
from tests.catalog.factories import DocumentRequirementFactory, ServiceFactory, ServiceOfferingFactory

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("kreis_scope")]

QUESTIONS: list[dict[str, Any]] = [
    {"key": "age", "kind": "number", "label_de": "Alter", "label_en": "Age", "min": 0, "max": 130},
    {
        "key": "application",
        "kind": "choice",
        "label_de": "Anlass",
        "label_en": "Reason",
        "options": [
            {"value": "first", "label_de": "Erstantrag", "label_en": "First application"},
            {"value": "loss", "label_de": "Verlust", "label_en": "Loss"},
        ],
    },
    {"key": "on_behalf", "kind": "boolean", "label_de": "Für jemand anderen", "label_en": "For someone else"},
]


@pytest.fixture
def passport(db: None) -> Service:
    service = ServiceFactory(
        slug="reisepass",
        name_de="Reisepass beantragen",
        name_en="Apply for a passport",
        questions=QUESTIONS,
        fee={
            "kind": "rules",
            "rules": [{"when": {"q": "age", "op": "lt", "value": 24}, "amount": "37.50", "label_en": "under 24"}],
            "default": "70.00",
        },
        counter_minutes=20,
        processing_time_de="etwa 3 Wochen",
        processing_time_en="about 3 weeks",
        online_application=False,
        by_appointment=True,
    )
    DocumentRequirementFactory(
        service=service, position=1, name_en="Biometric photo", note_en="not older than 6 months"
    )
    DocumentRequirementFactory(
        service=service,
        position=2,
        name_en="Consent of the parents",
        condition={"q": "age", "op": "lt", "value": 18},
    )
    DocumentRequirementFactory(
        service=service, position=3, name_en="Loss report", condition={"q": "application", "op": "eq", "value": "loss"}
    )
    DocumentRequirementFactory(
        service=service,
        position=4,
        name_en="Power of attorney",
        condition={"q": "on_behalf", "op": "eq", "value": True},
    )
    return service


@pytest.fixture
def english(client: Client) -> Client:
    client.cookies["django_language"] = "en"
    return client


def _documents(html: str) -> list[str]:
    return re.findall(r'<span class="checklist-items__name">([^<]+)</span>', html)


def test_it_asks_the_questions_first(english: Client, passport: Service) -> None:
    response = english.get("/leistungen/reisepass/checkliste/")
    html = response.content.decode()
    assert response.status_code == 200
    assert '<form class="checklist-form' in html
    assert "<legend>Reason</legend>" in html
    assert 'name="age"' in html
    assert "Your checklist" not in html
    assert 'role="alert"' not in html


def test_it_lists_exactly_the_matching_documents_with_fee_and_time(english: Client, passport: Service) -> None:
    response = english.get("/leistungen/reisepass/checkliste/?age=16&application=loss&on_behalf=false")
    html = response.content.decode()
    assert _documents(html) == ["Biometric photo", "Consent of the parents", "Loss report"]
    assert "not older than 6 months" in html
    assert "€37.50 (under 24)" in html
    assert "about 20 minutes at the counter" in html
    assert "about 3 weeks" in html
    assert "Age" in html and "Loss" in html  # the answers with their labels

    adult = english.get("/leistungen/reisepass/checkliste/?age=40&application=first&on_behalf=ja").content.decode()
    assert _documents(adult) == ["Biometric photo", "Power of attorney"]
    assert "€70.00" in adult


def test_it_offers_the_url_with_answers_as_the_link_to_share_and_the_pdf(english: Client, passport: Service) -> None:
    html = english.get("/leistungen/reisepass/checkliste/?on_behalf=ja&age=40&application=first&x=1").content.decode()
    query = "age=40&amp;application=first&amp;on_behalf=true"
    assert f'value="http://testserver/leistungen/reisepass/checkliste/?{query}" readonly' in html
    assert f'href="/leistungen/reisepass/checkliste.pdf?{query}"' in html


def test_it_reports_bad_answers_inline_and_keeps_the_others(english: Client, passport: Service) -> None:
    response = english.get("/leistungen/reisepass/checkliste/?age=200&application=lost&on_behalf=true")
    html = response.content.decode()
    assert response.status_code == 200
    assert "Your checklist" not in html
    assert 'class="error-summary" role="alert"' in html
    assert "Please check 2 answers" in html
    assert '<a href="#q-age">Age – Please enter a number of at most 130.</a>' in html
    assert 'id="q-application-error" class="field-error">Please choose one of the options.' in html
    assert 'aria-invalid="true" aria-describedby="q-age-error"' in html
    assert 'value="200"' in html  # the wrong answer stays for correcting
    assert 'id="q-on_behalf-yes" name="on_behalf" value="true" checked' in html  # the good one is kept


def test_it_asks_for_missing_answers_once_the_form_is_sent(english: Client, passport: Service) -> None:
    html = english.get("/leistungen/reisepass/checkliste/?age=30&application=").content.decode()
    assert "Please answer this question." in html
    assert 'value="30"' in html


def test_it_shows_the_list_at_once_for_a_service_without_questions(english: Client) -> None:
    service = ServiceFactory(slug="meldebescheinigung", questions=[], fee={"kind": "free"})
    DocumentRequirementFactory(service=service, name_en="Identity card")
    html = english.get("/leistungen/meldebescheinigung/checkliste/").content.decode()
    assert _documents(html) == ["Identity card"]
    assert "free of charge" in html
    assert "checklist-form" not in html


def test_it_shows_the_municipality_variant_with_its_note_and_fee(
    english: Client, passport: Service, municipality_a: Municipality
) -> None:
    ServiceOfferingFactory(
        municipality=municipality_a,
        service=passport,
        name_en="Passport (Kaarst)",
        note_en="Bring cash, card payment is not possible.",
        fee={"kind": "fixed", "amount": "81.00"},
    )
    html = english.get(
        "/kaarst/leistungen/reisepass/checkliste/?age=30&application=first&on_behalf=no"
    ).content.decode()
    assert "Checklist: Passport (Kaarst)" in html
    assert "Bring cash, card payment is not possible." in html
    assert "€81.00" in html
    assert 'href="/kaarst/leistungen/reisepass/checkliste.pdf?age=30&amp;application=first&amp;on_behalf=false"' in html


def test_it_does_not_show_a_checklist_for_a_service_the_municipality_does_not_offer(
    client: Client, passport: Service, municipality_a: Municipality
) -> None:
    assert client.get("/kaarst/leistungen/reisepass/checkliste/").status_code == 404
    assert client.get("/leistungen/unbekannt/checkliste/").status_code == 404


_PDF_STRING = rb"/Title\s*(\((?:\\.|[^\\)])*\)|<[0-9A-Fa-f\s]*>)"


def _pdf_titles(pdf: bytes) -> list[str]:
    """The document title and the bookmarks (the headings) of a PDF, from its compressed object streams.

    Enough to check the text without a PDF library: WeasyPrint writes the <title> into the info
    dictionary and every heading into the outline.
    """
    titles = []
    for stream in [pdf, *re.findall(rb"stream\r?\n(.*?)\r?\nendstream", pdf, re.S)]:
        try:
            data = stream if stream is pdf else zlib.decompress(stream)
        except zlib.error:
            continue
        for raw in re.findall(_PDF_STRING, data):
            if raw.startswith(b"<"):
                text = bytes.fromhex(raw[1:-1].decode().replace(" ", ""))
                titles.append(text.decode("utf-16") if text.startswith(b"\xfe\xff") else text.decode("latin-1"))
            else:
                titles.append(raw[1:-1].decode("latin-1"))
    return titles


def test_it_renders_the_checklist_as_a_pdf_to_download(english: Client, passport: Service) -> None:
    response = english.get("/leistungen/reisepass/checkliste.pdf?age=16&application=loss&on_behalf=false")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"] == 'attachment; filename="checkliste-reisepass.pdf"'
    assert response.content.startswith(b"%PDF")
    titles = _pdf_titles(response.content)
    assert "Checklist: Apply for a passport" in titles
    assert {"Your answers", "Please bring", "Fee and time", "How to apply"} <= set(titles)


def test_it_names_the_municipality_in_the_pdf(client: Client, passport: Service, municipality_a: Municipality) -> None:
    ServiceOfferingFactory(municipality=municipality_a, service=passport)
    response = client.get("/kaarst/leistungen/reisepass/checkliste.pdf?age=30&application=first&on_behalf=nein")
    assert response.status_code == 200
    assert response["Content-Disposition"] == 'attachment; filename="checkliste-reisepass-kaarst.pdf"'
    assert any("Reisepass beantragen" in title and "Kaarst" in title for title in _pdf_titles(response.content))


def test_it_sends_an_incomplete_pdf_request_back_to_the_questions(client: Client, passport: Service) -> None:
    response = client.get("/leistungen/reisepass/checkliste.pdf?age=30")
    assert response.status_code == 303
    assert response["Location"] == "/leistungen/reisepass/checkliste/?age=30"


def test_it_links_the_kreis_checklist_to_the_citizens_municipality_once_known(
    english: Client, passport: Service, municipality_a: Municipality
) -> None:
    ServiceOfferingFactory(municipality=municipality_a, service=passport)
    session = english.session
    session[HOME_SESSION_KEY] = municipality_a.ags
    session.save()
    html = english.get("/leistungen/reisepass/checkliste/?age=40&application=first&on_behalf=false").content.decode()
    assert (
        '<a href="/kaarst/leistungen/reisepass/checkliste/?age=40&amp;application=first&amp;on_behalf=false">'
        "Show the checklist for Kaarst</a>"
    ) in html
