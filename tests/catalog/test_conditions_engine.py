"""The condition engine: evaluation, validation and the staff text form (pure, no database)."""

from __future__ import annotations

import contextlib
import re
from typing import Any

import pytest
from django.utils import translation
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from buergerbuero.catalog.conditions import (
    MAX_DEPTH,
    ConditionError,
    evaluate,
    normalise,
    parse_text,
    to_text,
    validate_condition,
    validate_questions,
)

QUESTIONS: list[dict[str, Any]] = [
    {"key": "age", "kind": "number", "label_de": "Alter", "label_en": "Age", "min": 0, "max": 130},
    {
        "key": "nationality",
        "kind": "choice",
        "label_de": "Staatsangehörigkeit",
        "options": [
            {"value": "de", "label_de": "deutsch"},
            {"value": "eu", "label_de": "EU"},
            {"value": "non_eu", "label_de": "nicht EU"},
        ],
    },
    {
        "key": "application",
        "kind": "choice",
        "label_de": "Anlass",
        "options": [{"value": v, "label_de": v} for v in ("first", "renewal", "loss", "change", "Ja nein", "in")],
    },
    {"key": "on_behalf", "kind": "boolean", "label_de": "Für jemand anderen"},
    {"key": "name_change", "kind": "boolean", "label_de": "Namensänderung"},
]


@pytest.fixture(autouse=True)
def _english() -> Any:
    with translation.override("en"):
        yield


# ---------------------------------------------------------------------------------------------- evaluate


def test_it_holds_always_for_no_condition() -> None:
    assert evaluate(None, {}) is True


def test_it_treats_an_unanswered_leaf_as_false_even_for_ne_and_under_not() -> None:
    assert evaluate({"q": "age", "op": "ne", "value": 18}, {}) is False
    assert evaluate({"q": "age", "op": "gte", "value": 18}, {"age": None}) is False
    assert evaluate({"not": {"q": "age", "op": "gte", "value": 18}}, {}) is True


def test_it_compares_numbers_numerically_across_int_float_and_decimal() -> None:
    from decimal import Decimal

    assert evaluate({"q": "age", "op": "gte", "value": 18}, {"age": 18.0}) is True
    assert evaluate({"q": "age", "op": "lt", "value": 18}, {"age": Decimal("17.5")}) is True
    assert evaluate({"q": "age", "op": "eq", "value": 18.0}, {"age": 18}) is True
    assert evaluate({"q": "age", "op": "gt", "value": 9}, {"age": 10}) is True  # not "10" < "9" as text


def test_it_does_not_mix_booleans_numbers_and_text() -> None:
    assert evaluate({"q": "on_behalf", "op": "eq", "value": True}, {"on_behalf": 1}) is False
    assert evaluate({"q": "age", "op": "eq", "value": 18}, {"age": "18"}) is False
    assert evaluate({"q": "age", "op": "lt", "value": 18}, {"age": "a"}) is False


def test_it_checks_membership_with_in() -> None:
    condition = {"q": "nationality", "op": "in", "value": ["eu", "non_eu"]}
    assert evaluate(condition, {"nationality": "eu"}) is True
    assert evaluate(condition, {"nationality": "de"}) is False


def test_it_combines_with_all_any_and_not() -> None:
    adult_foreigner = parse_text("age >= 18 and nationality in (eu, non_eu)")
    assert evaluate(adult_foreigner, {"age": 30, "nationality": "eu"}) is True
    assert evaluate(adult_foreigner, {"age": 17, "nationality": "eu"}) is False
    assert evaluate({"all": []}, {}) is True
    assert evaluate({"any": []}, {}) is False


def test_it_refuses_to_evaluate_a_malformed_condition() -> None:
    with pytest.raises(ConditionError):
        evaluate({"q": "age", "op": "like", "value": 1}, {"age": 1})
    with pytest.raises(ConditionError):
        evaluate(["age"], {})


# ---------------------------------------------------------------------------------------------- validation


def test_it_accepts_a_good_questionnaire_and_conditions() -> None:
    validate_questions(QUESTIONS)
    validate_condition(parse_text("age >= 18 and not on_behalf or application in (first, loss)"), QUESTIONS)


@pytest.mark.parametrize(
    ("condition", "message"),
    [
        ({"q": "size", "op": "eq", "value": 1}, "unknown question “size”"),
        ({"q": "on_behalf", "op": "lt", "value": True}, "does not fit the boolean question"),
        ({"q": "application", "op": "gte", "value": "first"}, "does not fit the choice question"),
        ({"q": "application", "op": "eq", "value": "lost"}, "“lost” is not an option"),
        ({"q": "age", "op": "eq", "value": "18"}, "answered with a number"),
        ({"q": "age", "op": "eq", "value": float("nan")}, "answered with a number"),
        ({"q": "on_behalf", "op": "eq", "value": "yes"}, "yes or no"),
        ({"q": "nationality", "op": "in", "value": []}, "at least one value"),
        ({"all": []}, "at least one condition"),
        ({"q": "age", "op": "eq"}, "exactly the fields q, op and value"),
        ({"all": [{"q": "age", "op": "eq", "value": 1}], "any": []}, "exactly the fields"),
        ("age >= 18", "must be an object"),
    ],
)
def test_it_names_the_problem_of_an_invalid_condition(condition: Any, message: str) -> None:
    with pytest.raises(ConditionError, match=message):
        validate_condition(condition, QUESTIONS)


def test_it_limits_the_nesting_depth() -> None:
    condition: dict[str, Any] = {"q": "on_behalf", "op": "eq", "value": True}
    for _ in range(MAX_DEPTH):
        condition = {"not": condition}
    with pytest.raises(ConditionError, match="nested more than"):
        validate_condition(condition, QUESTIONS)


@pytest.mark.parametrize(
    ("questions", "message"),
    [
        ({"key": "age"}, "must be a list"),
        ([{"key": "age", "kind": "number", "label_de": "A"}] * 2, "used twice"),
        ([{"key": "2x", "kind": "number", "label_de": "A"}], "needs a key"),
        ([{"key": "and", "kind": "number", "label_de": "A"}], "needs a key"),
        ([{"key": "age", "kind": "date", "label_de": "A"}], "unknown kind"),
        ([{"key": "age", "kind": "number", "label_de": " "}], "German label"),
        ([{"key": "x", "kind": "choice", "label_de": "X", "options": []}], "at least one option"),
        ([{"key": "x", "kind": "choice", "label_de": "X", "options": [{"value": "a"}]}], "German label"),
        (
            [{"key": "x", "kind": "choice", "label_de": "X", "options": [{"value": "a", "label_de": "A"}] * 2}],
            "used twice",
        ),
        ([{"key": "age", "kind": "number", "label_de": "A", "min": 10, "max": 1}], "minimum is larger"),
    ],
)
def test_it_names_the_problem_of_an_invalid_questionnaire(questions: Any, message: str) -> None:
    with pytest.raises(ConditionError, match=message):
        validate_questions(questions)


# ---------------------------------------------------------------------------------------------- text form


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("", None),
        ("  ", None),
        ("not on_behalf", {"not": {"q": "on_behalf", "op": "eq", "value": True}}),
        (
            "age >= 18 und nationality in (eu, non_eu)",
            {
                "all": [
                    {"q": "age", "op": "gte", "value": 18},
                    {"q": "nationality", "op": "in", "value": ["eu", "non_eu"]},
                ]
            },
        ),
        (
            "a = x or b and c",
            {
                "any": [
                    {"q": "a", "op": "eq", "value": "x"},
                    {"all": [{"q": "b", "op": "eq", "value": True}, {"q": "c", "op": "eq", "value": True}]},
                ]
            },
        ),
        (
            "(a oder b) UND NICHT c",
            {
                "all": [
                    {"any": [{"q": "a", "op": "eq", "value": True}, {"q": "b", "op": "eq", "value": True}]},
                    {"not": {"q": "c", "op": "eq", "value": True}},
                ]
            },
        ),
        ("a = nein", {"q": "a", "op": "eq", "value": False}),
        ("a != 'x \"y\"'", {"q": "a", "op": "ne", "value": 'x "y"'}),
        ("age < -1.5", {"q": "age", "op": "lt", "value": -1.5}),
        ("x not in (1, 2)", {"not": {"q": "x", "op": "in", "value": [1, 2]}}),
        ("a and (b and c)", {"all": [{"q": k, "op": "eq", "value": True} for k in "abc"]}),
    ],
)
def test_it_parses_the_staff_text_form(text: str, expected: Any) -> None:
    assert parse_text(text) == expected


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("age >= 18)", "Unexpected ')' at position 10"),
        ("age >=", "ends too early; expected a value"),
        ("(age >= 18", "ends too early; expected “)”"),
        ("age # 18", "Unexpected '#' at position 5"),
        ("age >= 18abc", "Unexpected '18abc' at position 8"),
        ('a = "open', "no closing quote"),
        ("and b", "Unexpected 'and' at position 1"),
        ("a in ()", "expected a value"),
        ("a b", "Unexpected 'b' at position 3"),
        ("Größe = 1", "not a valid question key"),
        ("(" * 50 + "a" + ")" * 50, "nested more than"),
    ],
)
def test_it_says_where_a_condition_text_goes_wrong(text: str, message: str) -> None:
    with pytest.raises(ConditionError, match=re.escape(message)):
        parse_text(text)


def test_it_prints_with_minimal_parentheses() -> None:
    text = "a and (b or c) and not (d or e) or not not f"
    assert to_text(parse_text(text)) == text
    assert to_text(parse_text("((a)) or (b and c)")) == "a or b and c"
    assert to_text({"q": "application", "op": "eq", "value": "in"}) == 'application = "in"'
    assert to_text(None) == ""


# ---------------------------------------------------------------------------------------------- properties

_bool_keys = st.sampled_from(["on_behalf", "name_change"])
_choices = {
    "nationality": ["de", "eu", "non_eu"],
    "application": ["first", "renewal", "loss", "change", "Ja nein", "in"],
}
_numbers = st.one_of(st.integers(min_value=-(10**6), max_value=10**6), st.floats(allow_nan=False, allow_infinity=False))


@st.composite
def _leaf(draw: st.DrawFn) -> dict[str, Any]:
    kind = draw(st.sampled_from(["number", "choice", "boolean"]))
    if kind == "boolean":
        return {"q": draw(_bool_keys), "op": draw(st.sampled_from(["eq", "ne"])), "value": draw(st.booleans())}
    if kind == "number":
        op = draw(st.sampled_from(["eq", "ne", "lt", "lte", "gt", "gte", "in"]))
        value: Any = draw(st.lists(_numbers, min_size=1, max_size=3)) if op == "in" else draw(_numbers)
        return {"q": "age", "op": op, "value": value}
    key = draw(st.sampled_from(list(_choices)))
    op = draw(st.sampled_from(["eq", "ne", "in"]))
    options = st.sampled_from(_choices[key])
    value = draw(st.lists(options, min_size=1, max_size=3)) if op == "in" else draw(options)
    return {"q": key, "op": op, "value": value}


conditions = st.recursive(
    _leaf(),
    lambda inner: st.one_of(
        st.builds(lambda parts: {"all": parts}, st.lists(inner, min_size=1, max_size=3)),
        st.builds(lambda parts: {"any": parts}, st.lists(inner, min_size=1, max_size=3)),
        st.builds(lambda part: {"not": part}, inner),
    ),
    max_leaves=8,
).filter(lambda c: _depth(c) <= MAX_DEPTH)

_json = st.recursive(
    st.none() | st.booleans() | _numbers | st.text(max_size=8),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=6), inner, max_size=3),
    max_leaves=10,
)
answers = st.fixed_dictionaries(
    {},
    optional={
        "age": st.one_of(_numbers, st.none(), st.text(max_size=3), st.booleans()),
        "nationality": st.one_of(st.sampled_from(_choices["nationality"]), _json),
        "application": st.one_of(st.sampled_from(_choices["application"]), _json),
        "on_behalf": st.one_of(st.booleans(), _json),
        "name_change": st.booleans(),
    },
)


relaxed = settings(suppress_health_check=[HealthCheck.too_slow])


def _depth(condition: Any) -> int:
    if "not" in condition:
        return 1 + _depth(condition["not"])
    for group in ("all", "any"):
        if group in condition:
            return 1 + max(_depth(part) for part in condition[group])
    return 1


@relaxed
@given(conditions, answers)
def test_it_never_raises_evaluating_valid_conditions(condition: Any, given_answers: dict[str, Any]) -> None:
    validate_condition(condition, QUESTIONS)
    assert evaluate(condition, given_answers) in (True, False)


@relaxed
@given(conditions, conditions, answers)
def test_it_obeys_de_morgan_and_double_negation(a: Any, b: Any, given_answers: dict[str, Any]) -> None:
    assert evaluate({"not": {"all": [a, b]}}, given_answers) == evaluate(
        {"any": [{"not": a}, {"not": b}]}, given_answers
    )
    assert evaluate({"not": {"any": [a, b]}}, given_answers) == evaluate(
        {"all": [{"not": a}, {"not": b}]}, given_answers
    )
    assert evaluate({"not": {"not": a}}, given_answers) == evaluate(a, given_answers)


@relaxed
@given(conditions, answers)
def test_it_treats_empty_groups_as_identities(condition: Any, given_answers: dict[str, Any]) -> None:
    value = evaluate(condition, given_answers)
    assert evaluate({"all": [condition, {"all": []}]}, given_answers) == value
    assert evaluate({"any": [condition, {"any": []}]}, given_answers) == value
    assert evaluate({"all": [condition]}, given_answers) == evaluate({"any": [condition]}, given_answers) == value


@relaxed
@given(conditions)
def test_it_reads_back_what_it_prints(condition: Any) -> None:
    assert parse_text(to_text(condition)) == normalise(condition)


@relaxed
@given(conditions, answers)
def test_it_keeps_the_meaning_when_normalising(condition: Any, given_answers: dict[str, Any]) -> None:
    assert evaluate(normalise(condition), given_answers) == evaluate(condition, given_answers)


@relaxed
@given(_json, st.one_of(st.just(QUESTIONS), _json))
def test_it_only_raises_condition_errors_validating_arbitrary_json(condition: Any, questions: Any) -> None:
    with contextlib.suppress(ConditionError):
        validate_condition(condition, questions)
    with contextlib.suppress(ConditionError):
        validate_questions(questions)


@relaxed
@given(st.text(max_size=80) | st.text(alphabet="ab()=<>!,'\" 0123456789.-andotrinu", max_size=60))
def test_it_only_raises_condition_errors_parsing_arbitrary_text(text: str) -> None:
    try:
        result = parse_text(text)
    except ConditionError:
        return
    assert result is None or parse_text(to_text(result)) == result
