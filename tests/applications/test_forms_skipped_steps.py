"""Steps whose fields are all hidden for the data so far (a company's details for a private person) are
skipped: "Next" and "Back" jump over them, the progress indicator counts only the steps that apply, the
summary leaves them out, and a bookmark to one leads on to the next step that applies."""

from __future__ import annotations

import copy
import re
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from buergerbuero.applications import formdef
from buergerbuero.applications.models import Draft
from buergerbuero.catalog.models import Service
from buergerbuero.core.tenancy import scopes_disabled
from buergerbuero.tenants.models import Municipality
from tests.applications.factories import SAMPLE_DEFINITION, online_service
from tests.applications.test_forms_views import post, start, step_url


def definition_with_company_step() -> dict[str, Any]:
    """The sample form with the company name on a step of its own, shown only to companies."""
    definition = copy.deepcopy(SAMPLE_DEFINITION)
    person, address, documents = definition["steps"]
    company_name = person["fields"].pop()
    assert company_name["path"] == "person.firmenname"
    company = {"key": "firma", "title_de": "Angaben zum Unternehmen", "title_en": "About the company"}
    definition["steps"] = [person, {**company, "fields": [company_name]}, address, documents]
    return definition


PERSON = {"person": {"vorname": "Erika", "familienname": "Mustermann", "rechtsform": "person"}}
COMPANY = {"person": {"vorname": "Erika", "familienname": "Mustermann", "rechtsform": "company", "firmenname": "X"}}


def keys(steps: Any) -> list[str]:
    return [step.key for step in steps]


def test_only_steps_with_a_visible_field_apply() -> None:
    spec = formdef.parse_definition(definition_with_company_step())
    assert keys(formdef.applicable_steps(spec, PERSON)) == ["person", "adresse", "nachweise"]
    assert keys(formdef.applicable_steps(spec, COMPANY)) == ["person", "firma", "adresse", "nachweise"]
    assert not formdef.step_applies(spec, "firma", PERSON)
    assert formdef.step_applies(spec, "firma", COMPANY)


def test_next_and_previous_skip_the_steps_that_do_not_apply() -> None:
    spec = formdef.parse_definition(definition_with_company_step())
    assert formdef.next_step(spec, "person", PERSON) == spec.step("adresse")
    assert formdef.next_step(spec, "person", COMPANY) == spec.step("firma")
    assert formdef.previous_step(spec, "adresse", PERSON) == spec.step("person")
    assert formdef.previous_step(spec, "adresse", COMPANY) == spec.step("firma")
    assert formdef.next_step(spec, "firma", PERSON) == spec.step("adresse")  # from a step that does not apply
    assert formdef.next_step(spec, "nachweise", PERSON) is None
    assert formdef.previous_step(spec, "person", PERSON) is None


def test_the_summary_leaves_out_steps_that_do_not_apply() -> None:
    spec = formdef.parse_definition(definition_with_company_step())
    assert keys(formdef.summary(spec, PERSON, "de")) == ["person", "adresse", "nachweise"]
    sections = formdef.summary(spec, COMPANY, "de")
    assert keys(sections) == ["person", "firma", "adresse", "nachweise"]
    assert [row.value for row in sections[1].rows] == ["X"]


# ---------------------------------------------------------------------------------------------- pages


@pytest.fixture
def service(db: None, municipality_a: Municipality) -> Service:
    with scopes_disabled():
        service, _form = online_service(municipality_a, definition=definition_with_company_step())
    return service


def progress(html: str) -> tuple[str, list[str]]:
    """The progress indicator's "Step n of m" and its list of step titles."""
    nav = re.search(r'<nav class="booking-steps".*?</nav>', html, re.S)
    assert nav is not None
    counter = re.search(r"<p>(.*?)</p>", nav.group(0), re.S)
    assert counter is not None
    items = re.findall(r"<li.*?</li>", nav.group(0))
    return counter.group(1).strip(), [re.sub(r"<.*?>", "", li).strip() for li in items]


PERSON_POST = {
    "person.vorname": "Erika",
    "person.familienname": "Mustermann",
    "person.email": "erika@example.org",
    "person.rechtsform": "person",
}


@pytest.mark.django_db
def test_a_private_person_never_sees_the_company_step(citizen_substantial: Client, service: Service) -> None:
    client = citizen_substantial
    draft = start(client, service)
    counter, titles = progress(client.get(step_url(draft, "person")).content.decode())
    assert "Angaben zum Unternehmen" not in titles and len(titles) == 4  # three steps and "check and submit"
    assert re.search(r"\b1\b.*\b4\b", counter)  # "Schritt 1 von 4": the summary counts as the last step

    response = post(client, step_url(draft, "person"), {**PERSON_POST, "_action": "next"})
    assert response["Location"] == step_url(draft, "adresse")
    counter, titles = progress(client.get(step_url(draft, "adresse")).content.decode())
    assert re.search(r"\b2\b.*\b4\b", counter)
    assert "Angaben zum Unternehmen" not in titles

    address = {"adresse.strasse": "Am Neumarkt 1", "adresse.plz": "41564", "adresse.ort": "Kaarst"}
    response = post(client, step_url(draft, "adresse"), {**address, "_action": "back"})
    assert response["Location"] == step_url(draft, "person")

    # An old bookmark of the company step leads on to the next step that applies.
    response = client.get(step_url(draft, "firma"))
    assert response.status_code == 302 and response["Location"] == step_url(draft, "adresse")

    summary = client.get(reverse("application_forms:summary", args=[draft.public_id])).content.decode()
    assert "Angaben zum Unternehmen" not in summary
    assert "Anschrift" in summary and step_url(draft, "firma") not in summary


@pytest.mark.django_db
def test_a_company_goes_through_the_company_step_both_ways(citizen_substantial: Client, service: Service) -> None:
    client = citizen_substantial
    draft = start(client, service)
    company = {**PERSON_POST, "person.rechtsform": "company", "_action": "next"}
    response = post(client, step_url(draft, "person"), company)
    assert response["Location"] == step_url(draft, "firma")
    page = client.get(step_url(draft, "firma"))
    assert page.status_code == 200
    counter, titles = progress(page.content.decode())
    assert re.search(r"\b2\b.*\b5\b", counter) and "Angaben zum Unternehmen" in titles

    response = post(client, step_url(draft, "firma"), {"person.firmenname": "Muster GmbH", "_action": "next"})
    assert response["Location"] == step_url(draft, "adresse")
    response = post(client, step_url(draft, "adresse"), {"adresse.plz": "41564", "_action": "back"})
    assert response["Location"] == step_url(draft, "firma")
    response = post(client, step_url(draft, "firma"), {"person.firmenname": "Muster GmbH", "_action": "back"})
    assert response["Location"] == step_url(draft, "person")

    summary = client.get(reverse("application_forms:summary", args=[draft.public_id])).content.decode()
    assert "Angaben zum Unternehmen" in summary and "Muster GmbH" in summary

    # Changing to a private person: the company name is dropped, and "Next" skips the step again.
    response = post(client, step_url(draft, "person"), {**PERSON_POST, "_action": "next"})
    assert response["Location"] == step_url(draft, "adresse")
    draft = Draft.objects.get(pk=draft.pk)
    assert "firmenname" not in draft.data["person"]
