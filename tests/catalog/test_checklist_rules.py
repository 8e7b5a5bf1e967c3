"""Reading answers and building the checklist, over unsaved rows (no database)."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
from django.http import QueryDict
from django.utils import translation

from buergerbuero.catalog.checklist import answers_query, build_checklist, parse_answers
from buergerbuero.catalog.models import DocumentRequirement, Service, ServiceOffering
from buergerbuero.catalog.variants import variant
from tests.catalog.test_checklist_pages import QUESTIONS


@pytest.fixture(autouse=True)
def _english() -> Any:
    with translation.override("en"):
        yield


def _service(**fields: Any) -> Service:
    defaults: dict[str, Any] = {
        "slug": "reisepass",
        "name_de": "Reisepass",
        "name_en": "Passport",
        "questions": QUESTIONS,
        "fee": {"kind": "fixed", "amount": "70.00"},
        "counter_minutes": 20,
        "processing_time_en": "3 weeks",
        "online_application": True,
        "online_url": "https://example.org/antrag",
        "online_assurance": 2,
        "by_appointment": True,
        "walk_in": False,
    }
    return Service(**{**defaults, **fields})


def _requirement(name: str, condition: Any = None, note: str = "") -> DocumentRequirement:
    return DocumentRequirement(name_de=name, name_en=name, note_en=note, condition=condition)


def test_it_reads_typed_answers() -> None:
    answers, errors = parse_answers(QUESTIONS, QueryDict("age=17,0&application=loss&on_behalf=Ja&other=1"))
    assert errors == {}
    assert answers == {"age": 17, "application": "loss", "on_behalf": True}
    assert parse_answers(QUESTIONS, QueryDict("age=17.5"))[0] == {"age": 17.5}
    assert parse_answers(QUESTIONS, {"on_behalf": ["nein"]})[0] == {"on_behalf": False}


@pytest.mark.parametrize(
    ("query", "key", "message"),
    [
        ("age=-1", "age", "Please enter a number of at least 0."),
        ("age=131", "age", "Please enter a number of at most 130."),
        ("age=NaN", "age", "Please enter a number, e.g. 42."),
        ("age=1e999999", "age", "Please enter a number, e.g. 42."),
        ("age=zwölf", "age", "Please enter a number, e.g. 42."),
        ("age=" + "1" * 60, "age", "This answer is too long."),
        ("application=FIRST", "application", "Please choose one of the options."),
        ("on_behalf=maybe", "on_behalf", "Please answer yes or no."),
    ],
)
def test_it_explains_each_bad_answer(query: str, key: str, message: str) -> None:
    answers, errors = parse_answers(QUESTIONS, QueryDict(query))
    assert errors == {key: message}
    assert key not in answers


def test_it_asks_for_missing_answers_only_when_told_to() -> None:
    assert parse_answers(QUESTIONS, QueryDict("age=3"))[1] == {}
    _answers, errors = parse_answers(QUESTIONS, QueryDict("age=3&application=+"), require_all=True)
    assert errors == {"application": "Please answer this question.", "on_behalf": "Please answer this question."}


def test_it_writes_answers_back_as_a_query_in_questionnaire_order() -> None:
    answers = {"on_behalf": False, "age": 17, "application": "first"}
    assert answers_query(QUESTIONS, answers) == [("age", "17"), ("application", "first"), ("on_behalf", "false")]
    assert parse_answers(QUESTIONS, QueryDict("age=17&application=first&on_behalf=false"))[0] == answers


def test_it_lists_the_requirements_that_apply_with_answers_fee_time_and_channels() -> None:
    service = _service(
        fee={
            "kind": "rules",
            "rules": [{"when": {"q": "age", "op": "lt", "value": 24}, "amount": "37.50"}],
            "default": "70",
        }
    )
    requirements = [
        _requirement("Photo", note="biometric"),
        _requirement("Consent", {"q": "age", "op": "lt", "value": 18}),
        _requirement("Loss report", {"q": "application", "op": "eq", "value": "loss"}),
    ]
    checklist = build_checklist(variant(service), requirements, {"age": 16, "application": "first", "on_behalf": True})
    assert checklist.complete
    assert [(item.name, item.note) for item in checklist.items] == [("Photo", "biometric"), ("Consent", "")]
    assert [(line.question, line.answer) for line in checklist.answered] == [
        ("Age", "16"),
        ("Reason", "First application"),
        ("For someone else", "Yes"),
    ]
    assert checklist.fee.minimum == Decimal("37.50")
    assert (checklist.counter_minutes, checklist.processing_time) == (20, "3 weeks")
    assert [value for value, _label in checklist.channels] == ["online", "appointment"]
    assert checklist.online_url == "https://example.org/antrag"
    assert checklist.online_assurance == "substantial (substanziell)"


def test_it_is_incomplete_until_every_question_is_answered_and_quotes_the_fee_span() -> None:
    service = _service(fee={"kind": "rules", "rules": [{"when": None, "amount": "10"}], "default": "20"})
    checklist = build_checklist(variant(service), [], {"age": 30})
    assert not checklist.complete
    assert (checklist.fee.minimum, checklist.fee.maximum) == (Decimal("10"), Decimal("20"))


def test_it_uses_the_municipality_variant_note_fee_and_channels() -> None:
    service = _service()
    offering = ServiceOffering(
        service=service, note_en="Cash only.", fee={"kind": "free"}, online_application=False, walk_in=True
    )
    checklist = build_checklist(variant(service, offering), [], {"age": 30, "application": "first", "on_behalf": False})
    assert checklist.note == "Cash only."
    assert checklist.fee.is_free
    assert [value for value, _label in checklist.channels] == ["appointment", "walk_in"]
    assert checklist.online_url == ""


def test_it_lists_a_requirement_whose_condition_is_broken_rather_than_dropping_it() -> None:
    service = _service(questions=[])
    checklist = build_checklist(variant(service), [_requirement("Odd", {"q": "x", "op": "like", "value": 1})], {})
    assert checklist.complete
    assert [item.name for item in checklist.items] == ["Odd"]
