"""Dotted paths into a draft's nested data (``inhaber.familienname``, ``personen.0.vorname``) and into
the form's JSON Schema. Pure: plain dicts and lists only.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from typing import Any

__all__ = ["delete_value", "get_value", "iter_strings", "schema_at", "set_value", "template_path"]

_INDEX = re.compile(r"\.\d+(?=\.|$)")


def template_path(path: str) -> str:
    """``personen.0.vorname`` → ``personen.vorname`` (item indexes removed)."""
    return _INDEX.sub("", path)


def _parts(path: str) -> list[str]:
    return [part for part in path.split(".") if part]


def get_value(data: Any, path: str) -> Any:
    """The value at a dotted ``path`` (list items by index), or ``None``."""
    current = data
    for part in _parts(path):
        if isinstance(current, dict):
            current = current.get(part)
        elif isinstance(current, list) and part.isdigit() and int(part) < len(current):
            current = current[int(part)]
        else:
            return None
    return current


def set_value(data: dict[str, Any], path: str, value: Any) -> None:
    """Set ``path`` to ``value``, creating the objects (and list items) on the way."""
    parts = _parts(path)
    current: Any = data
    for index, part in enumerate(parts[:-1]):
        following: Any = [] if parts[index + 1].isdigit() else {}
        if isinstance(current, list):
            position = int(part)
            while len(current) <= position:
                current.append({})
            if not isinstance(current[position], (dict, list)):
                current[position] = following
            current = current[position]
        else:
            if not isinstance(current.get(part), (dict, list)):
                current[part] = following
            current = current[part]
    last = parts[-1]
    if isinstance(current, list):
        while len(current) <= int(last):
            current.append(None)
        current[int(last)] = value
    else:
        current[last] = value


def delete_value(data: dict[str, Any], path: str) -> None:
    """Remove the value at ``path`` if it is there."""
    parts = _parts(path)
    parent = get_value(data, ".".join(parts[:-1])) if len(parts) > 1 else data
    if isinstance(parent, dict):
        parent.pop(parts[-1], None)


def schema_at(schema: Mapping[str, Any], path: str) -> Mapping[str, Any] | None:
    """The JSON Schema node a field's data ``path`` is checked against (through array ``items``), or ``None``."""
    current: Any = schema
    for part in _parts(path):
        if not isinstance(current, Mapping):
            return None
        if current.get("type") == "array" and isinstance(current.get("items"), Mapping):
            current = current["items"]
        properties = current.get("properties")
        if not isinstance(properties, Mapping) or part not in properties:
            return None
        current = properties[part]
    return current if isinstance(current, Mapping) else None


def iter_strings(value: Any) -> Iterator[str]:
    """Every string anywhere in ``value`` (nested dicts and lists), e.g. the attachment ids in a case's data."""
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for item in value.values():
            yield from iter_strings(item)
    elif isinstance(value, list):
        for item in value:
            yield from iter_strings(item)
