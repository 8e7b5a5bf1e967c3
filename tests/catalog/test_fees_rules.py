"""Fee rules: validation, quotes for answers and the one-line description (pure, no database)."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
from django.utils import translation
from hypothesis import given
from hypothesis import strategies as st

from buergerbuero.catalog.conditions import ConditionError
from buergerbuero.catalog.fees import describe, format_amount, quote, quote_range, validate_fee

QUESTIONS: list[dict[str, Any]] = [
    {"key": "age", "kind": "number", "label_de": "Alter"},
    {"key": "on_behalf", "kind": "boolean", "label_de": "Für jemand anderen"},
]
PASSPORT = {
    "kind": "rules",
    "rules": [
        {
            "when": {"q": "age", "op": "lt", "value": 24},
            "amount": "37.50",
            "label_de": "unter 24 Jahren",
            "label_en": "under 24",
        },
        {"when": {"q": "on_behalf", "op": "eq", "value": True}, "amount": "80", "label_de": "Vertretung"},
    ],
    "default": "70.00",
    "note_de": "Express gegen Aufpreis",
    "note_en": "Express at extra cost",
}


@pytest.fixture(autouse=True)
def _english() -> Any:
    with translation.override("en"):
        yield


def test_it_formats_amounts_the_way_each_language_writes_them() -> None:
    assert format_amount(Decimal("1234.5"), "de") == "1.234,50 €"
    assert format_amount(Decimal("37"), "de") == "37,00 €"
    assert format_amount(Decimal("1234.5"), "en") == "€1,234.50"


def test_it_quotes_the_first_matching_rule_with_its_label() -> None:
    young = quote(PASSPORT, {"age": 20, "on_behalf": True}, "de")
    assert (young.minimum, young.maximum, young.is_free) == (Decimal("37.50"), None, False)
    assert young.label == "unter 24 Jahren"
    assert young.note == "Express gegen Aufpreis"
    assert young.text == "37,50 € (unter 24 Jahren)"
    assert quote(PASSPORT, {"age": 30, "on_behalf": True}, "en").text == "€80.00 (Vertretung)"


def test_it_falls_back_to_the_default_when_no_rule_matches_or_answers_are_missing() -> None:
    assert quote(PASSPORT, {"age": 30}, "de").minimum == Decimal("70.00")
    assert quote(PASSPORT, {}, "de").minimum == Decimal("70.00")


def test_it_spans_every_possible_amount_for_incomplete_answers() -> None:
    span = quote_range(PASSPORT, "en")
    assert (span.minimum, span.maximum) == (Decimal("37.50"), Decimal("80"))
    assert span.text == "€37.50 to €80.00"


@pytest.mark.parametrize(
    ("fee", "german", "english"),
    [
        ({"kind": "free"}, None, "free of charge"),
        ({"kind": "fixed", "amount": "37.00"}, "37,00 €", "€37.00"),
        ({"kind": "range", "min": "10.00", "max": "50.00"}, None, "€10.00 to €50.00"),
        ({"kind": "fixed", "amount": "28.80", "note_de": "zzgl. Kennzeichen"}, "28,80 €; zzgl. Kennzeichen", None),
        ({}, "", ""),
        (None, "", ""),
        (
            {"kind": "rules", "rules": [{"when": None, "amount": "22.80", "label_en": "under 24"}], "default": "37"},
            None,
            "€22.80 (under 24) or €37.00",
        ),
    ],
)
def test_it_describes_a_fee_in_one_line(fee: Any, german: str | None, english: str | None) -> None:
    if german is not None:
        assert describe(fee, "de") == german
    if english is not None:
        assert describe(fee, "en") == english


def test_it_describes_several_rules_as_a_list() -> None:
    assert describe(PASSPORT, "en") == "€37.50 (under 24), €80.00 (Vertretung) or €70.00; Express at extra cost"


def test_it_calls_a_zero_fee_free() -> None:
    assert quote({"kind": "fixed", "amount": "0"}, {}).is_free
    assert quote({"kind": "free"}, {}).text == "free of charge"
    assert not quote({"kind": "range", "min": "0", "max": "5"}, {}).is_free


def test_it_accepts_the_valid_fee_kinds() -> None:
    for fee in (None, {}, {"kind": "free"}, {"kind": "fixed", "amount": "37.00"}, PASSPORT):
        validate_fee(fee, QUESTIONS)


@pytest.mark.parametrize(
    ("fee", "message"),
    [
        ([], "must be an object"),
        ({"kind": "gratis"}, "Unknown fee kind"),
        ({"kind": "fixed", "amount": "37,00"}, "“amount” must be an amount"),
        ({"kind": "fixed", "amount": "-1"}, "must be an amount"),
        ({"kind": "fixed", "amount": "1.234"}, "must be an amount"),
        ({"kind": "fixed", "amount": True}, "must be an amount"),
        ({"kind": "range", "min": "50", "max": "10"}, "lowest fee is higher"),
        ({"kind": "rules", "rules": [], "default": "1"}, "at least one rule"),
        ({"kind": "rules", "rules": [{"when": {"q": "x", "op": "eq", "value": 1}, "amount": "1"}]}, "Fee rule 1"),
        ({"kind": "rules", "rules": [{"when": None, "amount": "1"}]}, "“default” must be an amount"),
        ({"kind": "free", "note_de": 3}, "note must be text"),
    ],
)
def test_it_names_the_problem_of_an_invalid_fee(fee: Any, message: str) -> None:
    with pytest.raises(ConditionError, match=message):
        validate_fee(fee, QUESTIONS)


def test_it_quotes_a_broken_rule_as_unknown_instead_of_failing() -> None:
    broken = quote({"kind": "fixed", "amount": "abc"}, {})
    assert not broken.is_known
    assert broken.text == ""


_json = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=6),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=6), inner, max_size=3),
    max_leaves=10,
)


@given(_json)
def test_it_only_raises_condition_errors_validating_arbitrary_json(fee: Any) -> None:
    try:
        validate_fee(fee, QUESTIONS)
    except ConditionError:
        return
    assert isinstance(describe(fee, "de"), str)
    assert quote(fee, {"age": 3}).minimum is None or quote(fee, {}).minimum is not None
