"""The pure form engine: reading definitions, conditions, validation messages, posted forms, summaries."""

from __future__ import annotations

import copy
from typing import Any

import pytest
from django.utils import translation
from django.utils.datastructures import MultiValueDict

from buergerbuero.applications import formdef
from buergerbuero.applications.formdef import DefinitionError, parse_definition
from tests.applications.factories import SAMPLE_DATA, SAMPLE_DEFINITION


def sample() -> dict[str, Any]:
    return copy.deepcopy(SAMPLE_DEFINITION)


def data() -> dict[str, Any]:
    result = copy.deepcopy(SAMPLE_DATA)
    result["nachweise"]["ausweis"] = ["a1"]
    return result


REPEAT_DEFINITION: dict[str, Any] = {
    "format": "buergerbuero-form/1",
    "service": "personen",
    "title_de": "Personen",
    "routing": "plz",
    "applicant": {"name": ["personen.0.name"]},
    "schema": {
        "type": "object",
        "additionalProperties": False,
        "required": ["plz", "personen"],
        "properties": {
            "plz": {"type": "string", "pattern": "^[0-9]{5}$"},
            "personen": {
                "type": "array",
                "minItems": 1,
                "maxItems": 3,
                "items": {
                    "type": "object",
                    "additionalProperties": False,
                    "required": ["name"],
                    "properties": {
                        "name": {"type": "string", "minLength": 1, "maxLength": 5},
                        "alter": {"type": "integer", "minimum": 0},
                        "minderjaehrig": {"type": "boolean"},
                        "vormund": {"type": "string"},
                    },
                },
            },
        },
    },
    "steps": [
        {
            "key": "personen",
            "title_de": "Personen",
            "fields": [
                {"path": "plz", "widget": "postcode", "label_de": "PLZ"},
                {
                    "path": "personen",
                    "widget": "repeat",
                    "label_de": "Personen",
                    "item_label_de": "Person",
                    "min_items": 1,
                    "max_items": 3,
                    "fields": [
                        {"path": "name", "widget": "text", "label_de": "Name"},
                        {"path": "alter", "widget": "number", "label_de": "Alter"},
                        {"path": "minderjaehrig", "widget": "checkbox", "label_de": "Minderjährig"},
                        {
                            "path": "vormund",
                            "widget": "text",
                            "label_de": "Vormund",
                            "when": {"q": "minderjaehrig", "op": "eq", "value": True},
                        },
                    ],
                },
            ],
        }
    ],
}


@pytest.fixture(autouse=True)
def german() -> Any:
    with translation.override("de"):
        yield


def test_it_reads_the_sample_definition() -> None:
    spec = parse_definition(sample())
    assert [step.key for step in spec.steps] == ["person", "adresse", "nachweise"]
    assert spec.routing == "adresse.plz"
    assert spec.field("person.rechtsform") is not None
    assert spec.field("person.rechtsform").options[1].label("en") == "company"  # type: ignore[union-attr]
    assert spec.step_of_path["nachweise.ausweis"] == "nachweise"


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        (lambda d: d["steps"][0]["fields"][0].update(widget="slider"), "unknown widget “slider”"),
        (lambda d: d["steps"][0]["fields"][0].update(path="person.rufname"), "“person.rufname” is missing"),
        (lambda d: d["steps"][1]["fields"].append(dict(d["steps"][1]["fields"][0])), "“adresse.strasse” is used twice"),
        (
            lambda d: d["steps"][0]["fields"][5].update(when={"q": "person.gibtsnicht", "op": "eq", "value": 1}),
            "“person.gibtsnicht” is not a field",
        ),
        (lambda d: d["steps"][0]["fields"][5].update(when={"q": "person.rechtsform", "op": "like"}), "q, op and value"),
        (lambda d: d["schema"].update(type="objekt"), "JSON Schema is invalid"),
        (lambda d: d.update(routing="adresse.ort2"), "“routing”"),
        (lambda d: d["steps"][0]["fields"][0].update(prefill="user.password"), "unknown “user.password”"),
        (lambda d: d["steps"][0]["fields"][4].update(options=[]), "needs options"),
    ],
)
def test_it_refuses_broken_definitions_with_a_readable_message(change: Any, expected: str) -> None:
    definition = sample()
    change(definition)
    with translation.override("en"), pytest.raises(DefinitionError) as raised:
        parse_definition(definition)
    assert any(expected in message for message in raised.value.errors), raised.value.errors


def test_it_collects_every_problem_at_once() -> None:
    definition = sample()
    definition["steps"][0]["fields"][0]["widget"] = "slider"
    definition["routing"] = "nope"
    with pytest.raises(DefinitionError) as raised:
        parse_definition(definition)
    assert len(raised.value.errors) == 2


def test_it_hides_conditional_fields_and_drops_their_values() -> None:
    spec = parse_definition(sample())
    values = data()
    values["person"]["firmenname"] = "ACME GmbH"
    values["_ags"] = "05162016"
    assert "person.firmenname" not in [f.path for f in formdef.visible_fields(spec, "person", values)]
    cleaned = formdef.clean_data(spec, values)
    assert "firmenname" not in cleaned["person"]
    assert "_ags" not in cleaned
    values["person"]["rechtsform"] = "company"
    assert "person.firmenname" in [f.path for f in formdef.visible_fields(spec, "person", values)]
    assert formdef.clean_data(spec, values)["person"]["firmenname"] == "ACME GmbH"


def test_complete_data_has_no_errors() -> None:
    assert formdef.validate_all(parse_definition(sample()), data()) == {}


def test_it_says_what_is_missing_per_field() -> None:
    spec = parse_definition(sample())
    values = data()
    del values["person"]["vorname"]
    values["nachweise"]["ausweis"] = []
    values["person"]["rechtsform"] = "company"
    with translation.override("en"):
        errors = formdef.validate_all(spec, values)
    assert errors["person.vorname"] == ["Please enter “Given name”."]
    with translation.override("de"):
        assert formdef.validate_all(spec, values)["person.vorname"] == ["Bitte füllen Sie „Vorname“ aus."]
    assert "person.firmenname" in errors
    assert "nachweise.ausweis" in errors
    assert "Identity card" in errors["nachweise.ausweis"][0]


def test_it_explains_each_kind_of_error() -> None:
    spec = parse_definition(sample())
    values = data()
    values["adresse"]["plz"] = "4156"
    values["person"]["email"] = "erika.example.org"
    values["person"]["geburtsdatum"] = "1990-02-31"
    values["person"]["rechtsform"] = "verein"
    values["bemerkung"] = "x" * 2001
    with translation.override("en"):
        errors = formdef.validate_all(spec, values)
    assert errors["adresse.plz"] == ["The postcode has five digits, for example 41564."]
    assert errors["person.email"] == ["Please enter an e-mail address in the form name@example.de."]
    assert "DD.MM.YYYY" in errors["person.geburtsdatum"][0]
    assert "options" in errors["person.rechtsform"][0]
    assert errors["bemerkung"] == ["Please enter at most 2000 characters (you entered 2001)."]


def test_an_email_without_a_domain_is_refused() -> None:
    spec = parse_definition(sample())
    values = data()
    values["person"]["email"] = "erika@localhost"
    assert "person.email" in formdef.validate_all(spec, values)


def test_validate_step_reports_only_that_step() -> None:
    spec = parse_definition(sample())
    values = data()
    del values["adresse"]
    del values["person"]["vorname"]
    assert set(formdef.validate_step(spec, "person", values)) == {"person.vorname"}
    assert set(formdef.validate_step(spec, "adresse", values)) == {"adresse.strasse", "adresse.plz", "adresse.ort"}
    assert formdef.validate_step(spec, "nachweise", values) == {}


def test_paths_reach_into_repeat_items() -> None:
    values: dict[str, Any] = {}
    formdef.set_value(values, "personen.1.name", "Ada")
    assert values == {"personen": [{}, {"name": "Ada"}]}
    assert formdef.get_value(values, "personen.1.name") == "Ada"
    assert formdef.get_value(values, "personen.5.name") is None
    formdef.delete_value(values, "personen.1.name")
    assert values == {"personen": [{}, {}]}


def test_repeat_items_are_validated_and_their_conditions_apply_per_item() -> None:
    spec = parse_definition(copy.deepcopy(REPEAT_DEFINITION))
    values = {
        "plz": "41564",
        "personen": [
            {"name": "Ada", "minderjaehrig": False, "vormund": "dropped"},
            {"alter": -1, "minderjaehrig": True, "vormund": "Bob"},
        ],
    }
    cleaned = formdef.clean_data(spec, values)
    assert "vormund" not in cleaned["personen"][0]
    assert cleaned["personen"][1]["vormund"] == "Bob"
    with translation.override("en"):
        errors = formdef.validate_all(spec, values)
    assert errors["personen.1.name"] == ["Please enter “Name”."]
    assert errors["personen.1.alter"] == ["Please enter a number of at least 0."]
    with translation.override("en"):
        errors = formdef.validate_all(spec, {"plz": "41564", "personen": []})
    assert errors["personen"] == ["Please add at least 1 entries."]


def test_parse_post_builds_typed_nested_data() -> None:
    spec = parse_definition(copy.deepcopy(REPEAT_DEFINITION))
    post = MultiValueDict(
        {
            "plz": [" 41 564 "],
            "personen-count": ["2"],
            "personen.0.name": ["Ada"],
            "personen.0.alter": ["36"],
            "personen.0.minderjaehrig": ["true"],
            "personen.1.name": ["  "],
            "personen.1.alter": ["zwölf"],
        }
    )
    assert formdef.parse_post(spec, "personen", post) == {
        "plz": "41564",
        "personen": [
            {"name": "Ada", "alter": 36, "minderjaehrig": True},
            {"alter": "zwölf", "minderjaehrig": False},
        ],
    }
    with translation.override("en"):
        errors = formdef.validate_all(spec, formdef.parse_post(spec, "personen", post))
    assert errors["personen.1.alter"] == ["Please enter a whole number."]


def test_parse_post_reads_german_dates_and_leaves_file_fields_alone() -> None:
    spec = parse_definition(sample())
    post = MultiValueDict({"person.geburtsdatum": ["07.03.1990"], "person.vorname": [""]})
    assert formdef.parse_post(spec, "person", post) == {"person": {"geburtsdatum": "1990-03-07"}}
    assert formdef.parse_post(spec, "nachweise", MultiValueDict({"nachweise.ausweis": ["x"]})) == {}


def test_prefill_copies_the_account() -> None:
    import datetime as dt

    class Citizen:
        first_name = "Erika"
        last_name = "Mustermann"
        email = "erika@example.org"
        street = "Am Neumarkt 1"
        postcode = "41564"
        city = ""
        birth_date = dt.date(1990, 3, 7)
        phone = ""

    values = formdef.prefill(parse_definition(sample()), Citizen())
    assert values == {
        "person": {
            "vorname": "Erika",
            "familienname": "Mustermann",
            "email": "erika@example.org",
            "geburtsdatum": "1990-03-07",
        },
        "adresse": {"strasse": "Am Neumarkt 1", "plz": "41564"},
    }


def test_it_reads_routing_applicant_and_fee_answers() -> None:
    spec = parse_definition(sample())
    values = data()
    assert formdef.routing_postcode(spec, values) == "41564"
    assert formdef.applicant_name(spec, values) == "Erika Mustermann"
    assert formdef.applicant_email(spec, values) == "erika@example.org"
    assert formdef.fee_answers(spec, values) == {"legal_form": "person"}


def test_the_summary_shows_labels_and_readable_values() -> None:
    spec = parse_definition(sample())
    values = data()
    values["person"]["geburtsdatum"] = "1990-03-07"
    sections = formdef.summary(spec, values, "de", {"a1": "ausweis.pdf"})
    assert [section.title for section in sections] == ["Angaben zur Person", "Anschrift", "Nachweise"]
    rows = {row.path: row for section in sections for row in section.rows}
    assert rows["person.geburtsdatum"].value == "07.03.1990"
    assert rows["person.rechtsform"].value == "Privatperson"
    assert rows["nachweise.ausweis"].value == "ausweis.pdf"
    assert rows["bemerkung"].value == "–"
    assert "person.firmenname" not in rows  # hidden
    english = formdef.summary(spec, values, "en", {"a1": "ausweis.pdf"})
    assert english[0].rows[0].label == "Given name"
    assert {row.path: row for row in english[0].rows}["person.rechtsform"].value == "private person"


def test_the_summary_lists_repeat_items_and_booleans() -> None:
    spec = parse_definition(copy.deepcopy(REPEAT_DEFINITION))
    values = {"plz": "41564", "personen": [{"name": "Ada", "minderjaehrig": True, "vormund": "Bob"}]}
    with translation.override("de"):
        rows = {row.path: row for row in formdef.summary(spec, values, "de")[0].rows}
    assert rows["personen.0.name"].label == "Person 1: Name"
    assert rows["personen.0.vormund"].value == "Bob"
    assert rows["personen.0.minderjaehrig"].value == "Ja"
