"""The four non-trade online forms (Meldebescheinigung, Bewohnerparkausweis, Hundesteuer, Wohnsitzanmeldung)
and the catalogue rules they feed: each form parses, accepts a realistic complete application and names the
field of a typical mistake; fees come out as the catalogue says with the forms' own answers."""

from __future__ import annotations

import copy
import json
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from django.utils import translation

from buergerbuero.applications import formdef
from buergerbuero.applications.services.forms import FORMS_DIRECTORY
from buergerbuero.catalog.fees import quote
from buergerbuero.catalog.importer import read_file
from buergerbuero.demo.catalog import CATALOG_PATH, LOCAL_CHANGES

FILE = ["5b0f7f0e-8a53-4b4e-9d0c-0a5f3b1c2d3e"]

COMPLETE: dict[str, dict[str, Any]] = {
    "meldebescheinigung": {
        "person": {"vorname": "Erika", "familienname": "Mustermann", "geburtsdatum": "1964-08-12",
                   "email": "erika.mustermann@example.org"},
        "anschrift": {"strasse": "Neersener Straße 12", "plz": "41564", "ort": "Kaarst"},
        "bescheinigung": {"art": "simple"},
        "zweck": {"art": "child_benefit", "stelle": "Familienkasse Krefeld", "nachweis": FILE},
        "zustellung": {"art": "post"},
    },
    "bewohnerparkausweis": {
        "person": {"vorname": "Jonas", "familienname": "Schmitz", "geburtsdatum": "1991-03-05",
                   "email": "jonas.schmitz@example.org"},
        "wohnsitz": {"strasse": "Büchel 14", "plz": "41460", "ort": "Neuss", "hauptwohnsitz": True},
        "antrag": {"art": "first"},
        "fahrzeug": {"kennzeichen": "NE-JS 1991", "hersteller": "VW Golf", "halter": "company",
                     "halter_name": "Rheinland Software GmbH", "zulassung": FILE, "nutzungsnachweis": FILE},
    },
    "hundesteuer-anmeldung": {
        "halter": {"vorname": "Erika", "familienname": "Mustermann", "geburtsdatum": "1964-08-12",
                   "email": "erika.mustermann@example.org", "strasse": "Neersener Straße 12", "plz": "41564",
                   "ort": "Kaarst"},
        "hund": {"name": "Balu", "rasse": "Labrador-Mischling", "geschlecht": "ruede", "geburtsdatum": "2025-02-01",
                 "chipnummer": "276098106123456", "haltung_seit": "2026-03-15", "herkunft": "tierheim",
                 "listenhund": False},
        "steuer": {"beguenstigung": "tierheimhund", "nachweis": FILE},
        "zahlung": {"weise": "lastschrift", "kontoinhaber": "Erika Mustermann", "iban": "DE02 1203 0000 0000 2020 51",
                    "mandat": True},
    },
    "wohnsitzanmeldung": {
        "meldende_person": {"vorname": "Fatma", "familienname": "Yılmaz", "email": "fatma.yilmaz@example.org"},
        "neue_wohnung": {"strasse": "Kölner Straße 45", "plz": "41539", "ort": "Dormagen",
                         "einzugsdatum": "2026-03-28", "wohnungsstatus": "alleinige"},
        "bisherige_wohnung": {"ausland": False, "strasse": "Corneliusstraße 3", "plz": "40215", "ort": "Düsseldorf",
                              "beibehalten": "nein"},
        "personen": [
            {"familienname": "Yılmaz", "vornamen": "Fatma", "geburtsdatum": "1978-11-23", "geburtsort": "Izmir, Türkei",
             "geschlecht": "weiblich", "staatsangehoerigkeit": "deutsch", "familienstand": "verheiratet"},
            {"familienname": "Yılmaz", "vornamen": "Deniz", "geburtsdatum": "2012-06-02", "geburtsort": "Düsseldorf",
             "geschlecht": "maennlich", "staatsangehoerigkeit": "deutsch", "familienstand": "ledig",
             "religion": "keine"},
        ],
        "nachweise": {"wohnungsgeberbestaetigung": FILE},
    },
}  # fmt: skip

#: (service, change to the complete data, the path that must carry the error, words of the message)
MISTAKES = [
    ("meldebescheinigung", {"anschrift.plz": "4156"}, "anschrift.plz", "five digits"),
    ("meldebescheinigung", {"zweck.nachweis": []}, "zweck.nachweis", "upload"),
    ("meldebescheinigung", {"person.geburtsdatum": "1964-02-30"}, "person.geburtsdatum", "real date"),
    ("bewohnerparkausweis", {"fahrzeug.kennzeichen": "NEJS1991"}, "fahrzeug.kennzeichen", "expected form"),
    ("bewohnerparkausweis", {"wohnsitz.hauptwohnsitz": False}, "wohnsitz.hauptwohnsitz", "confirm"),
    ("bewohnerparkausweis", {"fahrzeug.nutzungsnachweis": None}, "fahrzeug.nutzungsnachweis", "upload"),
    ("hundesteuer-anmeldung", {"hund.chipnummer": "27609810612345"}, "hund.chipnummer", "expected form"),
    ("hundesteuer-anmeldung", {"zahlung.iban": "1203 0000 0000 2020 51"}, "zahlung.iban", "expected form"),
    ("hundesteuer-anmeldung", {"zahlung.mandat": False}, "zahlung.mandat", "confirm"),
    ("hundesteuer-anmeldung", {"steuer.nachweis": None}, "steuer.nachweis", "upload"),
    ("hundesteuer-anmeldung", {"hund.listenhund": True}, "hund.erlaubnis", "upload"),
    ("wohnsitzanmeldung", {"neue_wohnung.wohnungsstatus": "neben"}, "neue_wohnung.hauptwohnung", "enter"),
    ("wohnsitzanmeldung", {"nachweise.wohnungsgeberbestaetigung": []}, "nachweise.wohnungsgeberbestaetigung", "upload"),
    ("wohnsitzanmeldung", {"personen": []}, "personen", "at least"),
    ("wohnsitzanmeldung", {"bisherige_wohnung.plz": None}, "bisherige_wohnung.plz", "enter"),
]  # fmt: skip


def spec_of(slug: str) -> formdef.FormSpec:
    return formdef.parse_definition(json.loads((FORMS_DIRECTORY / f"{slug}.json").read_text(encoding="utf-8")))


def changed(data: dict[str, Any], changes: dict[str, Any]) -> dict[str, Any]:
    data = copy.deepcopy(data)
    for path, value in changes.items():
        if value is None:
            formdef.delete_value(data, path)
        else:
            formdef.set_value(data, path, value)
    return data


@pytest.mark.parametrize("slug", sorted(COMPLETE))
def test_it_accepts_a_realistic_complete_application(slug: str) -> None:
    spec = spec_of(slug)
    assert spec.service == slug and spec.title_en and all(step.title_en for step in spec.steps)
    with translation.override("en"):
        assert formdef.validate_all(spec, COMPLETE[slug]) == {}
    assert formdef.clean_data(spec, COMPLETE[slug]) == COMPLETE[slug]


@pytest.mark.parametrize(("slug", "changes", "path", "words"), MISTAKES)
def test_it_names_the_field_of_a_typical_mistake(slug: str, changes: dict[str, Any], path: str, words: str) -> None:
    with translation.override("en"):
        errors = formdef.validate_all(spec_of(slug), changed(COMPLETE[slug], changes))
    assert path in errors, errors
    assert words in " ".join(errors[path]), errors[path]


def test_it_drops_hidden_answers_before_validation() -> None:
    spec = spec_of("hundesteuer-anmeldung")
    data = changed(COMPLETE["hundesteuer-anmeldung"], {"zahlung.weise": "ueberweisung", "zahlung.iban": "kaputt"})
    cleaned = formdef.clean_data(spec, data)
    assert "iban" not in cleaned["zahlung"] and "mandat" not in cleaned["zahlung"]
    assert formdef.validate_all(spec, data) == {}


def test_every_english_label_is_there_and_the_routing_is_the_home_postcode() -> None:
    routing = {"meldebescheinigung": "anschrift.plz", "bewohnerparkausweis": "wohnsitz.plz",
               "hundesteuer-anmeldung": "halter.plz", "wohnsitzanmeldung": "neue_wohnung.plz"}  # fmt: skip
    for slug, path in routing.items():
        spec = spec_of(slug)
        assert spec.routing == path
        assert formdef.routing_postcode(spec, COMPLETE[slug]) == formdef.get_value(COMPLETE[slug], path)
        for field in spec.fields_by_path.values():
            assert field.label_en, (slug, field.path)
            assert all(option.label_en for option in field.options), (slug, field.path)


def _fee_rules() -> dict[str, Any]:
    return {service.slug: service.values["fee"] for service in read_file(CATALOG_PATH).services}


def fee(slug: str, answers: dict[str, Any], rule: Any = None) -> Decimal | None:
    return quote(rule or _fee_rules()[slug], answers).minimum


def test_the_meldebescheinigung_is_free_for_child_benefit_with_the_forms_answers() -> None:
    spec, data = spec_of("meldebescheinigung"), COMPLETE["meldebescheinigung"]
    assert formdef.fee_answers(spec, data) == {"certificate": "simple", "purpose": "child_benefit"}
    assert fee("meldebescheinigung", formdef.fee_answers(spec, data)) == Decimal("0.00")
    employer = changed(data, {"zweck.art": "other", "zweck.stelle": None, "zweck.nachweis": None})
    assert fee("meldebescheinigung", formdef.fee_answers(spec, employer)) == Decimal("9.00")
    kaarst = LOCAL_CHANGES[("kaarst", "meldebescheinigung")]["fee"]
    assert fee("", {"purpose": "child_benefit"}, kaarst) == Decimal("0.00")
    assert fee("", {"purpose": "other_benefit"}, kaarst) == Decimal("9.00")


@pytest.mark.parametrize("slug", ["gewerbe-anmeldung", "gewerbe-ummeldung"])
def test_a_trade_notice_costs_33_euros_for_a_company_and_26_otherwise(slug: str) -> None:
    spec = spec_of(slug)
    legal_form = spec.fee_answer_paths["legal_form"]
    for value, amount in (("company", "33.00"), ("person", "26.00")):
        data: dict[str, Any] = {}
        formdef.set_value(data, legal_form, value)
        assert fee(slug, formdef.fee_answers(spec, data)) == Decimal(amount), value


def test_the_other_online_services_cost_what_the_catalogue_says() -> None:
    rules = _fee_rules()
    assert quote(rules["hundesteuer-anmeldung"], {}).is_free and quote(rules["wohnsitzanmeldung"], {}).is_free
    assert fee("bewohnerparkausweis", {}) == Decimal("30.70")
    hund = read_file(CATALOG_PATH).services
    record = next(service for service in hund if service.slug == "hundesteuer-anmeldung")
    assert record.values["leika_key"] == "99102013104000" and "Hundesteuersatzung" in record.values["legal_basis"]
    assert Path(FORMS_DIRECTORY / "hundesteuer-anmeldung.json").exists()
