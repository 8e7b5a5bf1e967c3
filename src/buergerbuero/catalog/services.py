"""Writes to the catalogue. Each runs in one transaction and is audited (``core.audit.log_action``)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal

from django.db import transaction
from django.utils.translation import gettext_lazy as _

from buergerbuero.core.audit import diff, log_action, snapshot
from buergerbuero.tenants.models import Municipality, Office

from .conditions import validate_condition, validate_questions
from .fees import validate_fee
from .models import Category, DocumentRequirement, LifeSituation, OfferingHours, Service, ServiceOffering

if TYPE_CHECKING:
    from buergerbuero.accounts.models import User

__all__ = [
    "OFFERING_FIELDS",
    "REQUIREMENT_FIELDS",
    "SERVICE_FIELDS",
    "HoursData",
    "RequirementData",
    "StaleEditError",
    "offer_service",
    "set_offering_serves",
    "update_offering",
    "update_service",
    "upsert_category",
    "upsert_life_situation",
    "upsert_service",
    "withdraw_offering",
]


class StaleEditError(Exception):
    """The record changed after the form was opened; nothing was written."""

    def __init__(self) -> None:
        super().__init__(
            _(
                "Someone else has changed this entry since you opened the form, so your changes were not saved. "
                "Open the entry again to see the current version, then make your changes there."
            )
        )


# --- the Kreis catalogue --------------------------------------------------------------------------------

#: What a Kreis administrator edits on a catalogue service (besides requirements, categories, life situations).
SERVICE_FIELDS = (
    "name_de",
    "name_en",
    "summary_de",
    "summary_en",
    "procedure_de",
    "procedure_en",
    "processing_time_de",
    "processing_time_en",
    "legal_basis",
    "level",
    "authority_de",
    "authority_en",
    "online_application",
    "by_appointment",
    "walk_in",
    "by_post",
    "online_url",
    "counter_minutes",
    "online_assurance",
    "keywords",
    "fee",
    "questions",
)
REQUIREMENT_FIELDS = ("position", "name_de", "name_en", "note_de", "note_en", "condition")


@dataclass(frozen=True)
class RequirementData:
    """One edited document requirement; ``id`` is ``None`` for a new one."""

    id: int | None
    position: int
    name_de: str
    name_en: str = ""
    note_de: str = ""
    note_en: str = ""
    condition: dict[str, Any] | None = None


def _check_version(updated_at: dt.datetime, expected: dt.datetime | None) -> None:
    if expected is not None and updated_at != expected:
        raise StaleEditError


@transaction.atomic
def update_service(
    *,
    service: Service,
    actor: User | None,
    data: Mapping[str, Any],
    requirements: Sequence[RequirementData] | None = None,
    categories: Iterable[Category] | None = None,
    life_situations: Iterable[LifeSituation] | None = None,
    expected_updated_at: dt.datetime | None = None,
) -> Service:
    """Change a catalogue service and, when given, replace its document requirements.

    Audited as ``catalog.service.update`` (the changed fields) and one
    ``catalog.requirement.create`` / ``.update`` / ``.delete`` per changed requirement.
    Raises :class:`StaleEditError` when the service's ``updated_at`` is no longer
    ``expected_updated_at`` (any requirement change also moves it), ``ConditionError`` /
    ``ValueError`` for an invalid questionnaire, fee or condition, ``ValidationError`` for
    invalid fields. The caller checks that ``actor`` is a Kreis administrator.
    Requirements are stored in the given order of ``position`` renumbered 1, 2, 3, …
    """
    unknown = set(data) - set(SERVICE_FIELDS)
    if unknown:
        raise ValueError(f"not service fields: {sorted(unknown)}")
    locked = Service.objects.select_for_update().get(pk=service.pk)
    _check_version(locked.updated_at, expected_updated_at)
    if locked.is_imported:
        raise ValueError("an imported service is maintained by the installation it comes from")

    before = snapshot(locked, data.keys())
    for name, value in data.items():
        setattr(locked, name, value)
    validate_questions(locked.questions)
    if locked.fee:  # empty: no fee known yet
        validate_fee(locked.fee, locked.questions)
    locked.clean_fields(exclude=[f.name for f in Service._meta.fields if f.name not in data])
    changes: dict[str, Any] = diff(before, snapshot(locked, data.keys()))
    changes.update(_set_related(locked, "categories", categories))
    changes.update(_set_related(locked, "life_situations", life_situations))

    requirements_changed = False
    if requirements is not None:
        requirements_changed = _replace_requirements(locked, requirements, actor)
    else:
        for requirement in locked.requirements.all():
            validate_condition(requirement.condition, locked.questions)

    if changes or requirements_changed:
        fields = [name for name in changes if name in data]
        locked.save(update_fields=[*fields, "updated_at"])
        log_action(actor=actor, action="catalog.service.update", obj=locked, changes=changes)
    return locked


def _set_related(service: Service, name: str, items: Iterable[Category | LifeSituation] | None) -> dict[str, Any]:
    if items is None:
        return {}
    manager = getattr(service, name)
    before = sorted(manager.values_list("slug", flat=True))
    items = list(items)
    after = sorted(item.slug for item in items)
    if before == after:
        return {}
    manager.set(items)
    return {name: [before, after]}


def _replace_requirements(service: Service, requirements: Sequence[RequirementData], actor: User | None) -> bool:
    existing = {requirement.pk: requirement for requirement in service.requirements.select_for_update()}
    unknown = {item.id for item in requirements if item.id is not None} - set(existing)
    if unknown:
        raise StaleEditError  # deleted (or never ours) since the form was opened
    ordered = sorted(enumerate(requirements), key=lambda pair: (pair[1].position, pair[0]))
    changed = False
    kept: set[int] = set()
    for number, (_index, item) in enumerate(ordered, start=1):
        validate_condition(item.condition, service.questions)
        values = {
            "position": number,
            "name_de": item.name_de,
            "name_en": item.name_en,
            "note_de": item.note_de,
            "note_en": item.note_en,
            "condition": item.condition,
        }
        if item.id is None:
            requirement = DocumentRequirement(service=service, **values)
            requirement.full_clean()
            requirement.save()
            log_action(actor=actor, action="catalog.requirement.create", obj=requirement, changes=values)
            kept.add(requirement.pk)
            changed = True
            continue
        requirement = existing[item.id]
        kept.add(requirement.pk)
        before = snapshot(requirement, REQUIREMENT_FIELDS)
        for name, value in values.items():
            setattr(requirement, name, value)
        requirement.full_clean()
        changes = diff(before, snapshot(requirement, REQUIREMENT_FIELDS))
        if changes:
            requirement.save(update_fields=list(changes))
            log_action(actor=actor, action="catalog.requirement.update", obj=requirement, changes=changes)
            changed = True
    for pk, requirement in existing.items():
        if pk not in kept:
            log_action(
                actor=actor,
                action="catalog.requirement.delete",
                obj=requirement,
                changes=snapshot(requirement, REQUIREMENT_FIELDS),
            )
            requirement.delete()
            changed = True
    return changed


# --- a municipality's offerings ---------------------------------------------------------------------------

#: What a municipality may set on its offering of a catalogue service (besides offices and hours).
OFFERING_FIELDS = (
    "online_application",
    "by_appointment",
    "walk_in",
    "by_post",
    "online_url",
    "name_de",
    "name_en",
    "summary_de",
    "summary_en",
    "procedure_de",
    "procedure_en",
    "note_de",
    "note_en",
    "fee",
    "contact_phone",
    "contact_email",
)


@dataclass(frozen=True)
class HoursData:
    """One service-specific opening interval."""

    weekday: int
    opens: dt.time
    closes: dt.time

    def __str__(self) -> str:
        return f"{self.weekday} {self.opens:%H:%M}-{self.closes:%H:%M}"


def _own_offices(municipality: Municipality, offices: Iterable[Office]) -> list[Office]:
    offices = list(offices)
    if any(office.municipality_id != municipality.pk for office in offices):
        raise ValueError("an offering can only name offices of its own municipality")
    return offices


@transaction.atomic
def offer_service(*, municipality: Municipality, service: Service, actor: User | None) -> ServiceOffering:
    """Offer ``service`` in ``municipality`` at all its offices, with the catalogue's texts; audited as
    ``catalog.offering.create``. Offering it again changes nothing."""
    offering = ServiceOffering.objects.filter(municipality=municipality, service=service).first()
    if offering is not None:
        return offering
    offering = ServiceOffering.objects.create(municipality=municipality, service=service)
    offices = list(Office.objects.filter(municipality=municipality).order_by("name"))
    offering.offices.set(offices)
    log_action(
        actor=actor,
        action="catalog.offering.create",
        obj=offering,
        municipality=municipality,
        changes={"offices": [office.name for office in offices]},
    )
    return offering


@transaction.atomic
def withdraw_offering(*, offering: ServiceOffering, actor: User | None) -> None:
    """Stop offering a service: the offering, its local texts and hours are deleted; audited as
    ``catalog.offering.delete`` with what it held."""
    changes = {name: value for name, value in snapshot(offering, OFFERING_FIELDS).items() if value not in ("", None)}
    log_action(
        actor=actor,
        action="catalog.offering.delete",
        obj=offering,
        municipality=offering.municipality,
        changes=changes,
    )
    offering.delete()


@transaction.atomic
def update_offering(
    *,
    municipality: Municipality,
    service: Service,
    actor: User | None,
    data: Mapping[str, Any],
    offices: Iterable[Office] | None = None,
    hours: Sequence[HoursData] | None = None,
    expected_updated_at: dt.datetime | None = None,
) -> ServiceOffering:
    """Change (or, if the service is not offered yet, create) ``municipality``'s offering of ``service``.

    Audited as ``catalog.offering.update`` (or ``.create``) in the municipality's log. Raises
    :class:`StaleEditError` when the offering changed since ``expected_updated_at``, ``ValueError``
    for another municipality's office or an invalid fee rule, ``ValidationError`` for invalid fields.
    The caller checks that ``actor`` may administer ``municipality``.
    """
    unknown = set(data) - set(OFFERING_FIELDS)
    if unknown:
        raise ValueError(f"not offering fields: {sorted(unknown)}")
    offering = ServiceOffering.objects.select_for_update().filter(municipality=municipality, service=service).first()
    created = offering is None
    if offering is None:
        if expected_updated_at is not None:
            raise StaleEditError  # withdrawn since the form was opened
        offering = ServiceOffering(municipality=municipality, service=service)
        before: dict[str, Any] = {}
        offices_before: list[str] = []
        hours_before: list[str] = []
    else:
        _check_version(offering.updated_at, expected_updated_at)
        before = snapshot(offering, data.keys())
        offices_before = sorted(offering.offices.values_list("name", flat=True))
        # Not offering.hours: a related manager of a TenantManager model loses its tenant path.
        hours_before = [
            str(HoursData(h.weekday, h.opens, h.closes))
            for h in OfferingHours.objects.filter(offering=offering).order_by("weekday", "opens")
        ]
    for name, value in data.items():
        setattr(offering, name, value)
    if offering.fee is not None:
        validate_fee(offering.fee, service.questions)
    offering.clean_fields(exclude=[f.name for f in ServiceOffering._meta.fields if f.name not in data])
    changes: dict[str, Any] = diff(before, snapshot(offering, data.keys()))
    if created:
        changes = {name: value for name, value in snapshot(offering, data.keys()).items() if value not in ("", None)}
    field_changes = list(changes)
    if created:
        offering.save()  # the offices and hours need its primary key
    if offices is not None:
        chosen = _own_offices(municipality, offices)
        offices_after = sorted(office.name for office in chosen)
        if offices_after != offices_before:
            offering.offices.set(chosen)
            changes["offices"] = [offices_before, offices_after]
    if hours is not None:
        ordered = sorted(hours, key=lambda h: (h.weekday, h.opens))
        hours_after = [str(item) for item in ordered]
        if hours_after != hours_before:
            OfferingHours.objects.filter(offering=offering).delete()
            for item in ordered:
                row = OfferingHours(offering=offering, weekday=item.weekday, opens=item.opens, closes=item.closes)
                row.full_clean(exclude=["offering"])
                row.save()
            changes["hours"] = [hours_before, hours_after]
    if changes and not created:
        offering.save(update_fields=[*field_changes, "updated_at"])
    if created or changes:
        action = "catalog.offering.create" if created else "catalog.offering.update"
        log_action(actor=actor, action=action, obj=offering, municipality=municipality, changes=changes)
    return offering


# --- catalogue imports (catalog.importer) -------------------------------------------------------------------

#: What an upsert did to a record.
WriteOutcome = Literal["created", "updated", "unchanged"]


def _upsert_group(
    model: type[Category] | type[LifeSituation], *, slug: str, data: Mapping[str, Any], actor: User | None
) -> tuple[Any, WriteOutcome]:
    label = model._meta.model_name
    row = model.objects.filter(slug=slug).first()
    if row is None:
        row = model(slug=slug, **data)
        row.full_clean()
        row.save()
        log_action(actor=actor, action=f"catalog.{label}.create", obj=row, changes=dict(data))
        return row, "created"
    before = snapshot(row, data.keys())
    changed = [name for name, value in data.items() if getattr(row, name) != value]
    if not changed:
        return row, "unchanged"
    for name in changed:
        setattr(row, name, data[name])
    row.full_clean()
    row.save(update_fields=changed)
    log_action(actor=actor, action=f"catalog.{label}.update", obj=row, changes=diff(before, snapshot(row, changed)))
    return row, "updated"


@transaction.atomic
def upsert_category(*, slug: str, data: Mapping[str, Any], actor: User | None) -> tuple[Category, WriteOutcome]:
    """Create the category ``slug`` or bring it to ``data`` (name, position); audited when it changes."""
    row, outcome = _upsert_group(Category, slug=slug, data=data, actor=actor)
    return row, outcome


@transaction.atomic
def upsert_life_situation(
    *, slug: str, data: Mapping[str, Any], actor: User | None
) -> tuple[LifeSituation, WriteOutcome]:
    """Create the life situation ``slug`` or bring it to ``data``; audited when it changes."""
    row, outcome = _upsert_group(LifeSituation, slug=slug, data=data, actor=actor)
    return row, outcome


@transaction.atomic
def upsert_service(
    *,
    slug: str,
    data: Mapping[str, Any],
    categories: Iterable[Category],
    life_situations: Iterable[LifeSituation],
    requirements: Sequence[Mapping[str, Any]] | None,
    actor: User | None,
) -> tuple[Service, WriteOutcome]:
    """Create the catalogue service ``slug`` or bring it to ``data`` (``leika_key`` and :data:`SERVICE_FIELDS`).

    ``requirements`` (dicts of name, note and condition, in order) replace the service's
    document requirements; ``None`` leaves them as they are. An existing service is changed
    through :func:`update_service`, so it is audited the same way; nothing is written and
    nothing is audited when the service already matches.
    """
    values = dict(data)
    leika_key = values.pop("leika_key")
    service = Service.objects.filter(slug=slug).first()
    if service is None:
        service = Service(slug=slug, leika_key=leika_key, **values)
        validate_questions(service.questions)
        validate_fee(service.fee, service.questions)
        service.full_clean()
        service.save()
        service.categories.set(list(categories))
        service.life_situations.set(list(life_situations))
        for position, item in enumerate(requirements or [], start=1):
            validate_condition(item.get("condition"), service.questions)
            requirement = DocumentRequirement(service=service, position=position, **_requirement_values(item))
            requirement.full_clean()
            requirement.save()
        log_action(
            actor=actor,
            action="catalog.service.create",
            obj=service,
            changes={"leika_key": leika_key, "requirements": len(requirements or [])},
        )
        return service, "created"

    stamp = service.updated_at
    if service.leika_key != leika_key:
        before = service.leika_key
        service.leika_key = leika_key
        service.full_clean(exclude=["categories", "life_situations"])
        service.save(update_fields=["leika_key", "updated_at"])
        changes = {"leika_key": [before, leika_key]}
        log_action(actor=actor, action="catalog.service.update", obj=service, changes=changes)
    # Only what differs goes to update_service, so equal JSON in another key order is no change.
    changed = {name: value for name, value in values.items() if getattr(service, name) != value}
    items: list[RequirementData] | None = None
    if requirements is not None:
        existing = list(service.requirements.order_by("position", "id"))
        items = [
            RequirementData(
                id=existing[index].pk if index < len(existing) else None,
                position=index + 1,
                **_requirement_values(item),
            )
            for index, item in enumerate(requirements)
        ]
    service = update_service(
        service=service,
        actor=actor,
        data=changed,
        requirements=items,
        categories=categories,
        life_situations=life_situations,
    )
    return service, "unchanged" if service.updated_at == stamp else "updated"


def _requirement_values(item: Mapping[str, Any]) -> dict[str, Any]:
    return {
        "name_de": item.get("name_de", ""),
        "name_en": item.get("name_en", ""),
        "note_de": item.get("note_de", ""),
        "note_en": item.get("note_en", ""),
        "condition": item.get("condition"),
    }


@transaction.atomic
def set_offering_serves(
    *, offering: ServiceOffering, municipalities: Iterable[Municipality], actor: User | None
) -> bool:
    """Make ``offering`` responsible also for the residents of ``municipalities`` (and no others).

    Audited as ``catalog.offering.update`` when the set changes; returns whether it did.
    """
    chosen = [municipality for municipality in municipalities if municipality.pk != offering.municipality_id]
    before = sorted(offering.serves.values_list("name", flat=True))
    after = sorted(municipality.name for municipality in chosen)
    if before == after:
        return False
    offering.serves.set(chosen)
    offering.save(update_fields=["updated_at"])
    log_action(
        actor=actor,
        action="catalog.offering.update",
        obj=offering,
        municipality=offering.municipality,
        changes={"serves": [before, after]},
    )
    return True
