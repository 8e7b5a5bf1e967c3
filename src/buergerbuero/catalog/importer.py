"""Imports the Kreis catalogue from a file: our JSON format or a flat CSV of services.

Reading and checking are pure (:func:`read_json`, :func:`read_csv`, :func:`validate`);
only :func:`import_catalog` touches the database, through ``catalog.services``, in one
transaction: when any record is invalid nothing is written. Records are keyed by slug,
so importing the same file again changes nothing. The format is described in
``docs/catalog-content.md``.
"""

from __future__ import annotations

import csv
import io
import json
import re
from collections import Counter
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import TYPE_CHECKING, Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.text import slugify
from django.utils.translation import gettext as _

from .conditions import validate_condition, validate_questions
from .constants import Channel
from .fees import validate_fee
from .models import Category, DocumentRequirement, LifeSituation, Service

if TYPE_CHECKING:
    from buergerbuero.accounts.models import User

__all__ = [
    "CSV_COLUMNS",
    "CatalogData",
    "ImportResult",
    "RecordError",
    "ServiceRecord",
    "import_catalog",
    "read_csv",
    "read_file",
    "read_json",
    "validate",
]

Progress = Callable[[str], None]

#: The columns of the CSV format, in order; only ``leika_key`` and ``name_de`` are required.
CSV_COLUMNS = (
    "leika_key",
    "slug",
    "name_de",
    "name_en",
    "summary_de",
    "summary_en",
    "procedure_de",
    "procedure_en",
    "processing_time_de",
    "processing_time_en",
    "legal_basis",
    "fee",
    "level",
    "counter_minutes",
    "channels",
    "online_assurance",
    "keywords",
    "categories",
    "life_situations",
)

_TEXT_FIELDS = (
    "name_de",
    "name_en",
    "summary_de",
    "summary_en",
    "procedure_de",
    "procedure_en",
    "processing_time_de",
    "processing_time_en",
    "legal_basis",
    "authority_de",
    "authority_en",
    "online_url",
    "leika_key",
)
_SERVICE_KEYS = frozenset(
    {
        *_TEXT_FIELDS,
        "slug",
        "fee",
        "level",
        "counter_minutes",
        "online_assurance",
        "channels",
        "keywords",
        "questions",
        "categories",
        "life_situations",
        "requirements",
    }
)
_REQUIREMENT_KEYS = frozenset({"name_de", "name_en", "note_de", "note_en", "condition"})
_CHANNEL_FLAGS = {
    Channel.ONLINE: "online_application",
    Channel.APPOINTMENT: "by_appointment",
    Channel.WALK_IN: "walk_in",
    Channel.POST: "by_post",
}
_SLUG_RE = re.compile(r"^[-a-z0-9_]+$")
_SECTIONS = ("categories", "life_situations", "services")


@dataclass(frozen=True)
class RecordError:
    """What is wrong with one record: ``row`` counts from 1 within its section (the line number in a CSV)."""

    section: str
    row: int
    field: str
    message: str

    def __str__(self) -> str:
        labels = {
            "categories": _("Category %(row)d"),
            "life_situations": _("Life situation %(row)d"),
            "services": _("Service %(row)d"),
            "csv": _("Line %(row)d"),
            "file": _("File"),
        }
        where = labels.get(self.section, labels["services"]) % {"row": self.row}
        if self.field:
            return _("%(where)s, field “%(field)s”: %(message)s") % {
                "where": where,
                "field": self.field,
                "message": self.message,
            }
        return f"{where}: {self.message}"


@dataclass(frozen=True)
class GroupRecord:
    """A category or life situation from the file."""

    row: int
    slug: str
    values: dict[str, Any]


@dataclass(frozen=True)
class ServiceRecord:
    """A service from the file; ``requirements`` is ``None`` when the file says nothing about them (CSV)."""

    row: int
    slug: str
    values: dict[str, Any]
    categories: list[str]
    life_situations: list[str]
    requirements: list[dict[str, Any]] | None
    section: str = "services"


@dataclass
class CatalogData:
    categories: list[GroupRecord] = field(default_factory=list)
    life_situations: list[GroupRecord] = field(default_factory=list)
    services: list[ServiceRecord] = field(default_factory=list)
    #: Problems found while reading (malformed records); :func:`validate` adds the rest.
    errors: list[RecordError] = field(default_factory=list)


@dataclass
class ImportResult:
    """Per section (``categories``, ``life_situations``, ``services``): how many records were created etc."""

    counts: dict[str, Counter[str]] = field(default_factory=lambda: {name: Counter() for name in _SECTIONS})
    errors: list[RecordError] = field(default_factory=list)
    dry_run: bool = False

    @property
    def ok(self) -> bool:
        return not self.errors

    def summary(self) -> str:
        labels = {
            "categories": _("Categories"),
            "life_situations": _("Life situations"),
            "services": _("Services"),
        }
        lines = [
            _("%(section)s: %(created)d created, %(updated)d updated, %(unchanged)d unchanged")
            % {
                "section": labels[name],
                "created": self.counts[name]["created"],
                "updated": self.counts[name]["updated"],
                "unchanged": self.counts[name]["unchanged"],
            }
            for name in _SECTIONS
            if sum(self.counts[name].values())
        ]
        if self.dry_run:
            lines.append(_("Dry run: nothing was saved."))
        return "\n".join(lines)


# ------------------------------------------------------------------------------------------------ reading


def read_file(path: Path, file_format: str | None = None) -> CatalogData:
    """Read ``path`` as ``json`` or ``csv`` (by default from its suffix)."""
    file_format = file_format or ("csv" if path.suffix.lower() == ".csv" else "json")
    text = path.read_text(encoding="utf-8-sig")
    return read_csv(text) if file_format == "csv" else read_json(text)


def read_json(text: str) -> CatalogData:
    """Our full format: ``{"categories": [...], "life_situations": [...], "services": [...]}``."""
    data = CatalogData()
    try:
        document = json.loads(text)
    except json.JSONDecodeError as error:
        data.errors.append(
            RecordError("file", 0, "", _("Not valid JSON (line %(line)d): %(error)s") % _json_error(error))
        )
        return data
    if not isinstance(document, dict):
        data.errors.append(RecordError("file", 0, "", _("The file must hold one JSON object.")))
        return data
    for section, target in (("categories", data.categories), ("life_situations", data.life_situations)):
        for row, item in enumerate(_list(document, section, data), start=1):
            record = _group(section, row, item, data.errors)
            if record is not None:
                target.append(record)
    for row, item in enumerate(_list(document, "services", data), start=1):
        service = _json_service(row, item, data.errors)
        if service is not None:
            data.services.append(service)
    return data


def _json_error(error: json.JSONDecodeError) -> dict[str, Any]:
    return {"line": error.lineno, "error": error.msg}


def _list(document: dict[str, Any], section: str, data: CatalogData) -> list[Any]:
    items = document.get(section, [])
    if not isinstance(items, list):
        data.errors.append(RecordError("file", 0, section, _("Must be a list.")))
        return []
    return items


def _group(section: str, row: int, item: Any, errors: list[RecordError]) -> GroupRecord | None:
    if not isinstance(item, dict):
        errors.append(RecordError(section, row, "", _("Must be an object.")))
        return None
    allowed = {"slug", "name_de", "name_en", "position"} | (
        {"summary_de", "summary_en"} if section == "life_situations" else set()
    )
    for key in sorted(set(item) - allowed):
        errors.append(RecordError(section, row, key, _("Unknown field.")))
    values = {key: item[key] for key in allowed - {"slug"} if key in item}
    values.setdefault("position", row)
    slug = item.get("slug") or slugify(str(item.get("name_de", "")))
    return GroupRecord(row, str(slug), values)


def _json_service(row: int, item: Any, errors: list[RecordError]) -> ServiceRecord | None:
    if not isinstance(item, dict):
        errors.append(RecordError("services", row, "", _("Must be an object.")))
        return None
    for key in sorted(set(item) - _SERVICE_KEYS):
        errors.append(RecordError("services", row, key, _("Unknown field.")))
    values: dict[str, Any] = {key: item[key] for key in _TEXT_FIELDS if key in item}
    values["level"] = item.get("level", "municipality")
    values["fee"] = item.get("fee") or {"kind": "free"}
    values["questions"] = item.get("questions", [])
    values["counter_minutes"] = item.get("counter_minutes", 15)
    values["online_assurance"] = item.get("online_assurance", 2)
    keywords = item.get("keywords", "")
    values["keywords"] = ", ".join(str(word) for word in keywords) if isinstance(keywords, list) else keywords
    channels = item.get("channels", [Channel.APPOINTMENT.value])
    if not isinstance(channels, list):
        errors.append(RecordError("services", row, "channels", _("Must be a list.")))
        channels = []
    _set_channels(values, channels, lambda message: errors.append(RecordError("services", row, "channels", message)))
    requirements = item.get("requirements", [])
    if not isinstance(requirements, list):
        errors.append(RecordError("services", row, "requirements", _("Must be a list.")))
        requirements = []
    return ServiceRecord(
        row=row,
        slug=str(item.get("slug") or slugify(str(item.get("name_de", ""))))[:120],
        values=values,
        categories=_slugs(item.get("categories", [])),
        life_situations=_slugs(item.get("life_situations", [])),
        requirements=requirements,
    )


def _slugs(value: Any) -> list[str]:
    if isinstance(value, str):
        return [part.strip() for part in value.split(";") if part.strip()]
    if isinstance(value, list):
        return [str(part).strip() for part in value if str(part).strip()]
    return [str(value)]


def _set_channels(values: dict[str, Any], channels: Iterable[str], error: Callable[[str], None]) -> None:
    chosen = set()
    for channel in channels:
        if channel not in Channel.values:
            error(_("Unknown channel “%(channel)s”; use online, appointment, walk_in or post.") % {"channel": channel})
        chosen.add(channel)
    for channel, flag in _CHANNEL_FLAGS.items():
        values[flag] = channel in chosen


def read_csv(text: str) -> CatalogData:
    """One service per line, with the columns of :data:`CSV_COLUMNS` (a header line names them)."""
    data = CatalogData()
    reader = csv.DictReader(io.StringIO(text))
    columns = [name.strip() for name in reader.fieldnames or []]
    missing = [name for name in ("leika_key", "name_de") if name not in columns]
    unknown = [name for name in columns if name not in CSV_COLUMNS]
    if missing or unknown:
        for name in missing:
            data.errors.append(RecordError("csv", 1, name, _("This column is missing.")))
        for name in unknown:
            data.errors.append(RecordError("csv", 1, name, _("Unknown column.")))
        return data
    reader.fieldnames = columns
    for row in reader:
        line = reader.line_num
        cells = {key: (value or "").strip() for key, value in row.items() if key is not None}
        record = _csv_service(line, cells, data.errors)
        if record is not None:
            data.services.append(record)
    return data


def _csv_service(line: int, cells: dict[str, str], errors: list[RecordError]) -> ServiceRecord | None:
    def error(column: str, message: str) -> None:
        errors.append(RecordError("csv", line, column, message))

    values: dict[str, Any] = {key: cells[key] for key in _TEXT_FIELDS if key in cells}
    values["level"] = cells.get("level") or "municipality"
    values["questions"] = []
    values["keywords"] = cells.get("keywords", "")
    values["fee"] = _csv_fee(cells.get("fee", ""), lambda message: error("fee", message))
    for column, default in (("counter_minutes", 15), ("online_assurance", 2)):
        raw = cells.get(column, "")
        if not raw:
            values[column] = default
        elif raw.isdigit():
            values[column] = int(raw)
        else:
            error(column, _("Enter a whole number."))
    channels = _slugs(cells.get("channels", "")) or [Channel.APPOINTMENT.value]
    _set_channels(values, channels, lambda message: error("channels", message))
    return ServiceRecord(
        row=line,
        slug=(cells.get("slug") or slugify(cells.get("name_de", "")))[:120],
        values=values,
        categories=_slugs(cells.get("categories", "")),
        life_situations=_slugs(cells.get("life_situations", "")),
        requirements=None,
        section="csv",
    )


def _csv_fee(raw: str, error: Callable[[str], None]) -> dict[str, Any]:
    """A fee cell: empty (free), a plain amount ("13.00" or "13,00") or a fee rule as JSON."""
    if not raw:
        return {"kind": "free"}
    if raw.startswith("{"):
        try:
            fee = json.loads(raw)
        except json.JSONDecodeError:
            error(_("Not valid JSON."))
            return {"kind": "free"}
        return fee if isinstance(fee, dict) else {"kind": fee}
    try:
        amount = Decimal(raw.replace(",", "."))
    except InvalidOperation:
        error(_("Enter an amount such as 13.00, or a fee rule as JSON."))
        return {"kind": "free"}
    if amount == 0:
        return {"kind": "free"}
    return {"kind": "fixed", "amount": f"{amount.quantize(Decimal('0.01'))}"}


# --------------------------------------------------------------------------------------------- validation


def validate(
    data: CatalogData, *, known_categories: Iterable[str] = (), known_life_situations: Iterable[str] = ()
) -> list[RecordError]:
    """Every problem of ``data``, in file order; no database access.

    ``known_*`` are the slugs already in the catalogue, which the file's services may name
    besides the groups the file itself brings.
    """
    errors = list(data.errors)
    categories = set(known_categories)
    life_situations = set(known_life_situations)
    for section, records, known in (
        ("categories", data.categories, categories),
        ("life_situations", data.life_situations, life_situations),
    ):
        model: type[Category | LifeSituation] = Category if section == "categories" else LifeSituation
        seen: set[str] = set()
        for record in records:
            errors.extend(_check_slug(section, record.row, record.slug, seen))
            instance = model(slug=record.slug, **record.values)
            errors.extend(_field_errors(section, record.row, instance, exclude=["id"]))
            known.add(record.slug)
    seen = set()
    for service in data.services:
        errors.extend(_validate_service(service, seen, categories, life_situations))
    return errors


def _check_slug(section: str, row: int, slug: str, seen: set[str]) -> list[RecordError]:
    problems = []
    if not slug or not _SLUG_RE.match(slug):
        problems.append(
            RecordError(section, row, "slug", _("Use lower-case letters, digits and hyphens (or give a German name)."))
        )
    elif slug in seen:
        problems.append(RecordError(section, row, "slug", _("The slug “%(slug)s” is used twice.") % {"slug": slug}))
    seen.add(slug)
    return problems


def _field_errors(section: str, row: int, instance: Any, exclude: list[str]) -> list[RecordError]:
    try:
        instance.clean_fields(exclude=exclude)
    except ValidationError as error:
        return [
            RecordError(section, row, name, " ".join(str(message) for message in messages))
            for name, messages in error.message_dict.items()
        ]
    except (TypeError, ValueError) as error:  # a value of the wrong type, e.g. a list for a name
        return [RecordError(section, row, "", str(error))]
    return []


def _validate_service(
    service: ServiceRecord, seen: set[str], categories: set[str], life_situations: set[str]
) -> list[RecordError]:
    section, row = service.section, service.row

    def problem(name: str, message: str) -> RecordError:
        return RecordError(section, row, name, message)

    errors = _check_slug(section, row, service.slug, seen)
    try:
        instance = Service(slug=service.slug, **service.values)
    except (TypeError, ValueError) as error:
        return [*errors, problem("", str(error))]
    skip = ["id", "public_id", "origin_url", "created_at", "updated_at", "fee", "questions"]
    errors.extend(_field_errors(section, row, instance, exclude=skip))
    questions = service.values.get("questions")
    questions_ok = True
    try:
        validate_questions(questions)
    except ValueError as error:
        errors.append(problem("questions", str(error)))
        questions_ok = False
    if questions_ok:
        try:
            validate_fee(service.values.get("fee"), questions)
        except ValueError as error:
            errors.append(problem("fee", str(error)))
    for slug in service.categories:
        if slug not in categories:
            errors.append(problem("categories", _("Unknown category “%(slug)s”.") % {"slug": slug}))
    for slug in service.life_situations:
        if slug not in life_situations:
            errors.append(problem("life_situations", _("Unknown life situation “%(slug)s”.") % {"slug": slug}))
    for number, item in enumerate(service.requirements or [], start=1):
        name = f"requirements[{number}]"
        if not isinstance(item, dict):
            errors.append(problem(name, _("Must be an object.")))
            continue
        for key in sorted(set(item) - _REQUIREMENT_KEYS):
            errors.append(problem(f"{name}.{key}", _("Unknown field.")))
        values = {key: item.get(key, "") for key in ("name_de", "name_en", "note_de", "note_en")}
        requirement = DocumentRequirement(position=number, **values)
        for found in _field_errors(section, row, requirement, exclude=["id", "service", "condition"]):
            errors.append(problem(f"{name}.{found.field}", found.message))
        if questions_ok:
            try:
                validate_condition(item.get("condition"), questions)
            except ValueError as error:
                errors.append(problem(f"{name}.condition", str(error)))
    return errors


# ------------------------------------------------------------------------------------------------ writing


def import_catalog(
    data: CatalogData,
    *,
    actor: User | None = None,
    dry_run: bool = False,
    progress: Progress | None = None,
) -> ImportResult:
    """Validate ``data`` and write it: all records or, when any is invalid, none.

    With ``dry_run`` everything is written and checked, then rolled back, so the
    counts say what an import would do.
    """
    from . import services  # the write side; imported here so reading and checking stay light

    result = ImportResult(dry_run=dry_run)
    result.errors = validate(
        data,
        known_categories=Category.objects.values_list("slug", flat=True),
        known_life_situations=LifeSituation.objects.values_list("slug", flat=True),
    )
    if result.errors:
        return result
    with transaction.atomic():
        for record in data.categories:
            _category, outcome = services.upsert_category(slug=record.slug, data=record.values, actor=actor)
            result.counts["categories"][outcome] += 1
        for record in data.life_situations:
            _situation, outcome = services.upsert_life_situation(slug=record.slug, data=record.values, actor=actor)
            result.counts["life_situations"][outcome] += 1
        groups = _groups(data)
        total = len(data.services)
        for number, service in enumerate(data.services, start=1):
            _service, outcome = services.upsert_service(
                slug=service.slug,
                data=service.values,
                categories=[groups[0][slug] for slug in service.categories],
                life_situations=[groups[1][slug] for slug in service.life_situations],
                requirements=service.requirements,
                actor=actor,
            )
            result.counts["services"][outcome] += 1
            if progress is not None and total > 20 and (number % 20 == 0 or number == total):
                progress(_("%(number)d of %(total)d services") % {"number": number, "total": total})
        if dry_run:
            transaction.set_rollback(True)
    return result


def _groups(data: CatalogData) -> tuple[Mapping[str, Category], Mapping[str, LifeSituation]]:
    wanted_categories = {slug for service in data.services for slug in service.categories}
    wanted_situations = {slug for service in data.services for slug in service.life_situations}
    return (
        Category.objects.in_bulk(wanted_categories, field_name="slug"),
        LifeSituation.objects.in_bulk(wanted_situations, field_name="slug"),
    )
