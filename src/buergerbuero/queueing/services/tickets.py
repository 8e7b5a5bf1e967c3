"""Drawing tickets, checking in, and what citizens do with their ticket.

Numbers are claimed atomically: the ``TicketSequence`` row of the office, day and prefix is locked and
incremented in the ticket's transaction, so two kiosks never print the same number. A ticket drawn
remotely from an office with check-in stays ``virtual`` (not in line) until its holder checks in with the
office's QR code; ``direct`` offices put it in line at once. An appointment checked in at the desk draws a
ticket with priority if it arrived inside its time window. Every change is announced on the office's
channel after commit.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from buergerbuero.appointments.models import Appointment, ServiceGroup
from buergerbuero.catalog.models import Service
from buergerbuero.core.audit import diff, log_action, snapshot
from buergerbuero.core.tenancy import scopes_disabled
from buergerbuero.tenants.models import Office

from .. import selectors
from ..constants import OPEN_STATES, Priority, QueueStatus, RemoteTickets, TicketEventKind, TicketSource, TicketState
from ..events import announce
from ..models import QueueSettings, Ticket, TicketEvent, TicketSequence
from . import QueueError, acts_on_given_objects

if TYPE_CHECKING:
    from buergerbuero.accounts.models import User

__all__ = [
    "SETTINGS_FIELDS",
    "AlertChoice",
    "activate",
    "cancel",
    "change_settings",
    "draw_ticket",
    "postpone",
    "resume_tickets",
    "set_alert",
    "settings_of",
    "stop_tickets",
    "ticket_for_appointment",
]

#: The queue settings staff change in the back office (the ticket stop has its own services).
SETTINGS_FIELDS = (
    "is_active",
    "remote_tickets",
    "last_ticket_minutes",
    "serve_out_minutes",
    "appointment_early_minutes",
    "appointment_late_minutes",
    "max_recalls",
    "postpone_minutes",
    "max_postpones",
    "spoken_calls",
)


@acts_on_given_objects
def settings_of(office: Office) -> QueueSettings:
    """The office's queue settings, created with the defaults on first use."""
    found, _created = QueueSettings.objects.get_or_create(office=office)
    return found


@acts_on_given_objects
def stop_tickets(office: Office, *, actor: User | None, reason: str, now: datetime | None = None) -> QueueSettings:
    """Staff stop issuing tickets for the rest of today (the counters go on serving who is in line)."""
    today = timezone.localdate(now or timezone.now())
    return _set_stop(office, actor, stopped_on=today, reason=reason.strip()[:200], verb="stop_tickets")


@acts_on_given_objects
def resume_tickets(office: Office, *, actor: User | None) -> QueueSettings:
    """Lift a ticket stop staff set; tickets are issued again (unless the office is full or closed)."""
    return _set_stop(office, actor, stopped_on=None, reason="", verb="resume_tickets")


def _set_stop(office: Office, actor: User | None, *, stopped_on: date | None, reason: str, verb: str) -> QueueSettings:
    fields = ("stopped_on", "stop_reason")
    with transaction.atomic():
        queue = QueueSettings.objects.select_for_update().get(pk=settings_of(office).pk)
        if (queue.stopped_on, queue.stop_reason) == (stopped_on, reason):
            return queue
        before = snapshot(queue, fields)
        queue.stopped_on, queue.stop_reason = stopped_on, reason
        queue.save(update_fields=list(fields))
        log_action(
            actor=actor,
            action=f"queueing.settings.{verb}",
            obj=queue,
            municipality=office.municipality,
            changes=diff(before, snapshot(queue, fields)),
        )
        announce(office.pk, "ticket_stop", stopped=stopped_on is not None)
    return queue


@acts_on_given_objects
def change_settings(office: Office, *, actor: User | None, data: Mapping[str, object]) -> QueueSettings:
    """Save the office's queue settings (``SETTINGS_FIELDS`` in ``data``, already validated by a form)."""
    unknown = set(data) - set(SETTINGS_FIELDS)
    if unknown:
        raise ValueError(f"not queue settings: {sorted(unknown)}")
    with transaction.atomic():
        queue = QueueSettings.objects.select_for_update().get(pk=settings_of(office).pk)
        before = snapshot(queue, SETTINGS_FIELDS)
        for name, value in data.items():
            setattr(queue, name, value)
        changes = diff(before, snapshot(queue, SETTINGS_FIELDS))
        if changes:
            queue.save(update_fields=list(changes))
            log_action(
                actor=actor,
                action="queueing.settings.change",
                obj=queue,
                municipality=office.municipality,
                changes=changes,
            )
            announce(office.pk, "settings_changed")
    return queue


@acts_on_given_objects
def draw_ticket(
    office: Office,
    group: ServiceGroup,
    *,
    source: TicketSource,
    service: Service | None = None,
    needs_accessibility: bool = False,
    language: str = "de",
    now: datetime | None = None,
) -> Ticket:
    """Issue the next number of ``group``'s line, or raise ``QueueError`` when the office issues none now."""
    now = now or timezone.now()
    if group.office_id != office.pk:
        raise QueueError(_("This service is not offered at this office."))
    queue = settings_of(office)
    if source == TicketSource.REMOTE and queue.remote_tickets == RemoteTickets.OFF:
        raise QueueError(_("This office issues tickets only at its ticket machine."))
    prediction = _ensure_open(office, group, now).walk_in.get(group.key)
    in_line = source != TicketSource.REMOTE or queue.remote_tickets == RemoteTickets.DIRECT
    with transaction.atomic():
        ticket = Ticket.objects.create(
            office=office,
            day=timezone.localdate(now),
            prefix=group.prefix,
            number=_next_number(office, timezone.localdate(now), group.prefix),
            group=group,
            service=service,
            source=source,
            state=TicketState.WAITING if in_line else TicketState.VIRTUAL,
            priority=Priority.ACCESSIBILITY if needs_accessibility else Priority.NORMAL,
            needs_accessibility=needs_accessibility,
            created_at=now,
            arrived_at=now if in_line else None,
            queued_at=now if in_line else None,
            predicted_wait_minutes=None if prediction is None else round(prediction.estimate_min),
            language=language[:10],
        )
        _record(ticket, TicketEventKind.DRAWN, now, source=str(source))
        announce(office.pk, "drawn", ticket=ticket.code)
    return ticket


@acts_on_given_objects
def activate(ticket: Ticket, *, now: datetime | None = None) -> Ticket:
    """Check a virtual ticket in at the office: it joins the line now. Checking in twice is harmless."""
    now = now or timezone.now()
    with transaction.atomic():
        locked = _locked(ticket)
        if locked.state != TicketState.VIRTUAL:
            if locked.state in (TicketState.CANCELLED, TicketState.EXPIRED):
                raise QueueError(_("This ticket is no longer valid. Please draw a new one."))
            return locked
        if locked.day != timezone.localdate(now):
            raise QueueError(_("This ticket was for another day. Please draw a new one."))
        Ticket.objects.filter(pk=locked.pk).update(state=TicketState.WAITING, arrived_at=now, queued_at=now)
        _record(locked, TicketEventKind.CHECKED_IN, now)
        announce(locked.office_id, "checked_in", ticket=locked.code)
    locked.refresh_from_db()
    return locked


def ticket_for_appointment(appointment: Appointment, *, actor: object = None, now: datetime | None = None) -> Ticket:
    """The ticket of a checked-in appointment (created once): first in line inside its time window.

    Arriving early, the priority starts when the window opens; arriving after the window, the
    appointment is an ordinary walk-in.
    """
    now = now or timezone.now()
    with scopes_disabled():
        existing = Ticket.objects.filter(appointment=appointment).first()
        if existing is not None:
            return existing
        office = appointment.office
        queue = settings_of(office)
        window_opens = appointment.starts_at - timedelta(minutes=queue.appointment_early_minutes)
        window_closes = appointment.starts_at + timedelta(minutes=queue.appointment_late_minutes)
        late = now > window_closes
        service = appointment.services.order_by("pk").first()
        with transaction.atomic():
            day = timezone.localdate(now)
            ticket = Ticket.objects.create(
                office=office,
                day=day,
                prefix=appointment.group.prefix,
                number=_next_number(office, day, appointment.group.prefix),
                group=appointment.group,
                service=service,
                source=TicketSource.APPOINTMENT,
                state=TicketState.WAITING,
                priority=Priority.NORMAL if late else Priority.APPOINTMENT,
                priority_from=None if late or now >= window_opens else window_opens,
                needs_accessibility=appointment.needs_accessibility,
                appointment=appointment,
                created_at=now,
                arrived_at=now,
                queued_at=now,
                alert_email=appointment.email,
            )
            _record(ticket, TicketEventKind.DRAWN, now, source=str(TicketSource.APPOINTMENT), late=late)
            announce(office.pk, "drawn", ticket=ticket.code)
        return ticket


@acts_on_given_objects
def postpone(ticket: Ticket, *, now: datetime | None = None) -> Ticket:
    """ "I need more time": the ticket keeps its place but is not called for the office's postpone minutes."""
    now = now or timezone.now()
    with transaction.atomic():
        locked = _locked(ticket)
        queue = settings_of(locked.office)
        if locked.state != TicketState.WAITING:
            raise QueueError(_("Only a waiting ticket can be moved back."))
        if locked.postpones >= queue.max_postpones:
            raise QueueError(_("This ticket has already been moved back as often as allowed."))
        ready = max(now, locked.ready_at or now) + timedelta(minutes=queue.postpone_minutes)
        Ticket.objects.filter(pk=locked.pk).update(ready_at=ready, postpones=locked.postpones + 1, alert_sent_at=None)
        _record(locked, TicketEventKind.POSTPONED, now, until=ready.isoformat())
        announce(locked.office_id, "postponed", ticket=locked.code)
    locked.refresh_from_db()
    return locked


@acts_on_given_objects
def cancel(ticket: Ticket, *, now: datetime | None = None) -> Ticket:
    """The citizen gives the ticket back; it leaves the line."""
    now = now or timezone.now()
    with transaction.atomic():
        locked = _locked(ticket)
        if locked.state not in (TicketState.VIRTUAL, TicketState.WAITING, TicketState.PARKED):
            raise QueueError(_("This ticket can no longer be cancelled."))
        Ticket.objects.filter(pk=locked.pk).update(state=TicketState.CANCELLED, ended_at=now)
        _record(locked, TicketEventKind.CANCELLED, now)
        announce(locked.office_id, "cancelled", ticket=locked.code)
    locked.refresh_from_db()
    return locked


@dataclass(frozen=True)
class AlertChoice:
    """When the citizen wants to be alerted: minutes before the predicted call, or people ahead."""

    minutes: int | None = None
    positions: int | None = None
    email: str = ""
    phone: str = ""


@acts_on_given_objects
def set_alert(ticket: Ticket, choice: AlertChoice) -> Ticket:
    """Store the alert lead time; an alert already sent is sent again for the new lead time."""
    if choice.minutes is None and choice.positions is None:
        raise QueueError(_("Choose minutes or people ahead for the alert."))
    with transaction.atomic():
        locked = _locked(ticket)
        if locked.state not in (TicketState.VIRTUAL, TicketState.WAITING):
            raise QueueError(_("This ticket is no longer waiting."))
        Ticket.objects.filter(pk=locked.pk).update(
            alert_minutes=choice.minutes,
            alert_positions=choice.positions,
            alert_email=choice.email,
            alert_phone=choice.phone,
            alert_sent_at=None,
        )
        announce(locked.office_id, "alert_set", ticket=locked.code)
    locked.refresh_from_db()
    return locked


def _ensure_open(office: Office, group: ServiceGroup, now: datetime) -> selectors.OfficeStatus:
    status = selectors.queue_status(office, now)
    if status.status == QueueStatus.CLOSED:
        raise QueueError(_("The office issues no tickets now. Please look at its opening hours."))
    if status.status == QueueStatus.TICKET_STOP or group.key in status.stopped_groups:
        raise QueueError(status.stop_reason or _("No more tickets today: the counters are fully booked (ticket stop)."))
    return status


def _next_number(office: Office, day: object, prefix: str) -> int:
    """Claim the next number under a row lock (a conditional increment on SQLite, which serialises writers)."""
    sequence, _created = TicketSequence.objects.select_for_update().get_or_create(office=office, day=day, prefix=prefix)
    sequence.last_number += 1
    sequence.save(update_fields=["last_number"])
    return sequence.last_number


def _locked(ticket: Ticket) -> Ticket:
    with scopes_disabled():
        return Ticket.objects.select_for_update().select_related("office").get(pk=ticket.pk)


def _record(ticket: Ticket, kind: TicketEventKind, at: datetime, **data: object) -> None:
    with scopes_disabled():
        TicketEvent.objects.create(ticket=ticket, kind=kind, at=at, data=data)


@acts_on_given_objects
def expire_before(day: object) -> int:
    """End the tickets of days before ``day`` that are still open or virtual."""
    now = timezone.now()
    with transaction.atomic(), scopes_disabled():
        stale = Ticket.objects.filter(day__lt=day, state__in=[TicketState.VIRTUAL, *OPEN_STATES])
        ids = list(stale.values_list("pk", flat=True))
        Ticket.objects.filter(pk__in=ids).update(state=TicketState.EXPIRED, ended_at=now)
        TicketEvent.objects.bulk_create(TicketEvent(ticket_id=pk, kind=TicketEventKind.EXPIRED, at=now) for pk in ids)
    return len(ids)
