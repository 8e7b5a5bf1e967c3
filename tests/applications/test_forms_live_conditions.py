"""Conditional fields carry their condition to the page: which conditions the browser gets (answers from
other steps decided by the server, item-relative paths in repeats) and how the step page renders them."""

from __future__ import annotations

import copy
import json
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse
from lxml import html

from buergerbuero.applications import formdef
from buergerbuero.applications.formdef_live import FALSE, TRUE, item_paths, live_condition, page_paths
from buergerbuero.applications.models import Draft
from buergerbuero.catalog.models import Service
from buergerbuero.core.tenancy import scopes_disabled
from buergerbuero.tenants.models import Municipality
from tests.applications.factories import SAMPLE_DEFINITION, online_service
from tests.applications.test_forms_engine import REPEAT_DEFINITION
from tests.applications.test_forms_views import post, start, step_url

COMPANY = {"q": "person.rechtsform", "op": "eq", "value": "company"}


def sample_with(condition: Any) -> formdef.FormSpec:
    """The sample form with ``condition`` on the remarks field of the documents step."""
    definition = copy.deepcopy(SAMPLE_DEFINITION)
    definition["steps"][2]["fields"][1]["when"] = condition
    return formdef.parse_definition(definition)


# ---------------------------------------------------------------------------------------------- pure


def test_a_condition_on_an_answer_of_the_same_page_goes_to_the_page_unchanged() -> None:
    spec = formdef.parse_definition(SAMPLE_DEFINITION)
    person = spec.steps[0]
    assert page_paths(person) == {
        "person.vorname",
        "person.familienname",
        "person.email",
        "person.geburtsdatum",
        "person.rechtsform",
        "person.firmenname",
    }
    company_name = spec.field("person.firmenname")
    assert company_name is not None
    assert live_condition(company_name, {}, page=page_paths(person)) == COMPANY
    assert live_condition(company_name, {"person": {"rechtsform": "company"}}, page=page_paths(person)) == COMPANY
    # Fields without a condition have nothing to evaluate.
    given_name = spec.field("person.vorname")
    assert given_name is not None and live_condition(given_name, {}, page=page_paths(person)) is None


def test_answers_from_other_steps_are_decided_by_the_server() -> None:
    page_leaf = {"q": "bemerkung", "op": "ne", "value": "x"}
    spec = sample_with({"all": [COMPANY, page_leaf]})
    documents = spec.steps[2]
    remarks = spec.field("bemerkung")
    assert remarks is not None
    page = page_paths(documents)
    assert page == {"bemerkung"}  # the file field is not an input the browser can read
    # The legal form is answered on the first page: true leaves fold away, a false one decides the group.
    assert live_condition(remarks, {"person": {"rechtsform": "company"}}, page=page) == page_leaf
    assert live_condition(remarks, {"person": {"rechtsform": "person"}}, page=page) is None
    # "any": a true answer from elsewhere decides; a false one leaves the page's part.
    spec = sample_with({"any": [COMPANY, page_leaf]})
    remarks = spec.field("bemerkung")
    assert remarks is not None
    assert live_condition(remarks, {"person": {"rechtsform": "company"}}, page=page) is None
    assert live_condition(remarks, {"person": {"rechtsform": "person"}}, page=page) == page_leaf
    # "not" of a decided leaf is decided too; nested groups keep only what the page answers.
    not_y = {"not": {"q": "bemerkung", "op": "eq", "value": "y"}}
    spec = sample_with({"any": [{"not": COMPANY}, {"all": [page_leaf, not_y]}]})
    remarks = spec.field("bemerkung")
    assert remarks is not None
    assert live_condition(remarks, {"person": {"rechtsform": "person"}}, page=page) is None
    assert live_condition(remarks, {"person": {"rechtsform": "company"}}, page=page) == {"all": [page_leaf, not_y]}
    # A condition only about other pages is the server's, as before.
    spec = sample_with(COMPANY)
    remarks = spec.field("bemerkung")
    assert remarks is not None
    assert live_condition(remarks, {"person": {"rechtsform": "company"}}, page=page) is None
    assert TRUE == {"all": []} and FALSE == {"any": []}


def test_inside_a_repeat_item_paths_stay_relative_to_the_item() -> None:
    spec = formdef.parse_definition(REPEAT_DEFINITION)
    repeat = spec.field("personen")
    assert repeat is not None
    guardian = next(sub for sub in repeat.fields if sub.path == "vormund")
    in_item = item_paths(repeat)
    assert in_item == {"name", "alter", "minderjaehrig", "vormund"}
    page = page_paths(spec.steps[0])
    assert page == {"plz"}
    condition = live_condition(guardian, {}, page=page, item={}, in_item=in_item)
    assert condition == {"q": "minderjaehrig", "op": "eq", "value": True}


# ---------------------------------------------------------------------------------------------- the page


@pytest.fixture
def service(municipality_a: Municipality) -> Service:
    with scopes_disabled():
        service, _form = online_service(municipality_a)
    return service


def wrapper(page: Any, name: str) -> Any:
    found = page.xpath(f'//form[@data-conditions]//div[@data-field="{name}"]')
    assert len(found) == 1, f"no single wrapper for {name}"
    return found[0]


@pytest.mark.django_db
def test_the_step_page_carries_the_condition_and_renders_the_hidden_field_hidden(
    citizen_substantial: Client, service: Service
) -> None:
    client = citizen_substantial
    draft = start(client, service)
    response = client.get(step_url(draft, "person"))
    assert response.status_code == 200
    page = html.fromstring(response.content)
    company_name = wrapper(page, "person.firmenname")
    assert json.loads(company_name.get("data-when")) == COMPANY
    assert company_name.get("hidden") is not None
    assert company_name.get("data-widget") == "text"
    assert company_name.xpath('.//input[@name="person.firmenname"]')
    legal_form = wrapper(page, "person.rechtsform")
    assert legal_form.get("data-widget") == "radio" and legal_form.get("data-when") is None
    assert legal_form.get("hidden") is None
    # The script and its style come from our origin, no inline code.
    assert page.xpath('//script[contains(@src, "applications/conditions.js")][@defer]')
    assert not page.xpath("//script[not(@src)]")
    assert page.xpath('//link[contains(@href, "applications/forms.css")]')

    # As a company, the field is shown (still with its condition, so it can disappear again).
    response = post(
        client,
        step_url(draft, "person"),
        {
            "person.vorname": "Erika",
            "person.familienname": "Mustermann",
            "person.email": "erika@example.org",
            "person.rechtsform": "company",
            "person.firmenname": "Muster GmbH",
            "_action": "save",
        },
    )
    assert response.status_code == 302
    company_name = wrapper(html.fromstring(client.get(step_url(draft, "person")).content), "person.firmenname")
    assert company_name.get("hidden") is None
    assert json.loads(company_name.get("data-when")) == COMPANY
    assert company_name.xpath('.//input[@name="person.firmenname"]/@value') == ["Muster GmbH"]

    # A hidden field's posted value is dropped by the server whatever the browser sends.
    post(
        client,
        step_url(draft, "person"),
        {
            "person.vorname": "Erika",
            "person.familienname": "Mustermann",
            "person.email": "erika@example.org",
            "person.rechtsform": "person",
            "person.firmenname": "Muster GmbH",
            "_action": "next",
        },
    )
    draft = Draft.objects.get(pk=draft.pk)
    assert "firmenname" not in draft.data["person"]
    # A step without conditions has no condition attributes.
    address = html.fromstring(client.get(step_url(draft, "adresse")).content)
    assert not address.xpath("//*[@data-when]")
    assert address.xpath('//div[@data-field="adresse.plz"][@data-widget="postcode"]')


@pytest.mark.django_db
def test_repeat_items_carry_their_prefix(citizen_substantial: Client, municipality_a: Municipality) -> None:
    with scopes_disabled():
        service, _form = online_service(municipality_a, slug="personen", definition=REPEAT_DEFINITION)
    client = citizen_substantial
    response = post(client, reverse("application_forms:start", args=[service.slug]))
    assert response.status_code == 302
    page = html.fromstring(client.get(response["Location"]).content)
    guardian = wrapper(page, "personen.0.vormund")
    assert json.loads(guardian.get("data-when")) == {"q": "minderjaehrig", "op": "eq", "value": True}
    assert guardian.get("data-when-scope") == "personen.0."
    assert guardian.get("hidden") is not None
    assert wrapper(page, "personen.0.minderjaehrig").get("data-widget") == "checkbox"
