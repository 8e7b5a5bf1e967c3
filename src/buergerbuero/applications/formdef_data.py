"""The form engine's operations on a draft's data: which fields are visible (``when``), the data without
hidden fields (:func:`clean_data`), what the account prefills, the values the submission reads
(routing postcode, applicant, fee answers), and a step's posted HTML form read into nested data.

Pure: no ORM, no request. A field whose ``when`` condition is false is hidden and its value is dropped
before validation and submission. Keys starting with ``_`` (the chosen municipality ``_ags``) are
reserved for the draft and never submitted.
"""

from __future__ import annotations

import copy
import datetime as dt
import re
from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, Any, Protocol

from buergerbuero.catalog.conditions import ConditionError, evaluate

from .formdef_paths import delete_value, get_value, set_value

if TYPE_CHECKING:
    from .formdef import FieldSpec, FormSpec, StepSpec

__all__ = [
    "RESERVED_PREFIX",
    "PostData",
    "add_item",
    "applicable_steps",
    "applicant_email",
    "applicant_name",
    "clean_data",
    "fee_answers",
    "is_visible",
    "next_step",
    "parse_post",
    "prefill",
    "previous_step",
    "remove_item",
    "routing_postcode",
    "step_applies",
    "step_of",
    "visible_fields",
]

RESERVED_PREFIX = "_"
_GERMAN_DATE = re.compile(r"^(\d{1,2})\.(\d{1,2})\.(\d{4})$")


def _condition_paths(condition: Any) -> Iterable[str]:
    if isinstance(condition, dict):
        if "q" in condition and isinstance(condition["q"], str):
            yield condition["q"]
        for key in ("all", "any"):
            for part in condition.get(key, []) if isinstance(condition.get(key), list) else []:
                yield from _condition_paths(part)
        if "not" in condition:
            yield from _condition_paths(condition["not"])


def is_visible(spec: FieldSpec, data: Mapping[str, Any], item: Mapping[str, Any] | None = None) -> bool:
    """Whether the field's condition holds; for a repeat item's field, item-relative paths are looked up first."""
    if spec.when is None:
        return True
    answers: dict[str, Any] = {}
    for path in _condition_paths(spec.when):
        value = get_value(item, path) if item is not None else None
        answers[path] = value if value is not None else get_value(data, path)
    try:
        return evaluate(spec.when, answers)
    except ConditionError:
        return False


def step_of(spec: FormSpec, step: StepSpec | str) -> StepSpec:
    """The step named ``step`` (or ``step`` itself); ``KeyError`` for an unknown key."""
    found = spec.step(step) if isinstance(step, str) else step
    if found is None:
        raise KeyError(step)
    return found


def visible_fields(spec: FormSpec, step: StepSpec | str, data: Mapping[str, Any]) -> list[FieldSpec]:
    return [item for item in step_of(spec, step).fields if is_visible(item, data)]


def step_applies(spec: FormSpec, step: StepSpec | str, data: Mapping[str, Any]) -> bool:
    """Whether the step has a visible field for ``data``; a step whose fields are all hidden (the
    representatives of a company, for a sole trader) is skipped."""
    return any(is_visible(item, data) for item in step_of(spec, step).fields)


def applicable_steps(spec: FormSpec, data: Mapping[str, Any]) -> list[StepSpec]:
    """The steps that apply to ``data``, in order: the pages the citizen goes through, counts in the
    progress indicator and reads in the summary."""
    return [step for step in spec.steps if step_applies(spec, step, data)]


def next_step(spec: FormSpec, step: StepSpec | str, data: Mapping[str, Any]) -> StepSpec | None:
    """The first step after ``step`` that applies to ``data`` (``None``: the summary comes next).
    ``step`` itself need not apply."""
    index = spec.steps.index(step_of(spec, step))
    return next((s for s in spec.steps[index + 1 :] if step_applies(spec, s, data)), None)


def previous_step(spec: FormSpec, step: StepSpec | str, data: Mapping[str, Any]) -> StepSpec | None:
    """The last step before ``step`` that applies to ``data`` (``None``: ``step`` is the first)."""
    index = spec.steps.index(step_of(spec, step))
    return next((s for s in reversed(spec.steps[:index]) if step_applies(spec, s, data)), None)


def clean_data(spec: FormSpec, data: Mapping[str, Any]) -> dict[str, Any]:
    """A copy of ``data`` without hidden fields' values, reserved ``_`` keys and emptied repeat items' hidden fields."""
    cleaned: dict[str, Any] = {k: copy.deepcopy(v) for k, v in data.items() if not k.startswith(RESERVED_PREFIX)}
    for step in spec.steps:
        for item in step.fields:
            if not is_visible(item, data):
                delete_value(cleaned, item.path)
                continue
            rows = get_value(cleaned, item.path) if item.widget == "repeat" else None
            if isinstance(rows, list):
                for row in rows:
                    if isinstance(row, dict):
                        for sub in item.fields:
                            if not is_visible(sub, data, row):
                                delete_value(row, sub.path)
    return cleaned


# ---------------------------------------------------------------------------------------------- reading the data


def prefill(spec: FormSpec, user: Any) -> dict[str, Any]:
    """A new draft's data: the fields with ``prefill`` copied from the citizen's account (empty ones left out)."""
    data: dict[str, Any] = {}
    for step in spec.steps:
        for item in step.fields:
            if not item.prefill:
                continue
            value = getattr(user, item.prefill.removeprefix("user."), None)
            if isinstance(value, dt.date):
                value = value.isoformat()
            if value not in (None, ""):
                set_value(data, item.path, str(value))
    return data


def routing_postcode(spec: FormSpec, data: Mapping[str, Any]) -> str:
    value = get_value(data, spec.routing)
    return str(value).strip() if value is not None else ""


def applicant_name(spec: FormSpec, data: Mapping[str, Any]) -> str:
    parts = (get_value(data, path) for path in spec.applicant_name_paths)
    return " ".join(str(part).strip() for part in parts if part not in (None, ""))


def applicant_email(spec: FormSpec, data: Mapping[str, Any]) -> str:
    value = get_value(data, spec.applicant_email_path) if spec.applicant_email_path else None
    return str(value) if value else ""


def fee_answers(spec: FormSpec, data: Mapping[str, Any]) -> dict[str, Any]:
    """The answers the catalogue's fee rule reads (question key → value), from the data."""
    answers: dict[str, Any] = {}
    for key, path in spec.fee_answer_paths.items():
        value = get_value(data, path)
        if value is not None:
            answers[key] = value
    return answers


# ---------------------------------------------------------------------------------------------- posted forms


class PostData(Protocol):
    def get(self, key: str, default: Any = None) -> Any: ...

    def getlist(self, key: str) -> list[Any]: ...


def parse_post(spec: FormSpec, step: StepSpec | str, post: PostData) -> dict[str, Any]:
    """The data a step's HTML form posted, as nested data. Empty inputs are absent; file fields are not read
    (their IDs are kept by the draft). A repeat field ``p`` posts ``p-count`` and inputs ``p.<i>.<field>``."""
    data: dict[str, Any] = {}
    for item in step_of(spec, step).fields:
        if item.widget == "file":
            continue
        if item.widget == "repeat":
            count = _count(post.get(f"{item.path}-count"), item.max_items)
            rows: list[dict[str, Any]] = []
            for index in range(count):
                row: dict[str, Any] = {}
                for sub in item.fields:
                    value = _posted(sub, post, f"{item.path}.{index}.{sub.path}")
                    if value is not None:
                        set_value(row, sub.path, value)
                rows.append(row)
            if rows:
                set_value(data, item.path, rows)
            continue
        value = _posted(item, post, item.path)
        if value is not None:
            set_value(data, item.path, value)
    return data


def _count(value: Any, maximum: int | None) -> int:
    try:
        count = int(value)
    except (TypeError, ValueError):
        return 0
    return max(0, min(count, maximum if maximum is not None else 50))


def _posted(item: FieldSpec, post: PostData, name: str) -> Any:
    if item.widget == "checkbox":
        return post.get(name) in ("true", "on", "1", "yes")
    if item.widget == "checkboxes":
        values = [str(v) for v in post.getlist(name) if str(v).strip()]
        return values or None
    raw = post.get(name)
    if raw is None:
        return None
    text = str(raw).replace("\r\n", "\n").strip()
    if not text:
        return None
    if item.widget == "postcode":
        return re.sub(r"\s+", "", text)
    if item.widget == "number":
        return _number(text)
    if item.widget == "date":
        match = _GERMAN_DATE.match(text)
        if match:
            day, month, year = (int(part) for part in match.groups())
            try:
                return dt.date(year, month, day).isoformat()
            except ValueError:
                return text
    return text


def _number(text: str) -> int | float | str:
    compact = text.replace(" ", "")
    if re.fullmatch(r"-?\d+", compact):
        return int(compact)
    if re.fullmatch(r"-?\d+[.,]\d+", compact):
        return float(compact.replace(",", "."))
    return text  # the schema's type check says "please enter a number"


def add_item(spec: FormSpec, data: dict[str, Any], path: str) -> None:
    """Add an empty item to the repeat field at ``path`` ("Add another"), unless it has ``max_items``."""
    item = spec.field(path)
    rows = get_value(data, path)
    rows = rows if isinstance(rows, list) else []
    if item is not None and item.widget == "repeat" and (item.max_items is None or len(rows) < item.max_items):
        set_value(data, path, [*rows, {}])


def remove_item(data: dict[str, Any], item_path: str) -> None:
    """Remove the repeat item at ``item_path`` (``personen.1``), if there is one."""
    path, _sep, index = item_path.rpartition(".")
    rows = get_value(data, path)
    if isinstance(rows, list) and index.isdigit() and int(index) < len(rows):
        rows.pop(int(index))
