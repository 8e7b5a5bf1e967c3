"""The split form engine: every public name still comes from ``applications.formdef``, and the repeat
items' "Add another"/"Remove" are pure operations on the data (moved out of the view)."""

from __future__ import annotations

from typing import Any

from buergerbuero.applications import formdef, formdef_data, formdef_paths, formdef_summary, formdef_validation
from tests.applications.test_forms_engine import REPEAT_DEFINITION


def test_every_public_name_is_importable_from_formdef() -> None:
    for module in (formdef_data, formdef_paths, formdef_summary, formdef_validation):
        for name in module.__all__:
            assert getattr(formdef, name) is getattr(module, name), name
            assert name in formdef.__all__, name


def test_add_another_stops_at_max_items_and_remove_takes_the_named_item() -> None:
    spec = formdef.parse_definition(REPEAT_DEFINITION)  # "personen": max_items 3
    data: dict[str, Any] = {"personen": [{"name": "A"}]}
    for _ in range(4):
        formdef.add_item(spec, data, "personen")
    assert data["personen"] == [{"name": "A"}, {}, {}]
    formdef.add_item(spec, data, "plz")  # not a repeat field: nothing happens
    assert "plz" not in data
    formdef.remove_item(data, "personen.0")
    formdef.remove_item(data, "personen.7")  # no such item
    assert data["personen"] == [{}, {}]


def test_add_another_starts_a_missing_list() -> None:
    spec = formdef.parse_definition(REPEAT_DEFINITION)
    data: dict[str, Any] = {}
    formdef.add_item(spec, data, "personen")
    assert data == {"personen": [{}]}
