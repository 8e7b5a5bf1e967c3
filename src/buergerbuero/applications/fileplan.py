"""File numbers (Aktenzeichen) from the Kreis's file plan: the number format and its validation.

A format is a Python format string with exactly the placeholders ``{code}``, ``{year}`` and ``{number}``
(``{number}`` may carry an integer format spec, e.g. ``{number:06d}``), e.g. ``{code}/{year}/{number:06d}``
gives ``32.11/2026/000123``. Pure: no ORM.
"""

from __future__ import annotations

import string

from django.utils.translation import gettext as _

__all__ = ["DEFAULT_FORMAT", "FileNumberFormatError", "format_file_number", "validate_number_format"]

DEFAULT_FORMAT = "{code}/{year}/{number:06d}"
PLACEHOLDERS = frozenset({"code", "year", "number"})
#: The longest file number a case can store (``Case.file_number``).
MAX_LENGTH = 60


class FileNumberFormatError(ValueError):
    """A file number format is not usable; the message says why (translated)."""


def validate_number_format(number_format: str) -> None:
    """Raise :class:`FileNumberFormatError` unless ``number_format`` makes unique, readable file numbers."""
    try:
        fields = [name for _text, name, _spec, _conv in string.Formatter().parse(number_format) if name is not None]
    except ValueError:
        raise FileNumberFormatError(
            _("The file number format has an unmatched brace; write placeholders as {code}, {year} and {number}.")
        ) from None
    unknown = sorted({name for name in fields if name not in PLACEHOLDERS})
    if unknown:
        raise FileNumberFormatError(
            _("Unknown placeholder %(names)s; use only {code}, {year} and {number}.")
            % {"names": ", ".join(f"{{{name}}}" for name in unknown)}
        )
    missing = [name for name in ("code", "year", "number") if name not in fields]
    if missing:
        raise FileNumberFormatError(
            _("The file number format needs %(names)s, or file numbers would not be unique.")
            % {"names": ", ".join(f"{{{name}}}" for name in missing)}
        )
    try:
        sample = format_file_number(number_format, code="32.11", year=2026, number=123, validate=False)
    except (ValueError, TypeError, IndexError, KeyError):
        raise FileNumberFormatError(
            _("The file number format cannot be applied; {number} takes an integer format such as {number:06d}.")
        ) from None
    if len(format_file_number(number_format, code="x" * 30, year=2026, number=999_999, validate=False)) > MAX_LENGTH:
        raise FileNumberFormatError(
            _("File numbers in this format can be longer than %(max)d characters.") % {"max": MAX_LENGTH}
        )
    if not sample.strip():
        raise FileNumberFormatError(_("The file number format gives empty file numbers."))


def format_file_number(number_format: str, *, code: str, year: int, number: int, validate: bool = True) -> str:
    """The file number for ``code``, ``year`` and sequence ``number`` in ``number_format``."""
    if validate:
        validate_number_format(number_format)
    return number_format.format(code=code, year=year, number=number)
