"""The demo catalogue: real LeiKa keys, valid questionnaires and fees, and the offerings of the Rhein-Kreis Neuss."""

from __future__ import annotations

import csv
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from django.utils import translation

from buergerbuero.catalog.checklist import build_checklist
from buergerbuero.catalog.conditions import validate_condition, validate_questions
from buergerbuero.catalog.fees import quote, validate_fee
from buergerbuero.catalog.importer import read_file
from buergerbuero.catalog.models import (
    Category,
    DocumentRequirement,
    LifeSituation,
    OfferingHours,
    Service,
    ServiceOffering,
)
from buergerbuero.catalog.variants import variant
from buergerbuero.core.models import AuditEntry
from buergerbuero.core.tenancy import scopes_disabled
from buergerbuero.demo.catalog import CATALOG_PATH, offering_plan
from buergerbuero.demo.loader import load_demo

#: Real LeiKa keys of services the Munich reference does not list (Munich has no such service at its counters):
#: Hundesteuer Anmeldung, 99102013104000 in the LeiKa/FIM catalogue (e.g. Cologne's entry in the PVOG).
_KEYS_BEYOND_THE_REFERENCE = {"99102013104000"}


def _reference_keys() -> set[str]:
    path = Path(settings.SHARED_DATA_DIR) / "catalog" / "leika_services_reference.csv"
    with path.open(encoding="utf-8") as file:
        keys = {key.strip() for row in csv.DictReader(file) for key in row["leika_key"].split(",")}
    return keys | _KEYS_BEYOND_THE_REFERENCE


def test_it_ships_at_least_48_services_with_real_leika_keys_and_valid_rules() -> None:
    data = read_file(CATALOG_PATH)
    assert not data.errors
    assert len(data.services) >= 48
    keys = _reference_keys()
    for service in data.services:
        assert service.values["leika_key"] in keys, service.slug
        questions = service.values["questions"]
        validate_questions(questions)
        validate_fee(service.values["fee"], questions)
        for requirement in service.requirements or []:
            validate_condition(requirement.get("condition"), questions)
        assert service.values["online_url"] == ""
        assert service.values["summary_en"] and service.values["procedure_de"] and service.values["keywords"]


def test_it_has_questionnaires_for_the_services_citizens_ask_about_most() -> None:
    services = {service.slug: service for service in read_file(CATALOG_PATH).services}
    for slug in (
        "personalausweis",
        "reisepass",
        "wohnsitzanmeldung",
        "meldebescheinigung",
        "gewerbe-anmeldung",
        "gewerbe-ummeldung",
        "gewerbe-abmeldung",
        "fuehrungszeugnis",
        "bewohnerparkausweis",
        "eheschliessung-anmelden",
        "fahrzeug-zulassen",
        "fuehrerschein-umtauschen",
    ):
        record = services[slug]
        assert record.values["questions"], slug
        assert any(item.get("condition") for item in record.requirements or []), slug
    keys = {question["key"] for question in services["personalausweis"].values["questions"]}
    assert {"age", "application", "nationality", "on_behalf"} <= keys
    assert {q["key"] for q in services["gewerbe-abmeldung"].values["questions"]} >= {"legal_form"}


@pytest.fixture
def demo(db: None) -> Iterator[None]:
    load_demo()
    with scopes_disabled():
        yield


def _counts() -> dict[str, int]:
    return {
        "services": Service.objects.count(),
        "requirements": DocumentRequirement.objects.count(),
        "categories": Category.objects.count(),
        "life_situations": LifeSituation.objects.count(),
        "offerings": ServiceOffering.objects.count(),
        "hours": OfferingHours.objects.count(),
        "serves": ServiceOffering.serves.through.objects.count(),
        "audit": AuditEntry.objects.count(),
    }


@pytest.mark.usefixtures("demo")
def test_it_loads_the_catalogue_with_the_demo_and_again_without_changing_anything() -> None:
    first = _counts()
    assert first["services"] >= 48 and first["categories"] >= 8
    assert {
        "umzug",
        "gewerbe-gruenden",
        "kind-geboren",
        "heiraten",
        "auto-kaufen",
        "reisen-ins-ausland",
        "nach-deutschland-ziehen",
        "todesfall",
    } <= set(LifeSituation.objects.values_list("slug", flat=True))
    load_demo()
    assert _counts() == first


def _checklist(slug: str, answers: dict[str, Any]) -> list[str]:
    service = Service.objects.get(slug=slug)
    with translation.override("de"):
        checklist = build_checklist(variant(service), service.requirements.order_by("position"), answers)
    return [item.name for item in checklist.items]


@pytest.mark.usefixtures("demo")
def test_it_asks_a_naturalised_adult_for_the_naturalisation_certificate_and_the_foreign_passport() -> None:
    answers = {"age": 35, "application": "first", "nationality": "non_eu", "name_change": False, "on_behalf": False}
    items = _checklist("personalausweis", answers)
    assert items == [
        "Biometrisches Passfoto",
        "Geburtsurkunde oder beglaubigter Auszug aus dem Geburtsregister",
        "Einbürgerungsurkunde oder anderer Nachweis der deutschen Staatsangehörigkeit",
        "Ausländischer Reisepass",
    ]
    renewal = _checklist("personalausweis", {**answers, "application": "renewal", "nationality": "de"})
    assert renewal == ["Biometrisches Passfoto", "Bisheriger Personalausweis"]
    child = _checklist("personalausweis", {**answers, "age": 9, "nationality": "de"})
    assert "Einverständniserklärung aller Sorgeberechtigten" in child
    assert "Ausländischer Reisepass" not in child


@pytest.mark.usefixtures("demo")
def test_it_charges_the_real_fees_by_age() -> None:
    card = Service.objects.get(slug="personalausweis").fee
    passport = Service.objects.get(slug="reisepass").fee
    assert quote(card, {"age": 23}).minimum == Decimal("22.80")
    assert quote(card, {"age": 24}).minimum == Decimal("37.00")
    assert quote(passport, {"age": 18}).minimum == Decimal("37.50")
    assert quote(passport, {"age": 40}).minimum == Decimal("70.00")
    assert Service.objects.get(slug="fuehrungszeugnis").fee == {"kind": "fixed", "amount": "13.00"} | {
        k: v for k, v in Service.objects.get(slug="fuehrungszeugnis").fee.items() if k.startswith("note")
    }
    assert Service.objects.get(slug="wohnsitzanmeldung").fee["kind"] == "free"


@pytest.mark.usefixtures("demo")
def test_it_makes_the_offerings_of_the_towns_and_the_kreis_differ() -> None:
    def offering(town: str, slug: str) -> ServiceOffering | None:
        return ServiceOffering.objects.filter(municipality__slug=town, service__slug=slug).first()

    kaarst = offering("kaarst", "meldebescheinigung")
    assert kaarst is not None and kaarst.fee is not None and kaarst.note_de
    neuss = offering("neuss", "bewohnerparkausweis")
    assert neuss is not None and neuss.fee is not None and neuss.summary_de
    assert offering("rommerskirchen", "bewohnerparkausweis") is None
    assert offering("korschenbroich", "bewohnerparkausweis") is not None
    online = {
        o.municipality.slug: variant(o.service, o).online_application
        for o in ServiceOffering.objects.filter(service__slug="gewerbe-anmeldung")
    }
    assert online["kaarst"] and not online["grevenbroich"]
    hours = OfferingHours.objects.filter(offering=offering("grevenbroich", "gewerbe-anmeldung"))
    assert hours.count() == 5 and {h.closes.hour for h in hours} == {12}

    foreigners = offering("kreis", "aufenthaltserlaubnis-beschaeftigung")
    assert foreigners is not None
    served = set(foreigners.serves.values_list("slug", flat=True))
    assert served == {"grevenbroich", "juechen", "kaarst", "korschenbroich", "meerbusch", "rommerskirchen"}
    assert offering("neuss", "aufenthaltserlaubnis-beschaeftigung") is not None
    registration = offering("kreis", "fahrzeug-zulassen")
    assert registration is not None and registration.offices.count() == 2
    assert offering("kaarst", "fahrzeug-zulassen") is None
    assert not ServiceOffering.objects.filter(service__slug="kirchenaustritt").exists()


def test_it_plans_offerings_from_plain_data() -> None:
    plans = offering_plan(
        [("bewohnerparkausweis", "municipality", []), ("einbuergerung", "district", ["aufenthalt-und-einbuergerung"])],
        [("neuss", ["rathaus", "erfttal"]), ("rommerskirchen", ["rathaus"])],
    )
    assert [(p.municipality, p.service, p.offices) for p in plans] == [
        ("neuss", "bewohnerparkausweis", ("rathaus", "erfttal")),
        ("kreis", "einbuergerung", ("kreishaus-neuss",)),
        ("neuss", "einbuergerung", ("rathaus",)),
    ]
    assert plans[1].serves == ("rommerskirchen",)
