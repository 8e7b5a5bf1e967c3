"""The form engine: a form definition (format ``buergerbuero-form/1``) read into typed specs, and the
operations the portal, the submission and the back office need on a draft's data.

Pure: no ORM, no request. The format is documented in ``docs/forms.md`` and by example in
``applications/forms/*.json``. Data is a nested JSON object; a field's ``path`` is dotted
(``inhaber.familienname``), items of a ``repeat`` field are addressed by their index
(``personen.0.vorname``). A field whose ``when`` condition is false is hidden and its value is
dropped (:func:`clean_data`) before validation and submission.

This module holds the spec types and the parsing of a definition, and is the engine's public face:
it re-exports the operations that live in ``formdef_paths`` (paths into the data),
``formdef_data`` (visibility, cleaning, prefill, posted forms), ``formdef_summary`` (display values)
and ``formdef_validation`` (JSON Schema errors in words), so callers import ``applications.formdef``.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from django.utils.translation import gettext as _
from jsonschema import Draft202012Validator
from jsonschema.exceptions import SchemaError

from buergerbuero.catalog.conditions import OPERATORS

from .formdef_data import (
    RESERVED_PREFIX,
    PostData,
    add_item,
    applicable_steps,
    applicant_email,
    applicant_name,
    clean_data,
    fee_answers,
    is_visible,
    next_step,
    parse_post,
    prefill,
    previous_step,
    remove_item,
    routing_postcode,
    step_applies,
    step_of,
    visible_fields,
)
from .formdef_paths import delete_value, get_value, iter_strings, schema_at, set_value, template_path
from .formdef_summary import SummaryRow, SummarySection, display, summary
from .formdef_validation import validate_all, validate_step

__all__ = [
    "FORMAT",
    "PREFILL_SOURCES",
    "RESERVED_PREFIX",
    "WIDGETS",
    "DefinitionError",
    "FieldSpec",
    "FormSpec",
    "Option",
    "PostData",
    "StepSpec",
    "SummaryRow",
    "SummarySection",
    "add_item",
    "applicable_steps",
    "applicant_email",
    "applicant_name",
    "clean_data",
    "delete_value",
    "display",
    "fee_answers",
    "get_value",
    "is_visible",
    "iter_strings",
    "next_step",
    "parse_definition",
    "parse_post",
    "prefill",
    "previous_step",
    "remove_item",
    "routing_postcode",
    "schema_at",
    "set_value",
    "step_applies",
    "step_of",
    "summary",
    "template_path",
    "validate_all",
    "validate_step",
    "visible_fields",
]

FORMAT = "buergerbuero-form/1"
WIDGETS = frozenset(
    {"text", "textarea", "email", "tel", "date", "number", "postcode", "select", "radio", "checkbox", "checkboxes"}
    | {"file", "repeat"}
)
CHOICE_WIDGETS = frozenset({"select", "radio", "checkboxes"})
PREFILL_SOURCES = frozenset(
    f"user.{name}" for name in ("first_name", "last_name", "email", "street", "postcode", "city", "birth_date", "phone")
)
_STEP_KEY = re.compile(r"^[a-z][a-z0-9_]*$")
_PATH = re.compile(r"^[a-z_][a-z0-9_]*(\.[a-z_][a-z0-9_]*)*$")


class DefinitionError(ValueError):
    """A form definition is not valid; ``errors`` says why, each message translated and naming the place."""

    def __init__(self, errors: Sequence[str]) -> None:
        super().__init__("\n".join(errors))
        self.errors = list(errors)


@dataclass(frozen=True)
class Option:
    value: str
    label_de: str
    label_en: str = ""

    def label(self, language: str) -> str:
        return (self.label_en if language == "en" else "") or self.label_de


@dataclass(frozen=True)
class FieldSpec:
    """One field; ``path`` is absolute, except for the ``fields`` of a repeat, which are relative to an item."""

    path: str
    widget: str
    label_de: str
    label_en: str = ""
    help_de: str = ""
    help_en: str = ""
    autocomplete: str = ""
    prefill: str = ""
    options: tuple[Option, ...] = ()
    when: Any = None
    accept: tuple[str, ...] = ()
    max_files: int | None = None
    max_mb: int | None = None
    min_items: int = 0
    max_items: int | None = None
    fields: tuple[FieldSpec, ...] = ()
    item_label_de: str = ""
    item_label_en: str = ""

    def label(self, language: str) -> str:
        return (self.label_en if language == "en" else "") or self.label_de

    def help(self, language: str) -> str:
        return (self.help_en if language == "en" else "") or self.help_de

    def item_label(self, language: str) -> str:
        return (self.item_label_en if language == "en" else "") or self.item_label_de or self.label(language)

    def option_label(self, value: Any, language: str) -> str:
        for option in self.options:
            if option.value == value:
                return option.label(language)
        return str(value)

    @property
    def html_id(self) -> str:
        return "f-" + self.path.replace(".", "-")


@dataclass(frozen=True)
class StepSpec:
    key: str
    title_de: str
    title_en: str = ""
    intro_de: str = ""
    intro_en: str = ""
    fields: tuple[FieldSpec, ...] = ()

    def title(self, language: str) -> str:
        return (self.title_en if language == "en" else "") or self.title_de

    def intro(self, language: str) -> str:
        return (self.intro_en if language == "en" else "") or self.intro_de


@dataclass(frozen=True)
class FormSpec:
    service: str
    title_de: str
    title_en: str
    intro_de: str
    intro_en: str
    processing_days: int
    routing: str
    applicant_name_paths: tuple[str, ...]
    applicant_email_path: str
    fee_answer_paths: Mapping[str, str]
    schema: Mapping[str, Any]
    steps: tuple[StepSpec, ...]
    fields_by_path: Mapping[str, FieldSpec] = field(default_factory=dict)
    step_of_path: Mapping[str, str] = field(default_factory=dict)

    def title(self, language: str) -> str:
        return (self.title_en if language == "en" else "") or self.title_de

    def intro(self, language: str) -> str:
        return (self.intro_en if language == "en" else "") or self.intro_de

    def step(self, key: str) -> StepSpec | None:
        return next((step for step in self.steps if step.key == key), None)

    def field(self, path: str) -> FieldSpec | None:
        """The top-level field at ``path`` (or at the template path of a repeat item's field)."""
        return self.fields_by_path.get(template_path(path))

    def step_index(self, key: str) -> int:
        return next((index for index, step in enumerate(self.steps) if step.key == key), -1)


# ---------------------------------------------------------------------------------------------- parsing


def parse_definition(definition: Any) -> FormSpec:
    """Read and check a definition; raise :class:`DefinitionError` listing every problem found."""
    errors: list[str] = []
    if not isinstance(definition, dict):
        raise DefinitionError([_("The form definition must be a JSON object.")])
    if definition.get("format") != FORMAT:
        errors.append(_("The definition must say “format”: “%(format)s”.") % {"format": FORMAT})
    for key in ("service", "title_de"):
        if not isinstance(definition.get(key), str) or not definition[key].strip():
            errors.append(_("The definition needs “%(key)s” (text).") % {"key": key})
    schema = definition.get("schema")
    if not isinstance(schema, dict):
        errors.append(_("The definition needs a “schema” (a JSON Schema object)."))
        schema = {}
    else:
        try:
            Draft202012Validator.check_schema(schema)
        except SchemaError as error:
            where = "/".join(str(part) for part in error.path) or "schema"
            errors.append(
                _("The JSON Schema is invalid at %(where)s: %(error)s") % {"where": where, "error": error.message}
            )
    steps_data = definition.get("steps")
    if not isinstance(steps_data, list) or not steps_data:
        errors.append(_("The definition needs “steps”: a list of at least one step."))
        steps_data = []
    steps: list[StepSpec] = []
    fields_by_path: dict[str, FieldSpec] = {}
    step_of_path: dict[str, str] = {}
    for number, raw in enumerate(steps_data, start=1):
        if not isinstance(raw, dict):
            errors.append(_("Step %(number)d must be an object.") % {"number": number})
            continue
        key = _text(raw, "key")
        if not _STEP_KEY.match(key) or key in ("zusammenfassung", "verwerfen"):
            errors.append(_("Step %(number)d needs a key of lower-case letters, digits and _.") % {"number": number})
            key = f"step{number}"
        if any(step.key == key for step in steps):
            errors.append(_("The step key “%(key)s” is used twice.") % {"key": key})
        if not isinstance(raw.get("title_de"), str) or not raw["title_de"].strip():
            errors.append(_("Step “%(key)s” needs a German title (title_de).") % {"key": key})
        raw_fields = raw.get("fields")
        if not isinstance(raw_fields, list) or not raw_fields:
            errors.append(_("Step “%(key)s” needs a list of fields.") % {"key": key})
            raw_fields = []
        fields = tuple(_parse_field(item, "", schema, errors, f"{key}") for item in raw_fields)
        for spec in fields:
            if spec.path in fields_by_path:
                errors.append(_("The field path “%(path)s” is used twice.") % {"path": spec.path})
            fields_by_path[spec.path] = spec
            step_of_path[spec.path] = key
            for sub in spec.fields:
                fields_by_path[f"{spec.path}.{sub.path}"] = sub
                step_of_path[f"{spec.path}.{sub.path}"] = key
        texts = {k: _text(raw, k) for k in ("title_de", "title_en", "intro_de", "intro_en")}
        steps.append(StepSpec(key=key, fields=fields, **texts))
    known = set(fields_by_path)
    for step in steps:
        for spec in step.fields:
            _check_condition(spec.when, known, set(), spec.path, errors)
            for sub in spec.fields:
                relative = {item.path for item in spec.fields}
                _check_condition(sub.when, known, relative, f"{spec.path}.{sub.path}", errors)
    routing = definition.get("routing", "")
    if not isinstance(routing, str) or routing not in known:
        errors.append(_("“routing” must name the path of the postcode field that decides responsibility."))
        routing = ""
    applicant: dict[str, Any] = definition["applicant"] if isinstance(definition.get("applicant"), dict) else {}
    names = applicant.get("name", [])
    if isinstance(names, str):
        names = [names]
    if (
        not isinstance(names, list)
        or not names
        or not all(isinstance(n, str) and template_path(n) in known for n in names)
    ):
        errors.append(_("“applicant”.“name” must list the paths of the applicant's name fields."))
        names = []
    email = applicant.get("email", "")
    if email and (not isinstance(email, str) or template_path(email) not in known):
        errors.append(_("“applicant”.“email” must be the path of a field."))
        email = ""
    fee_paths = definition.get("fee_answers", {})
    if not isinstance(fee_paths, dict) or not all(
        isinstance(p, str) and template_path(p) in known for p in fee_paths.values()
    ):
        errors.append(_("“fee_answers” must map fee questions to paths of fields."))
        fee_paths = {}
    days = definition.get("processing_days", 30)
    if not isinstance(days, int) or isinstance(days, bool) or days < 1:
        errors.append(_("“processing_days” must be a positive whole number."))
        days = 30
    if errors:
        raise DefinitionError(errors)
    return FormSpec(
        service=definition["service"],
        title_de=definition["title_de"],
        title_en=_text(definition, "title_en"),
        intro_de=_text(definition, "intro_de"),
        intro_en=_text(definition, "intro_en"),
        processing_days=days,
        routing=routing,
        applicant_name_paths=tuple(names),
        applicant_email_path=email,
        fee_answer_paths=dict(fee_paths),
        schema=schema,
        steps=tuple(steps),
        fields_by_path=fields_by_path,
        step_of_path=step_of_path,
    )


def _text(raw: Mapping[str, Any], key: str) -> str:
    value = raw.get(key, "")
    return value if isinstance(value, str) else ""


def _parse_field(raw: Any, prefix: str, schema: Mapping[str, Any], errors: list[str], where: str) -> FieldSpec:
    if not isinstance(raw, dict) or not isinstance(raw.get("path"), str) or not _PATH.match(raw["path"]):
        errors.append(_("A field of “%(where)s” needs a dotted path of lower-case words.") % {"where": where})
        return FieldSpec(path="?", widget="text", label_de="?")
    path = raw["path"]
    full = f"{prefix}{path}"
    widget = raw.get("widget")
    if widget not in WIDGETS:
        errors.append(
            _("The field “%(path)s” has the unknown widget “%(widget)s”; known are: %(known)s.")
            % {"path": full, "widget": widget, "known": ", ".join(sorted(WIDGETS))}
        )
        widget = "text"
    if not _text(raw, "label_de").strip():
        errors.append(_("The field “%(path)s” needs a German label (label_de).") % {"path": full})
    node = schema_at(schema, full)
    if node is None:
        errors.append(_("The field “%(path)s” is missing in the JSON Schema.") % {"path": full})
    prefill_source = _text(raw, "prefill")
    if prefill_source and prefill_source not in PREFILL_SOURCES:
        errors.append(
            _("The field “%(path)s” prefills from the unknown “%(source)s”.") % {"path": full, "source": prefill_source}
        )
    options: list[Option] = []
    if widget in CHOICE_WIDGETS:
        raw_options = raw.get("options")
        if not isinstance(raw_options, list) or not raw_options:
            errors.append(_("The field “%(path)s” needs options.") % {"path": full})
            raw_options = []
        for item in raw_options:
            if not isinstance(item, dict) or not isinstance(item.get("value"), str) or not _text(item, "label_de"):
                errors.append(_("Every option of “%(path)s” needs a value and label_de.") % {"path": full})
                continue
            options.append(Option(item["value"], item["label_de"], _text(item, "label_en")))
    sub_fields: tuple[FieldSpec, ...] = ()
    if widget == "repeat":
        raw_sub = raw.get("fields")
        if prefix:
            errors.append(_("The repeat field “%(path)s” may not be inside another repeat.") % {"path": full})
        elif node is not None and node.get("type") != "array":
            errors.append(_("The repeat field “%(path)s” must be an array in the JSON Schema.") % {"path": full})
        if not isinstance(raw_sub, list) or not raw_sub:
            errors.append(_("The repeat field “%(path)s” needs fields.") % {"path": full})
            raw_sub = []
        sub_fields = tuple(_parse_field(item, f"{full}.", schema, errors, full) for item in raw_sub if not prefix)
        seen = [sub.path for sub in sub_fields]
        for duplicate in {p for p in seen if seen.count(p) > 1}:
            errors.append(_("The field path “%(path)s” is used twice.") % {"path": f"{full}.{duplicate}"})
    if widget == "file" and node is not None and node.get("type") != "array":
        errors.append(_("The file field “%(path)s” must be an array of IDs in the JSON Schema.") % {"path": full})
    accept = raw.get("accept", [])
    return FieldSpec(
        path=path,
        widget=widget,
        label_de=_text(raw, "label_de"),
        label_en=_text(raw, "label_en"),
        help_de=_text(raw, "help_de"),
        help_en=_text(raw, "help_en"),
        autocomplete=_text(raw, "autocomplete"),
        prefill=prefill_source,
        options=tuple(options),
        when=raw.get("when"),
        accept=tuple(a for a in accept if isinstance(a, str)) if isinstance(accept, list) else (),
        max_files=_int_or_none(raw.get("max_files")),
        max_mb=_int_or_none(raw.get("max_mb")),
        min_items=_int_or_none(raw.get("min_items")) or 0,
        max_items=_int_or_none(raw.get("max_items")),
        fields=sub_fields,
        item_label_de=_text(raw, "item_label_de"),
        item_label_en=_text(raw, "item_label_en"),
    )


def _int_or_none(value: Any) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def _check_condition(condition: Any, known: set[str], relative: set[str], path: str, errors: list[str]) -> None:
    if condition is None:
        return
    problem = _condition_problem(condition, known | relative, depth=1)
    if problem:
        errors.append(_("The condition of “%(path)s” is invalid: %(problem)s") % {"path": path, "problem": problem})


def _condition_problem(condition: Any, known: set[str], depth: int) -> str:
    if depth > 12 or not isinstance(condition, dict):
        return _("a condition must be an object, nested at most 12 levels.")
    keys = set(condition)
    if keys in ({"all"}, {"any"}):
        parts = next(iter(condition.values()))
        if not isinstance(parts, list) or not parts:
            return _("“all”/“any” need a list of conditions.")
        return next((p for p in (_condition_problem(c, known, depth + 1) for c in parts) if p), "")
    if keys == {"not"}:
        return _condition_problem(condition["not"], known, depth + 1)
    if keys != {"q", "op", "value"}:
        return _("use all/any/not or q, op and value.")
    if condition["q"] not in known:
        return _("“%(q)s” is not a field of this form.") % {"q": condition["q"]}
    if condition["op"] not in OPERATORS:
        return _("unknown operator “%(op)s”.") % {"op": condition["op"]}
    return ""
