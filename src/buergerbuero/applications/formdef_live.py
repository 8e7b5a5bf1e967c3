"""Conditions the browser evaluates while the citizen answers a step (``static/applications/conditions.js``).

A field whose ``when`` condition asks about another answer on the same page can appear or disappear at
once. Its condition goes to the page with every question answered elsewhere (other steps, files) already
decided by the server from the draft's data: such a leaf becomes the constant :data:`TRUE`
(``{"all": []}``) or :data:`FALSE` (``{"any": []}``) and is folded away where it can be. What remains only
asks about inputs on the page. A condition that folds into a constant does not depend on the page: the
server decides the field as before (:func:`live_condition` returns ``None``).

The server stays the authority: the data of hidden fields is dropped on save whatever the browser posts.

Pure: no ORM, no request.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from typing import TYPE_CHECKING, Any

from buergerbuero.catalog.conditions import ConditionError, evaluate

from .formdef_paths import get_value

if TYPE_CHECKING:
    from .formdef import FieldSpec, StepSpec

__all__ = ["FALSE", "TRUE", "item_paths", "live_condition", "page_paths"]

#: The condition that always holds (an empty "all") and the one that never does (an empty "any").
TRUE: dict[str, Any] = {"all": []}
FALSE: dict[str, Any] = {"any": []}

#: Widgets whose answer is not an input the browser can read (files are uploaded, repeats are lists).
_NOT_READABLE = frozenset({"file", "repeat"})


def page_paths(step: StepSpec) -> frozenset[str]:
    """The data paths a step's page has inputs for (its fields, without files and repeat lists)."""
    return frozenset(item.path for item in step.fields if item.widget not in _NOT_READABLE)


def item_paths(repeat: FieldSpec) -> frozenset[str]:
    """The item-relative paths one item of a repeat field has inputs for."""
    return frozenset(sub.path for sub in repeat.fields if sub.widget not in _NOT_READABLE)


def live_condition(
    spec: FieldSpec,
    data: Mapping[str, Any],
    *,
    page: Collection[str],
    item: Mapping[str, Any] | None = None,
    in_item: Collection[str] = (),
) -> dict[str, Any] | None:
    """``spec.when`` for the browser, or ``None`` when it does not ask about any input on the page.

    ``page`` are the paths with inputs on the page (:func:`page_paths`); for a field of a repeat item,
    ``item`` is the item's data and ``in_item`` its item-relative paths with inputs (:func:`item_paths`):
    like the engine, the browser looks a path up in the item first. Other questions are decided from
    ``data`` (and ``item``) here. A malformed condition gives ``None`` (the server hides the field).
    """
    if spec.when is None:
        return None
    try:
        folded = _fold(spec.when, data, page=page, item=item, in_item=in_item)
    except ConditionError:
        return None
    return None if folded in (TRUE, FALSE) else folded


def _fold(
    condition: Any,
    data: Mapping[str, Any],
    *,
    page: Collection[str],
    item: Mapping[str, Any] | None,
    in_item: Collection[str],
) -> dict[str, Any]:
    if not isinstance(condition, dict):
        raise ConditionError("not a condition")
    if "all" in condition or "any" in condition:
        group = "all" if "all" in condition else "any"
        parts = condition[group]
        if not isinstance(parts, list):
            raise ConditionError("not a list")
        neutral, decisive = (TRUE, FALSE) if group == "all" else (FALSE, TRUE)
        kept: list[dict[str, Any]] = []
        for part in parts:
            folded = _fold(part, data, page=page, item=item, in_item=in_item)
            if folded == decisive:
                return decisive
            if folded != neutral:
                kept.append(folded)
        if not kept:
            return neutral
        return kept[0] if len(kept) == 1 else {group: kept}
    if "not" in condition:
        inner = _fold(condition["not"], data, page=page, item=item, in_item=in_item)
        if inner in (TRUE, FALSE):
            return FALSE if inner == TRUE else TRUE
        return {"not": inner}
    path = condition.get("q")
    if isinstance(path, str) and (path in page or (item is not None and path in in_item)):
        return dict(condition)
    answers: dict[str, Any] = {}
    if isinstance(path, str):
        value = get_value(item, path) if item is not None else None
        answers[path] = value if value is not None else get_value(data, path)
    return TRUE if evaluate(condition, answers) else FALSE
