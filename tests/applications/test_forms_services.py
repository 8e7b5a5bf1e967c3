"""Drafts and form versions: saving invalid data, routing to the responsible municipality, publishing."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest
from django.utils import translation

from buergerbuero.applications.constants import FormStatus
from buergerbuero.applications.formdef import DefinitionError
from buergerbuero.applications.models import Draft, FormDefinition
from buergerbuero.applications.selectors_forms import draft_of_citizen, form_versions, published_form
from buergerbuero.applications.services import ApplicationError
from buergerbuero.applications.services.drafts import discard_draft, save_step, start_draft
from buergerbuero.applications.services.forms import (
    create_form_version,
    load_form_file,
    load_form_files,
    publish_form_version,
)
from buergerbuero.catalog.models import PostcodeArea, ServiceOffering
from buergerbuero.core.models import AuditEntry
from buergerbuero.tenants.models import Municipality
from tests.applications.factories import SAMPLE_DEFINITION, CitizenFactory, online_service

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("kreis_scope")]


@pytest.fixture(autouse=True)
def english() -> Any:
    with translation.override("en"):
        yield


def test_a_new_draft_is_prefilled_from_the_account(municipality_a: Municipality) -> None:
    service, form = online_service(municipality_a)
    citizen = CitizenFactory()
    draft = start_draft(citizen=citizen, service=service)
    assert draft.form == form
    assert draft.step == "person"
    assert draft.data["person"]["vorname"] == "Erika"
    assert draft.data["adresse"] == {"strasse": "Am Neumarkt 1", "plz": "41564", "ort": "Kaarst"}


def test_a_service_without_a_published_form_cannot_be_started(municipality_a: Municipality) -> None:
    service, form = online_service(municipality_a)
    FormDefinition.objects.filter(pk=form.pk).update(status=FormStatus.RETIRED)
    with pytest.raises(ApplicationError):
        start_draft(citizen=CitizenFactory(), service=service)


def test_invalid_data_is_saved_and_the_errors_are_reported(municipality_a: Municipality) -> None:
    service, _form = online_service(municipality_a)
    citizen = CitizenFactory()
    draft = start_draft(citizen=citizen, service=service)
    errors = save_step(
        draft=draft,
        citizen=citizen,
        step_key="person",
        data={"person": {"vorname": "Erika", "email": "not-an-address", "rechtsform": "company"}},
    )
    assert set(errors) == {"person.familienname", "person.email", "person.firmenname"}
    draft.refresh_from_db()
    assert draft.data["person"] == {"vorname": "Erika", "email": "not-an-address", "rechtsform": "company"}
    assert draft.data["adresse"]["plz"] == "41564"  # other steps untouched
    assert draft.step == "person"


def test_a_hidden_field_loses_its_value_on_save(municipality_a: Municipality) -> None:
    service, _form = online_service(municipality_a)
    citizen = CitizenFactory()
    draft = start_draft(citizen=citizen, service=service)
    person = {"vorname": "E", "familienname": "M", "email": "e@example.org", "rechtsform": "person"}
    errors = save_step(draft=draft, citizen=citizen, step_key="person", data={"person": {**person, "firmenname": "X"}})
    assert errors == {}
    draft.refresh_from_db()
    assert "firmenname" not in draft.data["person"]


def test_the_address_step_routes_to_the_responsible_municipality(municipality_a: Municipality) -> None:
    service, _form = online_service(municipality_a)
    citizen = CitizenFactory()
    draft = start_draft(citizen=citizen, service=service)
    address = {"adresse": {"strasse": "Am Neumarkt 1", "plz": "41564", "ort": "Kaarst"}}
    assert save_step(draft=draft, citizen=citizen, step_key="adresse", data=address) == {}
    draft.refresh_from_db()
    assert draft.municipality == municipality_a


def test_a_postcode_outside_the_kreis_is_refused_with_what_to_do(municipality_a: Municipality) -> None:
    service, _form = online_service(municipality_a)
    PostcodeArea.objects.create(postcode="50667", ags="05315000", place="Köln", state_name="Nordrhein-Westfalen")
    citizen = CitizenFactory()
    draft = start_draft(citizen=citizen, service=service)
    errors = save_step(
        draft=draft,
        citizen=citizen,
        step_key="adresse",
        data={"adresse": {"strasse": "Dom 1", "plz": "50667", "ort": "Köln"}},
    )
    assert "Köln" in errors["adresse.plz"][0]
    assert "apply there" in errors["adresse.plz"][0]
    draft.refresh_from_db()
    assert draft.municipality is None
    assert draft.data["adresse"]["plz"] == "50667"


def test_a_municipality_that_does_not_offer_it_online_says_so(
    municipality_a: Municipality, municipality_b: Municipality
) -> None:
    service, _form = online_service(municipality_a)
    PostcodeArea.objects.create(postcode="41363", ags=municipality_b.ags, place="Jüchen")
    citizen = CitizenFactory()
    draft = start_draft(citizen=citizen, service=service)
    errors = save_step(
        draft=draft,
        citizen=citizen,
        step_key="adresse",
        data={"adresse": {"strasse": "A 1", "plz": "41363", "ort": "Jüchen"}},
    )
    assert "does not take applications" in errors["adresse.plz"][0]
    ServiceOffering.objects.create(municipality=municipality_b, service=service, online_application=True)
    errors = save_step(
        draft=draft,
        citizen=citizen,
        step_key="adresse",
        data={"adresse": {"strasse": "A 1", "plz": "41363", "ort": "Jüchen"}},
    )
    assert errors == {}
    draft.refresh_from_db()
    assert draft.municipality == municipality_b


def test_a_shared_postcode_asks_for_the_municipality(
    municipality_a: Municipality, municipality_b: Municipality
) -> None:
    service, _form = online_service(municipality_a)
    PostcodeArea.objects.create(postcode="41564", ags=municipality_b.ags, place="Jüchen")
    citizen = CitizenFactory()
    draft = start_draft(citizen=citizen, service=service)
    address = {"adresse": {"strasse": "A 1", "plz": "41564", "ort": "Kaarst"}}
    errors = save_step(draft=draft, citizen=citizen, step_key="adresse", data=address)
    assert "several municipalities" in errors["adresse.plz"][0]
    assert (
        save_step(draft=draft, citizen=citizen, step_key="adresse", data={**address, "_ags": municipality_a.ags}) == {}
    )
    draft.refresh_from_db()
    assert draft.municipality == municipality_a
    assert draft.data["_ags"] == municipality_a.ags


def test_another_citizen_cannot_save_or_see_the_draft(municipality_a: Municipality) -> None:
    service, _form = online_service(municipality_a)
    owner, other = CitizenFactory(), CitizenFactory()
    draft = start_draft(citizen=owner, service=service)
    with pytest.raises(ApplicationError):
        save_step(draft=draft, citizen=other, step_key="person", data={})
    from django.http import Http404

    with pytest.raises(Http404):
        draft_of_citizen(other, draft.public_id)
    with pytest.raises(ApplicationError):
        discard_draft(draft=draft, citizen=other)
    discard_draft(draft=draft, citizen=owner)
    assert not Draft.objects.filter(pk=draft.pk).exists()


def test_publishing_a_new_version_keeps_old_drafts_working(municipality_a: Municipality, admin_a: Any) -> None:
    service, old = online_service(municipality_a)
    citizen = CitizenFactory()
    draft = start_draft(citizen=citizen, service=service)
    definition = copy.deepcopy(SAMPLE_DEFINITION)
    definition["service"] = service.slug
    definition["steps"][0]["title_de"] = "Über Sie"
    new = create_form_version(service=service, definition=definition, actor=admin_a)
    assert (new.version, new.status) == (2, FormStatus.DRAFT)
    publish_form_version(new, actor=admin_a)
    old.refresh_from_db()
    assert old.status == FormStatus.RETIRED
    assert published_form(service) == new
    assert AuditEntry.objects.filter(action="applications.form.published").count() == 1
    # the old draft is still on version 1 and can be saved
    assert save_step(draft=draft, citizen=citizen, step_key="adresse", data={"adresse": draft.data["adresse"]}) == {}
    draft.refresh_from_db()
    assert draft.form == old
    assert start_draft(citizen=citizen, service=service).form == new
    rows = form_versions(service)
    assert [(row.form.version, row.open_drafts) for row in rows] == [(2, 1), (1, 1)]


def test_an_invalid_version_is_refused(municipality_a: Municipality) -> None:
    service, _form = online_service(municipality_a)
    definition = dict(copy.deepcopy(SAMPLE_DEFINITION), service=service.slug, routing="nowhere")
    with pytest.raises(DefinitionError):
        create_form_version(service=service, definition=definition, actor=None)
    with pytest.raises(ApplicationError):
        create_form_version(
            service=service, definition=dict(definition, service="other", routing="adresse.plz"), actor=None
        )


def test_loading_form_files_is_idempotent(municipality_a: Municipality, tmp_path: Path) -> None:
    service, _form = online_service(municipality_a, slug="probe2")
    definition = dict(copy.deepcopy(SAMPLE_DEFINITION), service="probe2")
    (tmp_path / "probe2.json").write_text(json.dumps(definition), encoding="utf-8")
    first = load_form_files(tmp_path)
    assert [form.version for form in first] == [1]  # same as the published version: nothing new
    definition["title_de"] = "Neuer Titel"
    (tmp_path / "probe2.json").write_text(json.dumps(definition), encoding="utf-8")
    second = load_form_file(tmp_path / "probe2.json")
    assert (second.version, second.status) == (2, FormStatus.PUBLISHED)
    assert load_form_file(tmp_path / "probe2.json").pk == second.pk
    assert FormDefinition.objects.filter(service=service).count() == 2


def test_a_form_file_of_an_unknown_service_is_a_clear_error(tmp_path: Path, db: None) -> None:
    (tmp_path / "x.json").write_text(json.dumps(dict(SAMPLE_DEFINITION, service="gibtsnicht")), encoding="utf-8")
    with pytest.raises(ApplicationError, match="gibtsnicht"):
        load_form_files(tmp_path)
