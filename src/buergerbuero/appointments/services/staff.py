"""What staff do with appointments: book for a caller, check in, and change an office's capacity.

Cancelling and moving are the booking core's ``booking.cancel`` and ``booking.move`` (with the
acting staff member, and outside the booking window for a move); marking a no-show is
``attendance.mark_no_show``.

Every capacity change (booking policy, a service group, a closing day) runs in one transaction:
the change, ``booking.release_capacity`` for the office, one audit entry that records the change and
the appointments it affected, and one e-mail to each affected citizen through the outbox (deduped
per appointment and change, the change being its audit entry). An appointment is *affected* when
its cells now have less capacity than bookings, or its day is closed; it is not moved or cancelled
automatically: staff see the list and decide.
"""

from __future__ import annotations

import functools
import hashlib
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from django.db import transaction
from django.template.loader import render_to_string
from django.utils import timezone, translation
from django.utils.text import slugify
from django.utils.translation import gettext as _

from buergerbuero.accounts.models import User
from buergerbuero.catalog.models import Service
from buergerbuero.core.audit import diff, log_action, snapshot
from buergerbuero.core.models import AuditEntry
from buergerbuero.notifications.email import queue_email
from buergerbuero.tenants.models import ClosingDay, Counter, Office

from ..constants import AppointmentState, BookingChannel
from ..models import Appointment, BookingPolicy, ServiceGroup
from ..signals import appointment_checked_in
from .booking import BookingError, Reservation, book, office_municipality, release_capacity

__all__ = [
    "POLICY_FIELDS",
    "CapacityChange",
    "CapacityError",
    "CheckIn",
    "StaleCapacityEdit",
    "add_closing_day",
    "book_for_caller",
    "check_in",
    "policy_version",
    "remove_closing_day",
    "save_service_group",
    "update_booking_policy",
]

#: The booking policy's fields staff edit on the capacity page (and the audit log records).
POLICY_FIELDS = (
    "is_active",
    "grid_minutes",
    "walk_in_percent",
    "first_day_offset",
    "weeks_ahead",
    "hold_minutes",
    "return_delay_minutes",
    "per_person_cap",
    "no_show_limit",
    "reminder_hours",
    "release_unconfirmed",
    "confirm_deadline_hours",
    "waitlist_offer_minutes",
)


class CapacityError(Exception):
    """A capacity change was refused; ``message`` is translated for staff."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class StaleCapacityEdit(CapacityError):
    """Someone else saved the booking policy since the form was opened."""

    def __init__(self) -> None:
        super().__init__(_("Someone else changed these settings meanwhile. Please check them and save again."))


@dataclass(frozen=True)
class CheckIn:
    appointment: Appointment
    #: Minutes after the appointment's start the citizen arrived (negative: early).
    delta_minutes: int
    #: The appointment was already checked in: nothing changed, no signal sent again.
    repeated: bool = False


@dataclass(frozen=True)
class CapacityChange:
    entry: AuditEntry
    affected: tuple[Appointment, ...]
    notified: int


# -- on behalf of a caller ----------------------------------------------------------------------------


def book_for_caller(
    office: Office,
    services: Sequence[Service],
    starts_at: datetime,
    *,
    actor: User,
    name: str,
    email: str = "",
    phone: str = "",
    needs_accessibility: bool = False,
    note: str = "",
    ignore_window: bool = False,
    idempotency_key: str | None = None,
    now: datetime | None = None,
) -> Reservation:
    """Book ``starts_at`` for someone on the phone. Without an e-mail address no mail is sent, and the
    per-person caps are not checked: they count people by e-mail, and every caller without one would
    otherwise count as the same person."""
    now = now or timezone.now()
    if not name.strip():
        raise BookingError("name_required", _("Please enter the caller's name."))
    with transaction.atomic():
        reservation = book(
            office,
            services,
            starts_at,
            name=name,
            email=email,
            phone=phone,
            channel=BookingChannel.PHONE,
            idempotency_key=idempotency_key,
            booked_by=actor,
            enforce_caps=bool(email.strip()),
            ignore_window=ignore_window,
            now=now,
        )
        if reservation.token and (needs_accessibility or note.strip()):
            Appointment.objects.filter(pk=reservation.appointment.pk).update(
                needs_accessibility=needs_accessibility, note=note.strip()[:500]
            )
            reservation.appointment.refresh_from_db()
    return reservation


# -- arrival ------------------------------------------------------------------------------------------


def check_in(appointment: Appointment, *, actor: User, now: datetime | None = None) -> CheckIn:
    """The citizen has arrived: a booked appointment of today becomes checked in.

    Early and late arrivals are allowed; the difference is returned and written to the audit log.
    ``signals.appointment_checked_in`` is sent after the transaction commits. Checking in twice
    changes nothing and sends nothing.
    """
    now = now or timezone.now()
    with transaction.atomic():
        locked = Appointment.objects.select_for_update().get(pk=appointment.pk)
        delta = round((now - locked.starts_at).total_seconds() / 60)
        if locked.state == AppointmentState.CHECKED_IN:
            return CheckIn(appointment=locked, delta_minutes=delta, repeated=True)
        if locked.state != AppointmentState.BOOKED:
            raise BookingError("not_checkable", _("Only a booked appointment can be checked in."))
        if timezone.localtime(locked.starts_at).date() != timezone.localtime(now).date():
            raise BookingError("not_today", _("Only today's appointments can be checked in."))
        locked.state = AppointmentState.CHECKED_IN
        locked.checked_in_at = now
        locked.save(update_fields=["state", "checked_in_at"])
        log_action(
            actor=actor,
            action="appointments.appointment.checked_in",
            obj=locked,
            municipality=office_municipality(locked),
            changes={"state": [AppointmentState.BOOKED, AppointmentState.CHECKED_IN], "delta_minutes": delta},
        )
        transaction.on_commit(
            functools.partial(appointment_checked_in.send, sender=Appointment, appointment=locked, actor=actor)
        )
    return CheckIn(appointment=locked, delta_minutes=delta)


# -- capacity -----------------------------------------------------------------------------------------


def policy_version(policy: BookingPolicy) -> str:
    """A fingerprint of the policy's edited fields: the form carries it, saving refuses a changed one."""
    values = json.dumps(snapshot(policy, POLICY_FIELDS), sort_keys=True)
    return hashlib.sha256(values.encode()).hexdigest()[:16]


def update_booking_policy(
    office: Office,
    *,
    actor: User,
    data: Mapping[str, Any],
    expected_version: str | None = None,
    now: datetime | None = None,
) -> CapacityChange:
    """Save the office's booking policy (creating it) from ``data`` (``POLICY_FIELDS``) and release
    its capacity again. The slot grid cannot change while appointments are booked ahead: their cells
    would no longer line up with the new grid."""
    now = now or timezone.now()
    with transaction.atomic():
        policy = BookingPolicy.objects.select_for_update().filter(office=office).first()
        created = policy is None
        if policy is None:
            policy = BookingPolicy(office=office)
        if expected_version and not created and expected_version != policy_version(policy):
            raise StaleCapacityEdit
        before = snapshot(policy, POLICY_FIELDS) if not created else {}
        grid = data.get("grid_minutes", policy.grid_minutes)
        if not created and grid != policy.grid_minutes and _has_future_bookings(office, now):
            raise CapacityError(_("The slot grid cannot change while appointments are booked ahead at this office."))
        for name in POLICY_FIELDS:
            if name in data:
                setattr(policy, name, data[name])
        policy.full_clean()
        policy.save()
        changes: dict[str, Any] = diff(before, snapshot(policy, POLICY_FIELDS))
        return _release_and_notify(
            office, actor=actor, action="appointments.capacity.policy_changed", obj=policy, changes=changes, now=now
        )


def save_service_group(
    office: Office,
    *,
    actor: User,
    group: ServiceGroup | None,
    name: str,
    counters: Sequence[Counter],
    services: Sequence[Service],
    now: datetime | None = None,
) -> CapacityChange:
    """Create (``group=None``) or change a service group of the office. A counter belongs to one
    group only, so counters of another group are refused."""
    now = now or timezone.now()
    with transaction.atomic():
        if any(counter.office_id != office.pk for counter in counters):
            raise CapacityError(_("Only this office's counters can be chosen."))
        others = ServiceGroup.objects.filter(office=office, counters__in=counters)
        if group is not None:
            others = others.exclude(pk=group.pk)
        taken = sorted({c.name for c in counters if others.filter(counters=c).exists()})
        if taken:
            raise CapacityError(
                _("These counters already belong to another group: %(counters)s") % {"counters": ", ".join(taken)}
            )
        fields = ("name", "counter_ids", "service_ids")
        if group is None:
            group = ServiceGroup(office=office, key=_free_key(office, name), name=name)
            before: dict[str, Any] = {}
        else:
            group = ServiceGroup.objects.select_for_update().get(pk=group.pk)
            before = _group_snapshot(group)
        group.name = name.strip()
        group.save()
        group.counters.set(counters)
        group.services.set(services)
        changes: dict[str, Any] = diff(before, _group_snapshot(group))
        changes = {k: v for k, v in changes.items() if k in fields}
        return _release_and_notify(
            office, actor=actor, action="appointments.capacity.group_saved", obj=group, changes=changes, now=now
        )


def add_closing_day(
    office: Office, *, actor: User, day: date, reason: str = "", now: datetime | None = None
) -> CapacityChange:
    """Close the office on ``day``: its times are withdrawn, and everyone booked that day is told."""
    now = now or timezone.now()
    with transaction.atomic():
        closing, created = ClosingDay.objects.get_or_create(office=office, date=day, defaults={"reason": reason})
        if not created and closing.reason != reason:
            closing.reason = reason
            closing.save(update_fields=["reason"])
        # Appointments booked outside the released window (by staff) have no cells to find them by.
        on_day = Appointment.objects.filter(office=office, state=AppointmentState.BOOKED, starts_at__date=day)
        return _release_and_notify(
            office,
            actor=actor,
            action="appointments.capacity.day_closed",
            obj=closing,
            changes={"date": day.isoformat(), "reason": reason},
            now=now,
            also_affected=list(on_day),
            closed_day=day,
        )


def remove_closing_day(
    office: Office, *, actor: User, closing: ClosingDay, now: datetime | None = None
) -> CapacityChange:
    """Open the office again on a closing day; its times are released again."""
    now = now or timezone.now()
    with transaction.atomic():
        changes = {"date": closing.date.isoformat(), "reason": closing.reason}
        ClosingDay.objects.filter(pk=closing.pk, office=office).delete()
        return _release_and_notify(
            office, actor=actor, action="appointments.capacity.day_opened", obj=None, changes=changes, now=now
        )


def _release_and_notify(
    office: Office,
    *,
    actor: User,
    action: str,
    obj: Any,
    changes: dict[str, Any],
    now: datetime,
    also_affected: Sequence[Appointment] = (),
    closed_day: date | None = None,
) -> CapacityChange:
    result = release_capacity(office, now=now)
    affected = {a.pk: a for a in [*result.affected, *also_affected] if a.state == AppointmentState.BOOKED}
    ordered = tuple(sorted(affected.values(), key=lambda a: (a.starts_at, a.pk)))
    entry = log_action(
        actor=actor,
        action=action,
        obj=obj,
        municipality=office.municipality,
        changes={
            **changes,
            "office": office.slug,
            "affected": [a.code for a in ordered],
            "affected_ids": [a.pk for a in ordered],
        },
    )
    notified = sum(_notify_affected(a, office=office, entry=entry, closed_day=closed_day) for a in ordered)
    return CapacityChange(entry=entry, affected=ordered, notified=notified)


def _notify_affected(appointment: Appointment, *, office: Office, entry: AuditEntry, closed_day: date | None) -> bool:
    """Queue the e-mail telling a citizen their appointment has to change; ``False`` without an address."""
    if not appointment.email:
        return False
    closed = closed_day is not None and timezone.localtime(appointment.starts_at).date() == closed_day
    with translation.override("de"):
        context = {"appointment": appointment, "office": office, "closed": closed}
        body = render_to_string("appointments/backoffice/email_capacity_changed.txt", context)
        subject = _("Your appointment %(code)s has to change") % {"code": appointment.code}
        queued = queue_email(
            [appointment.email], subject, body, dedupe_key=f"appointment-capacity:{appointment.pk}:{entry.pk}"
        )
    return queued is not None


def _has_future_bookings(office: Office, now: datetime) -> bool:
    return Appointment.objects.filter(
        office=office, state__in=[AppointmentState.BOOKED, AppointmentState.HELD], ends_at__gt=now
    ).exists()


def _free_key(office: Office, name: str) -> str:
    base = slugify(name)[:40] or "gruppe"
    key, number = base, 1
    while ServiceGroup.objects.filter(office=office, key=key).exists():
        number += 1
        key = f"{base}-{number}"
    return key


def _group_snapshot(group: ServiceGroup) -> dict[str, Any]:
    return {
        "name": group.name,
        "counter_ids": sorted(group.counters.values_list("pk", flat=True)),
        "service_ids": sorted(group.services.values_list("pk", flat=True)),
    }
