"""The document checklist assistant: read a questionnaire's answers, then list what the citizen must bring.

Pure over rows already loaded: no queries. The answers come from a query string
(the shareable link of the checklist page, the PDF and the API all use it), so
:func:`parse_answers` turns text into typed answers and collects a translated
error per question instead of raising.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.utils.translation import gettext as _

from buergerbuero.accounts.constants import AssuranceLevel
from buergerbuero.core.i18n import active_language, localized

from .conditions import ConditionError, evaluate
from .constants import Channel, QuestionKind
from .fees import FeeQuote, quote, quote_range
from .models import DocumentRequirement
from .variants import ServiceVariant

__all__ = [
    "AnsweredQuestion",
    "Checklist",
    "ChecklistItem",
    "Question",
    "answers_query",
    "build_checklist",
    "parse_answers",
    "questions_of",
]

#: The longest answer text read; longer ones are refused, not cut.
MAX_ANSWER_LENGTH = 50
_NUMBER_RE = re.compile(r"^[+-]?[0-9]+(?:[.,][0-9]+)?$")
_TRUE = {"true", "yes", "ja", "1", "on", "y", "j"}
_FALSE = {"false", "no", "nein", "0", "off", "n"}


@dataclass(frozen=True)
class Option:
    value: str
    label: str


@dataclass(frozen=True)
class Question:
    """A questionnaire entry in the active language, ready for a form."""

    key: str
    kind: str
    label: str
    help: str
    options: list[Option]
    minimum: int | float | None
    maximum: int | float | None

    @property
    def is_number(self) -> bool:
        return self.kind == QuestionKind.NUMBER

    @property
    def is_boolean(self) -> bool:
        return self.kind == QuestionKind.BOOLEAN

    @property
    def is_choice(self) -> bool:
        return self.kind == QuestionKind.CHOICE


def _text(item: Mapping[str, Any], field: str, language: str) -> str:
    own = item.get(f"{field}_{language}") if language != "de" else ""
    value = own or item.get(f"{field}_de") or ""
    return value if isinstance(value, str) else ""


def _bound(value: Any) -> int | float | None:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    return value if math.isfinite(value) else None


def questions_of(questions: Any, language: str | None = None) -> list[Question]:
    """The questionnaire JSON as :class:`Question` objects; malformed entries are skipped."""
    language = language or active_language()
    result: list[Question] = []
    for item in questions if isinstance(questions, list) else []:
        if not isinstance(item, dict) or not isinstance(item.get("key"), str):
            continue
        if item.get("kind") not in QuestionKind.values:
            continue
        options = [
            Option(option["value"], _text(option, "label", language) or option["value"])
            for option in item.get("options") or []
            if isinstance(option, dict) and isinstance(option.get("value"), str)
        ]
        result.append(
            Question(
                key=item["key"],
                kind=item["kind"],
                label=_text(item, "label", language) or item["key"],
                help=_text(item, "help", language),
                options=options,
                minimum=_bound(item.get("min")),
                maximum=_bound(item.get("max")),
            )
        )
    return result


def parse_answers(
    questions: Any, querydict: Mapping[str, Any], *, require_all: bool = False
) -> tuple[dict[str, Any], dict[str, str]]:
    """Typed answers from a query string, and a translated error message by question key.

    Numbers are checked against the question's min/max, choices against its options,
    yes/no accepts ``true``/``false`` (also ``ja``/``nein``, ``1``/``0``). An empty or
    missing answer is left out; with ``require_all`` it is an error too. Keys that are
    not questions are ignored.
    """
    answers: dict[str, Any] = {}
    errors: dict[str, str] = {}
    for question in questions_of(questions):
        raw = querydict.get(question.key)
        if isinstance(raw, list):  # a plain dict of lists, e.g. parse_qs
            raw = raw[-1] if raw else None
        text = raw.strip() if isinstance(raw, str) else ""
        if not text:
            if require_all:
                errors[question.key] = _("Please answer this question.")
            continue
        if len(text) > MAX_ANSWER_LENGTH:
            errors[question.key] = _("This answer is too long.")
            continue
        try:
            answers[question.key] = _parse(question, text)
        except ValueError as error:
            errors[question.key] = str(error)
    return answers, errors


def answers_query(questions: Any, answers: Mapping[str, Any]) -> list[tuple[str, str]]:
    """``answers`` as query parameters in questionnaire order; :func:`parse_answers` reads them back."""
    pairs = []
    for question in questions_of(questions):
        if question.key not in answers:
            continue
        value = answers[question.key]
        if isinstance(value, bool):
            pairs.append((question.key, "true" if value else "false"))
        else:
            pairs.append((question.key, str(value)))
    return pairs


def _parse(question: Question, text: str) -> Any:
    if question.is_boolean:
        if text.lower() in _TRUE:
            return True
        if text.lower() in _FALSE:
            return False
        raise ValueError(_("Please answer yes or no."))
    if question.is_choice:
        if text not in {option.value for option in question.options}:
            raise ValueError(_("Please choose one of the options."))
        return text
    if not _NUMBER_RE.match(text):  # plain digits only: no exponents, so no huge numbers to compute
        raise ValueError(_("Please enter a number, e.g. 42."))
    number = Decimal(text.replace(",", "."))
    if question.minimum is not None and number < Decimal(str(question.minimum)):
        raise ValueError(_("Please enter a number of at least %(minimum)s.") % {"minimum": question.minimum})
    if question.maximum is not None and number > Decimal(str(question.maximum)):
        raise ValueError(_("Please enter a number of at most %(maximum)s.") % {"maximum": question.maximum})
    return int(number) if number == number.to_integral_value() else float(number)


@dataclass(frozen=True)
class AnsweredQuestion:
    key: str
    question: str
    answer: str


@dataclass(frozen=True)
class ChecklistItem:
    name: str
    note: str


@dataclass(frozen=True)
class Checklist:
    """What a citizen needs for ``variant`` given ``answers``; exact once ``complete``."""

    variant: ServiceVariant
    questions: list[Question]
    answers: dict[str, Any]
    answered: list[AnsweredQuestion]
    items: list[ChecklistItem]
    fee: FeeQuote
    counter_minutes: int
    processing_time: str
    channels: list[tuple[str, str]]  #: (``Channel`` value, label) in a fixed order
    online_url: str
    online_assurance: str  #: the label of the minimum level of assurance online
    note: str  #: the municipality's local note
    complete: bool

    @property
    def has_questions(self) -> bool:
        return bool(self.questions)

    @property
    def service(self) -> Any:
        return self.variant.service


def build_checklist(
    variant: ServiceVariant, requirements: Iterable[DocumentRequirement], answers: dict[str, Any]
) -> Checklist:
    """The checklist of ``variant`` for ``answers``: the requirements whose condition holds, the fee
    for the answers (the span of possible fees while answers are missing), time and channels.

    A requirement whose stored condition cannot be evaluated is listed: asking for one document
    too many is better than missing one.
    """
    language = active_language()
    service = variant.service
    questions = questions_of(service.questions, language)
    complete = all(question.key in answers for question in questions)
    items = [
        ChecklistItem(localized(requirement, "name", language), localized(requirement, "note", language))
        for requirement in requirements
        if _applies(requirement.condition, answers)
    ]
    return Checklist(
        variant=variant,
        questions=questions,
        answers=dict(answers),
        answered=[_answered(question, answers[question.key]) for question in questions if question.key in answers],
        items=items,
        fee=quote(variant.fee, answers, language) if complete else quote_range(variant.fee, language),
        counter_minutes=service.counter_minutes,
        processing_time=localized(service, "processing_time", language),
        channels=[(channel, str(Channel(channel).label)) for channel in variant.channels],
        online_url=variant.online_url if variant.online_application else "",
        online_assurance=str(AssuranceLevel(service.online_assurance).label)
        if service.online_assurance in AssuranceLevel.values
        else "",
        note=variant.note,
        complete=complete,
    )


def _applies(condition: Any, answers: dict[str, Any]) -> bool:
    try:
        return evaluate(condition, answers)
    except (ConditionError, RecursionError):
        return True


def _answered(question: Question, value: Any) -> AnsweredQuestion:
    if question.is_boolean:
        text = _("Yes") if value else _("No")
    elif question.is_choice:
        text = next((option.label for option in question.options if option.value == value), str(value))
    else:
        text = str(value).replace(".", ",") if active_language() == "de" else str(value)
    return AnsweredQuestion(question.key, question.label, text)
