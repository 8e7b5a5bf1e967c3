"""``GET /api/services/{slug}/checklist``: the checklist for answers given as query parameters."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from buergerbuero.catalog.models import Service
from buergerbuero.tenants.models import Municipality
from tests.catalog.factories import DocumentRequirementFactory, ServiceFactory, ServiceOfferingFactory
from tests.catalog.test_checklist_pages import QUESTIONS

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("kreis_scope")]


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
    )
    DocumentRequirementFactory(service=service, position=1, name_en="Biometric photo")
    DocumentRequirementFactory(
        service=service, position=2, name_en="Consent of the parents", condition={"q": "age", "op": "lt", "value": 18}
    )
    DocumentRequirementFactory(
        service=service, position=3, name_en="Loss report", condition={"q": "application", "op": "eq", "value": "loss"}
    )
    return service


def _get(client: Client, url: str) -> tuple[int, dict[str, Any]]:
    response = client.get(url, HTTP_ACCEPT_LANGUAGE="en")
    return response.status_code, response.json()


def test_it_returns_the_exact_checklist_for_complete_answers(client: Client, passport: Service) -> None:
    status, body = _get(client, "/api/services/reisepass/checklist?age=16&application=loss&on_behalf=false")
    assert status == 200
    assert body["complete"] is True
    assert body["answers"] == {"age": 16, "application": "loss", "on_behalf": False}
    assert [item["name"] for item in body["items"]] == ["Biometric photo", "Consent of the parents", "Loss report"]
    assert body["fee"] == {
        "minimum": "37.50",
        "maximum": None,
        "is_free": False,
        "text": "€37.50 (under 24)",
        "label": "under 24",
        "note": "",
    }
    assert body["url"] == ("http://testserver/leistungen/reisepass/checkliste/?age=16&application=loss&on_behalf=false")
    assert str(body["pdf_url"]).startswith("http://testserver/leistungen/reisepass/checkliste.pdf?age=16")
    assert [question["key"] for question in body["questions"]] == ["age", "application", "on_behalf"]


def test_it_marks_incomplete_answers_and_gives_the_fee_span(client: Client, passport: Service) -> None:
    status, body = _get(client, "/api/services/reisepass/checklist?age=30")
    assert status == 200
    assert body["complete"] is False
    assert [item["name"] for item in body["items"]] == ["Biometric photo"]
    assert body["fee"]["minimum"] == "37.50" and body["fee"]["maximum"] == "70.00"


def test_it_rejects_invalid_answers_with_a_message_per_question(client: Client, passport: Service) -> None:
    status, body = _get(client, "/api/services/reisepass/checklist?age=abc&application=lost")
    assert status == 422
    assert body["errors"] == {
        "age": "Please enter a number, e.g. 42.",
        "application": "Please choose one of the options.",
    }


def test_it_answers_for_a_municipality_with_its_variant(
    client: Client, passport: Service, municipality_a: Municipality, municipality_b: Municipality
) -> None:
    ServiceOfferingFactory(
        municipality=municipality_a, service=passport, note_en="Cash only.", fee={"kind": "fixed", "amount": "81.00"}
    )
    status, body = _get(
        client, "/api/services/reisepass/checklist?municipality=kaarst&age=30&application=first&on_behalf=0"
    )
    assert status == 200
    assert body["municipality"] == "kaarst"
    assert body["note"] == "Cash only."
    assert body["fee"]["text"] == "€81.00"
    assert str(body["url"]).startswith("http://testserver/kaarst/leistungen/reisepass/checkliste/?")

    assert _get(client, "/api/services/reisepass/checklist?municipality=juechen")[0] == 404
    assert _get(client, "/api/services/reisepass/checklist?municipality=nowhere")[0] == 404
    assert _get(client, "/api/services/nothing/checklist")[0] == 404
