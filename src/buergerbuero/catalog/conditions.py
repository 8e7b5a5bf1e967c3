"""Conditions over a service's questionnaire answers: evaluation, validation and the staff text form.

Pure: no ORM, no request. A condition is JSON (see the module contract below) or
``None`` for "always". Staff write conditions as text in a small language that
:func:`parse_text` turns into JSON and :func:`to_text` prints back::

    age >= 18 and nationality in (eu, non_eu)
    not on_behalf
    application = first or (application = loss and nicht volljaehrig)

Contract::

    {"all": [c, ...]} | {"any": [c, ...]} | {"not": c}
    {"q": "<question key>", "op": "eq"|"ne"|"lt"|"lte"|"gt"|"gte"|"in", "value": <number|string|bool|list>}

A leaf whose question is unanswered is false. Precedence in the text form is
``not`` > ``and`` > ``or``; German ``nicht``/``und``/``oder`` and ``ja``/``nein`` work too.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.utils.translation import gettext as _

from .constants import QuestionKind

__all__ = [
    "MAX_DEPTH",
    "OPERATORS",
    "ConditionError",
    "evaluate",
    "normalise",
    "parse_text",
    "to_text",
    "validate_condition",
    "validate_questions",
]

#: How deeply groups and negations may nest; deeper conditions are no longer readable.
MAX_DEPTH = 12
#: The longest condition text :func:`parse_text` reads.
MAX_TEXT_LENGTH = 2000

OPERATORS = ("eq", "ne", "lt", "lte", "gt", "gte", "in")
_ORDERING = {"lt", "lte", "gt", "gte"}
_OPERATORS_BY_KIND = {
    QuestionKind.BOOLEAN.value: {"eq", "ne"},
    QuestionKind.NUMBER.value: set(OPERATORS),
    QuestionKind.CHOICE.value: {"eq", "ne", "in"},
}
_SYMBOLS = {"eq": "=", "ne": "!=", "lt": "<", "lte": "<=", "gt": ">", "gte": ">="}
_KEY_RE = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
_WORD_RE = re.compile(r"^[^\W\d]\w*$")
_KEYWORDS = {
    "and": "and",
    "und": "and",
    "or": "or",
    "oder": "or",
    "not": "not",
    "nicht": "not",
    "in": "in",
    "true": "true",
    "ja": "true",
    "false": "false",
    "nein": "false",
}


class ConditionError(ValueError):
    """A condition, questionnaire or condition text is not valid; the message says why, translated."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message

    def __str__(self) -> str:
        return self.message


# ---------------------------------------------------------------------------------------------- evaluation


def evaluate(condition: Any, answers: dict[str, Any]) -> bool:
    """Whether ``condition`` holds for ``answers``; ``None`` always holds.

    Never raises for a condition that :func:`validate_condition` accepts, whatever the
    answers; raises :class:`ConditionError` for a malformed one.
    """
    if condition is None:
        return True
    if not isinstance(condition, dict):
        raise ConditionError(_("A condition must be an object."))
    if "all" in condition:
        return all(evaluate(part, answers) for part in _parts(condition["all"]))
    if "any" in condition:
        return any(evaluate(part, answers) for part in _parts(condition["any"]))
    if "not" in condition:
        return not evaluate(condition["not"], answers)
    key, op, value = condition.get("q"), condition.get("op"), condition.get("value")
    if not isinstance(key, str) or op not in OPERATORS:
        raise ConditionError(_("A condition needs a question, an operator and a value."))
    if key not in answers or answers[key] is None:
        return False
    answer = answers[key]
    if op == "eq":
        return _equal(answer, value)
    if op == "ne":
        return not _equal(answer, value)
    if op == "in":
        return isinstance(value, list) and any(_equal(answer, option) for option in value)
    return _ordered(answer, op, value)


def _parts(value: Any) -> list[Any]:
    if not isinstance(value, list):
        raise ConditionError(_("A group of conditions must be a list."))
    return value


def _number(value: Any) -> Decimal | None:
    """``value`` as a Decimal when it is a finite number (booleans are not numbers)."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return Decimal(value)
    if isinstance(value, float):
        return Decimal(repr(value)) if math.isfinite(value) else None
    if isinstance(value, Decimal):
        return value if value.is_finite() else None
    return None


def _equal(answer: Any, value: Any) -> bool:
    if isinstance(answer, bool) or isinstance(value, bool):
        return isinstance(answer, bool) and isinstance(value, bool) and answer is value
    left, right = _number(answer), _number(value)
    if left is not None and right is not None:
        return left == right
    return isinstance(answer, str) and isinstance(value, str) and answer == value


def _ordered(answer: Any, op: str, value: Any) -> bool:
    left, right = _number(answer), _number(value)
    if left is None or right is None:
        return False
    if op == "lt":
        return left < right
    if op == "lte":
        return left <= right
    if op == "gt":
        return left > right
    return left >= right


# ---------------------------------------------------------------------------------------------- validation


def validate_questions(questions: Any) -> None:
    """Check a questionnaire: unique keys, known kinds, labels, options for choices, min ≤ max for numbers."""
    if not isinstance(questions, list):
        raise ConditionError(_("The questionnaire must be a list of questions."))
    seen: set[str] = set()
    for number, question in enumerate(questions, start=1):
        if not isinstance(question, dict):
            raise ConditionError(_("Question %(number)d must be an object.") % {"number": number})
        key = question.get("key")
        if not isinstance(key, str) or not _KEY_RE.match(key) or key.lower() in _KEYWORDS:
            raise ConditionError(
                _(
                    "Question %(number)d needs a key of letters, digits and underscores "
                    "that is not a keyword such as “and”."
                )
                % {"number": number}
            )
        if key in seen:
            raise ConditionError(_("The question key “%(key)s” is used twice.") % {"key": key})
        seen.add(key)
        kind = question.get("kind")
        if kind not in QuestionKind.values:
            raise ConditionError(
                _("Question “%(key)s” has an unknown kind; use choice, number or boolean.") % {"key": key}
            )
        _check_texts(question, key, required=("label_de",), optional=("label_en", "help_de", "help_en"))
        if kind == QuestionKind.CHOICE:
            _check_options(question.get("options"), key)
        elif kind == QuestionKind.NUMBER:
            _check_bounds(question, key)


def _check_texts(item: dict[str, Any], key: str, *, required: tuple[str, ...], optional: tuple[str, ...]) -> None:
    for field in required:
        if not isinstance(item.get(field), str) or not item[field].strip():
            raise ConditionError(_("“%(key)s” needs a German label (%(field)s).") % {"key": key, "field": field})
    for field in optional:
        if field in item and not isinstance(item[field], str):
            raise ConditionError(_("“%(key)s”: %(field)s must be text.") % {"key": key, "field": field})


def _check_options(options: Any, key: str) -> None:
    if not isinstance(options, list) or not options:
        raise ConditionError(_("The choice question “%(key)s” needs at least one option.") % {"key": key})
    values: set[str] = set()
    for option in options:
        if not isinstance(option, dict) or not isinstance(option.get("value"), str) or not option["value"].strip():
            raise ConditionError(_("Every option of “%(key)s” needs a value.") % {"key": key})
        value = option["value"]
        if value in values:
            raise ConditionError(_("The option “%(value)s” of “%(key)s” is used twice.") % {"key": key, "value": value})
        values.add(value)
        _check_texts(option, f"{key}={value}", required=("label_de",), optional=("label_en",))


def _check_bounds(question: dict[str, Any], key: str) -> None:
    bounds: dict[str, Decimal] = {}
    for field in ("min", "max"):
        if question.get(field) is None:
            continue
        bound = _number(question[field])
        if bound is None:
            raise ConditionError(_("“%(key)s”: %(field)s must be a number.") % {"key": key, "field": field})
        bounds[field] = bound
    if "min" in bounds and "max" in bounds and bounds["min"] > bounds["max"]:
        raise ConditionError(_("“%(key)s”: the minimum is larger than the maximum.") % {"key": key})


def validate_condition(condition: Any, questions: Any) -> None:
    """Check ``condition`` against the questionnaire ``questions``; raise :class:`ConditionError` naming the problem.

    Checks the structure, that each question exists, that the operator fits the
    question's kind and that the value is one of its options / a number / yes or no,
    and that nesting stays within :data:`MAX_DEPTH`.
    """
    if condition is None:
        return
    by_key: dict[str, dict[str, Any]] = {}
    if isinstance(questions, list):
        for question in questions:
            if isinstance(question, dict) and isinstance(question.get("key"), str):
                by_key[question["key"]] = question
    _validate(condition, by_key, depth=1)


def _validate(condition: Any, questions: dict[str, dict[str, Any]], depth: int) -> None:
    if depth > MAX_DEPTH:
        raise ConditionError(
            _("The condition is nested more than %(depth)d levels deep; simplify it.") % {"depth": MAX_DEPTH}
        )
    if not isinstance(condition, dict):
        raise ConditionError(_("A condition must be an object."))
    keys = set(condition)
    if keys in ({"all"}, {"any"}):
        (group,) = keys
        parts = condition[group]
        if not isinstance(parts, list) or not parts:
            raise ConditionError(_("“%(group)s” needs a list of at least one condition.") % {"group": group})
        for part in parts:
            _validate(part, questions, depth + 1)
        return
    if keys == {"not"}:
        _validate(condition["not"], questions, depth + 1)
        return
    if keys != {"q", "op", "value"}:
        raise ConditionError(
            _("A condition is either all/any/not or has exactly the fields q, op and value; found: %(keys)s.")
            % {"keys": ", ".join(sorted(str(key) for key in keys)) or "–"}
        )
    _validate_leaf(condition["q"], condition["op"], condition["value"], questions)


def _validate_leaf(key: Any, op: Any, value: Any, questions: dict[str, dict[str, Any]]) -> None:
    if not isinstance(key, str) or key not in questions:
        raise ConditionError(_("The condition asks about an unknown question “%(key)s”.") % {"key": key})
    if op not in OPERATORS:
        raise ConditionError(_("Unknown operator “%(op)s”.") % {"op": op})
    question = questions[key]
    kind = question.get("kind")
    if op not in _OPERATORS_BY_KIND.get(str(kind), set()):
        raise ConditionError(
            _("The operator “%(op)s” does not fit the %(kind)s question “%(key)s”.")
            % {"op": _SYMBOLS.get(op, op), "kind": kind, "key": key}
        )
    if op == "in":
        if not isinstance(value, list) or not value:
            raise ConditionError(_("“in” needs a list of at least one value (question “%(key)s”).") % {"key": key})
        for item in value:
            _validate_value(item, question, key)
    else:
        _validate_value(value, question, key)


def _validate_value(value: Any, question: dict[str, Any], key: str) -> None:
    kind = question.get("kind")
    if kind == QuestionKind.BOOLEAN:
        if not isinstance(value, bool):
            raise ConditionError(_("The question “%(key)s” is answered with yes or no.") % {"key": key})
    elif kind == QuestionKind.NUMBER:
        if _number(value) is None:
            raise ConditionError(_("The question “%(key)s” is answered with a number.") % {"key": key})
    else:
        options = question.get("options")
        allowed = [o.get("value") for o in options if isinstance(o, dict)] if isinstance(options, list) else []
        if not isinstance(value, str) or value not in allowed:
            raise ConditionError(
                _("“%(value)s” is not an option of the question “%(key)s”; the options are: %(options)s.")
                % {"value": value, "key": key, "options": ", ".join(str(option) for option in allowed)}
            )


# ---------------------------------------------------------------------------------------------- normal form


def normalise(condition: Any) -> Any:
    """The canonical form of a well-formed condition: nested groups of the same kind flattened,
    one-member groups replaced by their member. :func:`parse_text` returns this form."""
    if not isinstance(condition, dict):
        return condition
    for group in ("all", "any"):
        if set(condition) == {group} and isinstance(condition[group], list):
            flat: list[Any] = []
            for part in (normalise(part) for part in condition[group]):
                if isinstance(part, dict) and set(part) == {group}:
                    flat.extend(part[group])
                else:
                    flat.append(part)
            return flat[0] if len(flat) == 1 else {group: flat}
    if set(condition) == {"not"}:
        return {"not": normalise(condition["not"])}
    result = dict(condition)
    if isinstance(result.get("value"), list):
        result["value"] = list(result["value"])
    return result


# ---------------------------------------------------------------------------------------------- text form


def to_text(condition: Any) -> str:
    """The canonical text of a well-formed condition, with as few parentheses as the precedence allows;
    ``parse_text(to_text(c)) == normalise(c)``. ``None`` prints as the empty text."""
    if condition is None:
        return ""
    return _text(normalise(condition), parent=0)


_PRECEDENCE = {"any": 1, "all": 2, "not": 3, "leaf": 4}


def _text(condition: dict[str, Any], parent: int) -> str:
    if "any" in condition or "all" in condition:
        group = "any" if "any" in condition else "all"
        own = _PRECEDENCE[group]
        joiner = " or " if group == "any" else " and "
        text = joiner.join(_text(part, own) for part in condition[group])
    elif "not" in condition:
        own = _PRECEDENCE["not"]
        text = "not " + _text(condition["not"], own)
    else:
        own = _PRECEDENCE["leaf"]
        text = _leaf_text(condition)
    return f"({text})" if own < parent or (own == parent and own < _PRECEDENCE["not"]) else text


def _leaf_text(leaf: dict[str, Any]) -> str:
    key, op, value = leaf["q"], leaf["op"], leaf["value"]
    if op == "in":
        return f"{key} in ({', '.join(_value_text(item) for item in value)})"
    if op == "eq" and value is True:
        return str(key)
    return f"{key} {_SYMBOLS[op]} {_value_text(value)}"


def _value_text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return repr(value)
    if isinstance(value, Decimal):
        return str(value)
    text = str(value)
    if _WORD_RE.match(text) and text.lower() not in _KEYWORDS:
        return text
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


@dataclass(frozen=True)
class _Token:
    kind: str  # word, keyword, number, string, op, "(", ")", ",", end
    value: Any
    position: int  # 1-based
    source: str


_TOKEN_RE = re.compile(
    r"""
    (?P<space>\s+)
  | (?P<number>-?\d+(?:\.\d+)?(?:[eE][+-]?\d+)?)
  | (?P<word>[^\W\d]\w*)
  | (?P<op><=|>=|!=|<>|==|=|<|>)
  | (?P<punct>[(),])
  | (?P<string>["'])
    """,
    re.VERBOSE,
)
_OP_NAMES = {"=": "eq", "==": "eq", "!=": "ne", "<>": "ne", "<": "lt", "<=": "lte", ">": "gt", ">=": "gte"}


def _tokenise(text: str) -> list[_Token]:
    tokens: list[_Token] = []
    index = 0
    while index < len(text):
        match = _TOKEN_RE.match(text, index)
        if match is None:
            raise ConditionError(
                _("Unexpected '%(token)s' at position %(position)d.") % {"token": text[index], "position": index + 1}
            )
        kind = match.lastgroup or ""
        source = match.group()
        if kind == "string":
            value, end = _read_string(text, index)
            tokens.append(_Token("string", value, index + 1, text[index:end]))
            index = end
            continue
        if kind == "number":
            glued = re.match(r"[\w.]+", text[match.end() :])
            if glued:
                raise ConditionError(
                    _("Unexpected '%(token)s' at position %(position)d.")
                    % {"token": source + glued.group(), "position": index + 1}
                )
            tokens.append(_Token("number", _parse_number(source), index + 1, source))
        elif kind == "word":
            keyword = _KEYWORDS.get(source.lower())
            tokens.append(_Token("keyword" if keyword else "word", keyword or source, index + 1, source))
        elif kind == "op":
            tokens.append(_Token("op", _OP_NAMES[source], index + 1, source))
        elif kind == "punct":
            tokens.append(_Token(source, source, index + 1, source))
        index = match.end()
    tokens.append(_Token("end", None, len(text) + 1, ""))
    return tokens


def _parse_number(source: str) -> int | float:
    if any(mark in source for mark in ".eE"):
        number = float(source)
        if not math.isfinite(number):
            raise ConditionError(_("The number %(number)s is too large.") % {"number": source})
        return number
    return int(source)


def _read_string(text: str, start: int) -> tuple[str, int]:
    quote = text[start]
    chars: list[str] = []
    index = start + 1
    while index < len(text):
        char = text[index]
        if char == "\\" and index + 1 < len(text):
            chars.append(text[index + 1])
            index += 2
            continue
        if char == quote:
            return "".join(chars), index + 1
        chars.append(char)
        index += 1
    raise ConditionError(
        _("The text starting at position %(position)d has no closing quote.") % {"position": start + 1}
    )


class _Parser:
    def __init__(self, text: str) -> None:
        self.tokens = _tokenise(text)
        self.index = 0
        self.depth = 0

    @property
    def current(self) -> _Token:
        return self.tokens[self.index]

    def advance(self) -> _Token:
        token = self.tokens[self.index]
        if token.kind != "end":
            self.index += 1
        return token

    def at_keyword(self, keyword: str) -> bool:
        return self.current.kind == "keyword" and self.current.value == keyword

    def unexpected(self, expected: str) -> ConditionError:
        token = self.current
        if token.kind == "end":
            return ConditionError(_("The condition ends too early; expected %(expected)s.") % {"expected": expected})
        return ConditionError(
            _("Unexpected '%(token)s' at position %(position)d; expected %(expected)s.")
            % {"token": token.source, "position": token.position, "expected": expected}
        )

    def nest(self) -> None:
        self.depth += 1
        if self.depth > MAX_DEPTH:
            raise ConditionError(
                _("The condition is nested more than %(depth)d levels deep; simplify it.") % {"depth": MAX_DEPTH}
            )

    def parse(self) -> dict[str, Any]:
        result = self.disjunction()
        if self.current.kind != "end":
            raise self.unexpected(_("“and”, “or” or the end"))
        return result

    def disjunction(self) -> dict[str, Any]:
        parts = [self.conjunction()]
        while self.at_keyword("or"):
            self.advance()
            parts.append(self.conjunction())
        return parts[0] if len(parts) == 1 else {"any": parts}

    def conjunction(self) -> dict[str, Any]:
        parts = [self.negation()]
        while self.at_keyword("and"):
            self.advance()
            parts.append(self.negation())
        return parts[0] if len(parts) == 1 else {"all": parts}

    def negation(self) -> dict[str, Any]:
        if self.at_keyword("not"):
            self.advance()
            self.nest()
            inner = self.negation()
            self.depth -= 1
            return {"not": inner}
        return self.primary()

    def primary(self) -> dict[str, Any]:
        token = self.current
        if token.kind == "(":
            self.advance()
            self.nest()
            inner = self.disjunction()
            self.depth -= 1
            if self.current.kind != ")":
                raise self.unexpected(_("“)”"))
            self.advance()
            return inner
        if token.kind != "word":
            raise self.unexpected(_("a question key, “not” or “(”"))
        key = self.advance().source
        if not _KEY_RE.match(key):
            raise ConditionError(
                _("'%(key)s' at position %(position)d is not a valid question key.")
                % {"key": key, "position": token.position}
            )
        if self.current.kind == "op":
            op = self.advance().value
            return {"q": key, "op": op, "value": self.value()}
        if self.at_keyword("in"):
            self.advance()
            return {"q": key, "op": "in", "value": self.values()}
        following = self.tokens[self.index + 1] if self.current.kind != "end" else self.current
        if self.at_keyword("not") and following.kind == "keyword" and following.value == "in":
            self.advance()
            self.advance()
            return {"not": {"q": key, "op": "in", "value": self.values()}}
        return {"q": key, "op": "eq", "value": True}

    def value(self) -> Any:
        token = self.current
        if token.kind in ("number", "string", "word"):
            self.advance()
            return token.value
        if token.kind == "keyword" and token.value in ("true", "false"):
            self.advance()
            return token.value == "true"
        raise self.unexpected(_("a value"))

    def values(self) -> list[Any]:
        if self.current.kind != "(":
            raise self.unexpected(_("“(” and a list of values"))
        self.advance()
        items = [self.value()]
        while self.current.kind == ",":
            self.advance()
            items.append(self.value())
        if self.current.kind != ")":
            raise self.unexpected(_("“,” or “)”"))
        self.advance()
        return items


def parse_text(text: str) -> dict[str, Any] | None:
    """The JSON condition written as ``text``; ``None`` for an empty text (always).

    Raises :class:`ConditionError` with the position of the problem.
    """
    if not isinstance(text, str):
        raise ConditionError(_("A condition text must be text."))
    if not text.strip():
        return None
    if len(text) > MAX_TEXT_LENGTH:
        raise ConditionError(_("A condition may be at most %(length)d characters long.") % {"length": MAX_TEXT_LENGTH})
    result: dict[str, Any] = normalise(_Parser(text).parse())
    return result
