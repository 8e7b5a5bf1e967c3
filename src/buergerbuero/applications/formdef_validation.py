"""Validation of a draft's data against its form: the JSON Schema (Draft 2020-12 with formats), each
error mapped to the field it concerns and said in words a citizen understands.

Pure: no ORM. Use through ``formdef.validate_step`` / ``formdef.validate_all``.
"""

from __future__ import annotations

import copy
import re
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from django.utils.translation import gettext as _
from jsonschema import Draft202012Validator, FormatChecker
from jsonschema.exceptions import ValidationError

from buergerbuero.core.i18n import active_language

from .formdef_data import clean_data, is_visible, visible_fields
from .formdef_paths import get_value

if TYPE_CHECKING:
    from .formdef import FieldSpec, FormSpec, StepSpec

__all__ = ["validate_all", "validate_step"]

Errors = dict[str, list[str]]

#: A pragmatic e-mail check (the schema format "email" alone accepts anything with an @).
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


def validate_step(spec: FormSpec, step: StepSpec | str, data: Mapping[str, Any]) -> Errors:
    """The errors of one step's visible fields (path → messages); empty when the step is complete."""
    paths = {item.path for item in visible_fields(spec, step, data)}
    return {path: messages for path, messages in validate_all(spec, data).items() if _top(spec, path) in paths}


def validate_all(spec: FormSpec, data: Mapping[str, Any]) -> Errors:
    """Every error of the data (path → messages), only for visible fields; empty means ready to submit."""
    cleaned = clean_data(spec, data)
    instance = copy.deepcopy(cleaned)
    visible: dict[str, FieldSpec] = {}
    for step in spec.steps:
        for item in step.fields:
            if is_visible(item, data):
                visible[item.path] = item
                _ensure_parents(instance, item.path)
    validator = Draft202012Validator(dict(spec.schema), format_checker=FormatChecker())
    errors: Errors = {}
    for error in validator.iter_errors(instance):
        for path, message in _explain(spec, error):
            if _top(spec, path) in visible:
                _add(errors, path, message)
            elif not spec.field(path):
                _add(errors, "", message)
    for path, item in visible.items():
        _extra_checks(item, path, cleaned, errors)
    return errors


def _add(errors: Errors, path: str, message: str) -> None:
    messages = errors.setdefault(path, [])
    if message not in messages:
        messages.append(message)


def _top(spec: FormSpec, path: str) -> str:
    """The top-level field a (possibly item) path belongs to."""
    best = ""
    for step in spec.steps:
        for item in step.fields:
            if (path == item.path or path.startswith(item.path + ".")) and len(item.path) > len(best):
                best = item.path
    return best


def _ensure_parents(data: dict[str, Any], path: str) -> None:
    current = data
    for part in path.split(".")[:-1]:
        if not isinstance(current.get(part), dict):
            if part in current:
                return
            current[part] = {}
        current = current[part]


def _extra_checks(item: FieldSpec, path: str, data: Mapping[str, Any], errors: Errors) -> None:
    value = get_value(data, path)
    if item.widget == "email" and isinstance(value, str) and not _EMAIL.match(value):
        _add(errors, path, _email_message())


def _email_message() -> str:
    return _("Please enter an e-mail address in the form name@example.de.")


def _explain(spec: FormSpec, error: ValidationError) -> list[tuple[str, str]]:
    base = ".".join(str(part) for part in error.absolute_path)
    language = active_language()
    if error.validator == "required":
        required: Any = error.validator_value
        present = error.instance if isinstance(error.instance, dict) else {}
        missing = [name for name in required if name not in present]
        return [(_join(base, name), _required(spec.field(_join(base, name)), language)) for name in missing]
    item = spec.field(base)
    label = item.label(language) if item else ""
    return [(base, _message(error, item, label))]


def _join(base: str, name: str) -> str:
    return f"{base}.{name}" if base else name


def _required(item: FieldSpec | None, language: str) -> str:
    if item is None:
        return _("Some required information is missing.")
    label = item.label(language)
    if item.widget == "file":
        return _("Please upload “%(label)s”.") % {"label": label}
    if item.widget in ("select", "radio", "checkboxes"):
        return _("Please choose “%(label)s”.") % {"label": label}
    if item.widget == "checkbox":
        return _("Please confirm “%(label)s”.") % {"label": label}
    if item.widget == "repeat":
        return _("Please add at least one entry to “%(label)s”.") % {"label": label}
    return _("Please enter “%(label)s”.") % {"label": label}


def _message(error: ValidationError, item: FieldSpec | None, label: str) -> str:
    kind = error.validator
    value: Any = error.validator_value
    widget = item.widget if item else ""
    if kind == "pattern":
        if widget == "postcode":
            return _("The postcode has five digits, for example 41564.")
        if widget == "tel":
            return _("Please enter a phone number with digits only, for example 02131 123456.")
        return _("“%(label)s” is not in the expected form.") % {"label": label}
    if kind == "format":
        if value == "email":
            return _email_message()
        if value == "date":
            return _("Please enter a real date as DD.MM.YYYY, for example 31.01.2026.")
        return _("“%(label)s” is not in the expected form.") % {"label": label}
    if kind == "maxLength":
        return _("Please enter at most %(count)d characters (you entered %(length)d).") % {
            "count": value,
            "length": len(error.instance) if isinstance(error.instance, str) else 0,
        }
    if kind == "minLength":
        return _("Please enter at least %(count)d characters.") % {"count": value}
    if kind in ("enum", "const"):
        if widget == "checkbox":
            return _("Please confirm “%(label)s”.") % {"label": label}
        return _("Please choose one of the options for “%(label)s”.") % {"label": label}
    if kind == "minItems":
        if widget == "file":
            if value <= 1:
                return _("Please upload “%(label)s”.") % {"label": label}
            return _("Please upload at least %(count)d files for “%(label)s”.") % {"count": value, "label": label}
        if widget == "checkboxes":
            return _("Please choose at least %(count)d options.") % {"count": value}
        return _("Please add at least %(count)d entries.") % {"count": value}
    if kind == "maxItems":
        if widget == "file":
            return _("Please upload at most %(count)d files here.") % {"count": value}
        if widget == "checkboxes":
            return _("Please choose at most %(count)d options.") % {"count": value}
        return _("Please enter at most %(count)d entries.") % {"count": value}
    if kind == "type":
        if widget == "number" or value in ("integer", "number"):
            if value == "integer":
                return _("Please enter a whole number.")
            return _("Please enter a number.")
        return _("“%(label)s” is not valid.") % {"label": label}
    if kind in ("minimum", "exclusiveMinimum"):
        return _("Please enter a number of at least %(minimum)s.") % {"minimum": value}
    if kind in ("maximum", "exclusiveMaximum"):
        return _("Please enter a number of at most %(maximum)s.") % {"maximum": value}
    if kind == "additionalProperties":
        return _("The form contains information it does not ask for; please start again.")
    return _("“%(label)s” is not valid.") % {"label": label} if label else _("The information is not valid.")
