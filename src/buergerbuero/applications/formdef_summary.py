"""The summary of a draft's or case's data: every step with the labels and display values of its
visible fields, for the citizen's summary page, the receipt PDF and the staff's case page. Pure.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from django.utils import translation
from django.utils.translation import gettext as _

from .formdef_data import is_visible, visible_fields
from .formdef_paths import get_value

if TYPE_CHECKING:
    from .formdef import FieldSpec, FormSpec

__all__ = ["SummaryRow", "SummarySection", "display", "summary"]


@dataclass(frozen=True)
class SummaryRow:
    path: str
    label: str
    value: str


@dataclass(frozen=True)
class SummarySection:
    key: str
    title: str
    rows: list[SummaryRow]


def summary(
    spec: FormSpec, data: Mapping[str, Any], language: str, file_names: Mapping[str, str] | None = None
) -> list[SummarySection]:
    """Every step that applies with the labels and display values of its visible fields (hidden fields, and
    steps whose fields are all hidden, are left out)."""
    names = file_names or {}
    sections: list[SummarySection] = []
    with translation.override(language):
        for step in spec.steps:
            rows: list[SummaryRow] = []
            for item in visible_fields(spec, step, data):
                if item.widget != "repeat":
                    rows.append(
                        SummaryRow(
                            item.path, item.label(language), display(item, get_value(data, item.path), language, names)
                        )
                    )
                    continue
                items = get_value(data, item.path)
                if not isinstance(items, list) or not items:
                    rows.append(SummaryRow(item.path, item.label(language), "–"))
                    continue
                for index, row in enumerate(items):
                    for sub in item.fields:
                        if isinstance(row, dict) and is_visible(sub, data, row):
                            label = f"{item.item_label(language)} {index + 1}: {sub.label(language)}"
                            value = display(sub, get_value(row, sub.path), language, names)
                            rows.append(SummaryRow(f"{item.path}.{index}.{sub.path}", label, value))
            if rows:  # a step without a visible field does not apply (see formdef_data.applicable_steps)
                sections.append(SummarySection(step.key, step.title(language), rows))
    return sections


def display(item: FieldSpec, value: Any, language: str, file_names: Mapping[str, str]) -> str:
    """One value as the citizen reads it: option labels, dd.mm.yyyy, Ja/Nein, file names; "–" when empty."""
    if item.widget == "checkbox":
        return _("Yes") if value is True else _("No")
    if value is None or value == "" or value == []:
        return "–"
    if item.widget in ("select", "radio"):
        return item.option_label(value, language)
    if item.widget == "checkboxes" and isinstance(value, list):
        return ", ".join(item.option_label(v, language) for v in value)
    if item.widget == "file" and isinstance(value, list):
        return ", ".join(file_names.get(str(v), _("file")) for v in value)
    if item.widget == "date" and isinstance(value, str):
        try:
            return dt.date.fromisoformat(value).strftime("%d.%m.%Y")
        except ValueError:
            return value
    if item.widget == "number" and isinstance(value, float) and language == "de":
        return str(value).replace(".", ",")
    return str(value)
