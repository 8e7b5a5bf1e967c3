"""Content in two languages: ``name_de`` / ``name_en`` fields read through one attribute.

German is the authoritative language of the product's content; English falls back to
German where a text has not been translated, so a page never shows an empty heading.
"""

from __future__ import annotations

from typing import Any

from django.utils.translation import get_language

__all__ = ["Localized", "active_language", "localized"]

LANGUAGES = ("de", "en")


def active_language() -> str:
    language = (get_language() or "de")[:2]
    return language if language in LANGUAGES else "de"


def localized(obj: Any, field: str, language: str | None = None) -> str:
    """``obj.<field>_<language>``, falling back to the German text."""
    language = language or active_language()
    value = getattr(obj, f"{field}_{language}", "") if language != "de" else ""
    return str(value or getattr(obj, f"{field}_de", "") or "")


class Localized:
    """A read-only attribute: ``Service.name`` reads ``name_de`` or ``name_en`` by the active language."""

    def __set_name__(self, owner: type, name: str) -> None:
        self.field = name

    def __get__(self, obj: object | None, owner: type | None = None) -> Any:
        if obj is None:
            return self
        return localized(obj, self.field)
