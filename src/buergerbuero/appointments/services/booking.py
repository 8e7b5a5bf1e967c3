"""Booking: release capacity, hold a time, confirm, cancel, move, give capacity back.

The one rule that makes booking correct under any concurrency: a time is claimed by incrementing the
``booked`` count of every cell it covers, each only while ``booked < bookable``, inside one
transaction that commits only if every cell took it (``_claim``). The cells are locked in start order
(``SELECT ... FOR UPDATE`` on PostgreSQL; SQLite runs write transactions one at a time), so two
requests never deadlock, and the database's check constraint refuses an overbooked cell as a last
line of defence. Capacity is given back exactly once per appointment (``capacity_returned_at``).
"""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import Count, F, Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from buergerbuero.accounts.models import User
from buergerbuero.catalog.models import Service
from buergerbuero.core.audit import log_action
from buergerbuero.tenants.models import Municipality, Office

from .. import setup_cache
from ..capacity import day_capacity
from ..capacity_model import booking_window, office_capacity, policy_of
from ..constants import OPEN_STATES, AppointmentState, BookingChannel
from ..models import Appointment, BookingPolicy, CapacityCell, ServiceGroup

__all__ = [
    "BookingError",
    "ReleaseResult",
    "Reservation",
    "SlotTaken",
    "book",
    "cancel",
    "confirm",
    "earlier_booking",
    "groups_for",
    "hash_token",
    "move",
    "person_key",
    "release_capacity",
    "reserve",
    "return_due_capacity",
]

CODE_ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"  # no 0/O, 1/I/L: read out over the phone
CODE_ATTEMPTS = 5  # new random codes tried when one exists already (31^6 codes: it practically never does)


class BookingError(Exception):
    """A booking was refused; ``code`` is stable for the API, ``message`` is translated for people."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


class SlotTaken(BookingError):
    """Someone else was faster: the time has no room left (the caller offers alternatives)."""

    def __init__(self) -> None:
        super().__init__("slot_taken", str(_("This time has just been taken. Please choose another one.")))


@dataclass(frozen=True)
class Reservation:
    """A held or booked appointment and the secret of its manage link (shown once, stored hashed)."""

    appointment: Appointment
    token: str


@dataclass
class ReleaseResult:
    created: int = 0
    updated: int = 0
    removed: int = 0
    # Appointments whose cells now have less capacity than bookings (staff must act; citizens are told).
    affected: list[Appointment] = field(default_factory=list)


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def person_key(email: str) -> str:
    """The key a person's appointments are counted by: their e-mail, normalised and hashed."""
    return hashlib.sha256(email.strip().lower().encode()).hexdigest()


# -- releasing capacity -------------------------------------------------------------------------


def release_capacity(office: Office, *, now: datetime | None = None, through: date | None = None) -> ReleaseResult:
    """Write the cells of the office's booking window (today .. today + weeks, or ``through``).

    New cells are created, changed capacity is updated. Where the new capacity is below what is
    already booked, the cell keeps ``bookable = booked`` (nothing is overbooked silently) and the
    appointments there are returned in ``affected`` for staff to move. Idempotent.
    """
    now = now or timezone.now()
    policy = policy_of(office)
    today = timezone.localtime(now).date()
    last = through or booking_window(policy, now)[1]
    model = office_capacity(office, today, last)
    groups = {group.key: group for group in ServiceGroup.objects.filter(office=office)}
    result = ReleaseResult()
    with transaction.atomic():
        existing = {
            (cell.group_id, cell.starts_at): cell
            for cell in CapacityCell.objects.filter(group__office=office, starts_at__date__gte=today)
            .select_for_update()
            .order_by("group_id", "starts_at")
        }
        wanted: dict[tuple[int, datetime], tuple[datetime, int]] = {}
        day = today
        while day <= last:
            for cell in day_capacity(model, day, ()):
                group = groups[cell.group]
                wanted[(group.pk, cell.start)] = (cell.end, cell.bookable)
            day += timedelta(days=1)
        new = []
        for key, (ends_at, bookable) in wanted.items():
            row = existing.get(key)
            if row is None:
                new.append(CapacityCell(group_id=key[0], starts_at=key[1], ends_at=ends_at, bookable=bookable))
                continue
            if bookable < row.booked:
                result.affected.extend(_appointments_in(row))
            if row.bookable != max(bookable, row.booked):
                row.bookable = max(bookable, row.booked)
                row.save(update_fields=["bookable"])
                result.updated += 1
        for key, row in existing.items():
            if key in wanted or timezone.localtime(row.starts_at).date() > last:
                continue
            if row.booked == 0:
                row.delete()
                result.removed += 1
            elif row.bookable != row.booked:
                result.affected.extend(_appointments_in(row))
                row.bookable = row.booked
                row.save(update_fields=["bookable"])
                result.updated += 1
        CapacityCell.objects.bulk_create(new, batch_size=1000)
        result.created = len(new)
    result.affected = list({a.pk: a for a in result.affected}.values())
    return result


def _appointments_in(cell: CapacityCell) -> list[Appointment]:
    return list(
        Appointment.objects.filter(
            group_id=cell.group_id,
            starts_at__lt=cell.ends_at,
            ends_at__gt=cell.starts_at,
            state__in=[AppointmentState.BOOKED, AppointmentState.HELD],
        )
    )


# -- holding and booking -------------------------------------------------------------------------


def reserve(
    office: Office,
    services: Sequence[Service],
    starts_at: datetime,
    *,
    channel: str = BookingChannel.ONLINE,
    now: datetime | None = None,
    ignore_window: bool = False,
    policy: BookingPolicy | None = None,
) -> Reservation:
    """Hold ``starts_at`` at ``office`` for ``services`` for the policy's hold time.

    Raises ``SlotTaken`` when the time has no room left, ``BookingError`` when it cannot be booked at
    all (outside the window, not offered, booking closed). Staff may book outside the window
    (``ignore_window``). ``policy``: the office's policy when the caller has it loaded already.
    """
    now = now or timezone.now()
    policy = policy or policy_of(office)
    groups, minutes = _bookable(office, policy, services, starts_at, now=now, ignore_window=ignore_window)
    return _claim(office, policy, services, groups, starts_at, minutes, channel=channel, now=now)


def _bookable(
    office: Office,
    policy: BookingPolicy,
    services: Sequence[Service],
    starts_at: datetime,
    *,
    now: datetime,
    ignore_window: bool,
) -> tuple[list[ServiceGroup], int]:
    """The groups that may take ``starts_at`` and the appointment's minutes, or ``BookingError`` why none."""
    from .lottery import blocked_days

    groups, minutes = _groups_and_minutes(
        office, policy, sorted(service.slug for service in services), starts_at, now=now, ignore_window=ignore_window
    )
    day = timezone.localtime(starts_at).date()
    if not ignore_window and day in blocked_days(office, services, day, day):
        raise BookingError("lottery", str(_("The times of this day are given out by a lottery.")))
    return groups, minutes


def _groups_and_minutes(
    office: Office,
    policy: BookingPolicy,
    slugs: Sequence[str],
    starts_at: datetime,
    *,
    now: datetime,
    ignore_window: bool,
) -> tuple[list[ServiceGroup], int]:
    if not slugs:
        raise BookingError("no_service", str(_("Please choose at least one service.")))
    if not policy.is_active and not ignore_window:
        raise BookingError("booking_closed", str(_("This office does not take online bookings.")))
    day = timezone.localtime(starts_at).date()
    groups, minutes = groups_for(office, policy, slugs)
    if not groups:
        raise BookingError("not_offered", str(_("This office does not offer these services in one appointment.")))
    if not ignore_window:
        first, last = booking_window(policy, now)
        if not first <= day <= last or starts_at <= now:
            raise BookingError("outside_window", str(_("This day cannot be booked (yet).")))
    return groups, minutes


def groups_for(office: Office, policy: BookingPolicy, slugs: Sequence[str]) -> tuple[list[ServiceGroup], int]:
    """The office's groups that serve all of ``slugs`` in one appointment (by key), and its length in
    minutes (the services' counter minutes added up, rounded up to the grid); ``([], 0)`` if none.
    Kept per process until the setup changes (``setup_cache``)."""
    key = ("groups", office.pk, policy.grid_minutes, *sorted(set(slugs)))
    return setup_cache.remembered(key, lambda: _groups_for(office, policy, slugs))


def _groups_for(office: Office, policy: BookingPolicy, slugs: Sequence[str]) -> tuple[list[ServiceGroup], int]:
    wanted = set(slugs)
    offered: dict[int, dict[str, int]] = {}
    # Slugs and minutes only (not whole catalogue rows); the groups themselves only when one fits.
    rows = ServiceGroup.services.through.objects.filter(servicegroup__office=office).values_list(
        "servicegroup_id", "service__slug", "service__counter_minutes"
    )
    for group_id, slug, counter_minutes in rows:
        offered.setdefault(group_id, {})[slug] = counter_minutes
    fitting = [group_id for group_id, services in offered.items() if wanted <= services.keys()]
    if not fitting:
        return [], 0
    groups = list(ServiceGroup.objects.filter(office=office, pk__in=fitting).order_by("key"))
    minutes = {slug: length for group_id in fitting for slug, length in offered[group_id].items()}
    total = sum(minutes[slug] for slug in wanted)
    return groups, -(-total // policy.grid_minutes) * policy.grid_minutes


@dataclass(frozen=True)
class _Contact:
    """Who books, for ``book``: written together with the claim, so the appointment is booked from
    its first moment (no hold in between)."""

    name: str
    email: str
    phone: str
    note: str
    needs_accessibility: bool
    citizen: User | None
    booked_by: User | None
    idempotency_key: str | None
    person_key: str


def _claim(
    office: Office,
    policy: BookingPolicy,
    services: Sequence[Service],
    groups: Sequence[ServiceGroup],
    starts_at: datetime,
    minutes: int,
    *,
    channel: str,
    now: datetime,
    contact: _Contact | None = None,
) -> Reservation:
    """Claim ``starts_at`` in the first of ``groups`` with room: a hold, or with ``contact`` a booking.
    When none has room, expired holds may still sit in the cells: they are given back and the claim
    tried once more. A booking whose idempotency key committed meanwhile (a concurrent repeat) is
    answered with that one (empty token)."""
    ends_at = starts_at + timedelta(minutes=minutes)
    needed = minutes // policy.grid_minutes
    for second_try in (False, True):
        for group in groups:
            for _attempt in range(CODE_ATTEMPTS):
                try:
                    return _claim_in(
                        group, office, policy, services, starts_at, ends_at, needed, channel=channel, now=now,
                        contact=contact,
                    )  # fmt: skip
                except _CodeTaken:
                    earlier = earlier_booking(contact.idempotency_key) if contact is not None else None
                    if earlier is not None:
                        return Reservation(appointment=earlier, token="")
                    continue  # the random code existed already (about 1 in 10^8): again with a new one
                except SlotTaken:
                    break
        if second_try or not return_due_capacity(now=now, office=office, holds_only=True):
            break
    raise SlotTaken


class _CodeTaken(Exception):
    """The new appointment's random code (or, for a booking, its idempotency key) belongs to another
    appointment (unique constraints)."""


def _claim_in(
    group: ServiceGroup,
    office: Office,
    policy: BookingPolicy,
    services: Sequence[Service],
    starts_at: datetime,
    ends_at: datetime,
    needed: int,
    *,
    channel: str,
    now: datetime,
    contact: _Contact | None,
) -> Reservation:
    """Claim the cells of ``group`` and create the hold or booking, in one transaction (a savepoint
    inside the caller's) that rolls back on any refusal.

    The claim is one statement: the cells that lie within ``starts_at``..``ends_at`` are locked in
    start order (``FOR UPDATE`` in the subquery, on PostgreSQL; SQLite writes one at a time anyway)
    and each is counted up only while ``booked < bookable``. Exactly ``needed`` rows must change:
    fewer means a cell is full, not released, missing (a break) or the start is off the grid.
    """
    with transaction.atomic():
        cells = (
            CapacityCell.objects.filter(group=group, starts_at__gte=starts_at, ends_at__lte=ends_at)
            .order_by("starts_at")
            .select_for_update()
            .values("pk")
        )
        claimed = CapacityCell.objects.filter(pk__in=cells, booked__lt=F("bookable")).update(booked=F("booked") + 1)
        if claimed != needed or needed < 1:
            raise SlotTaken  # leaves the savepoint, which rolls a partial claim back
        token = secrets.token_urlsafe(24)
        fields: dict[str, object] = {
            "state": AppointmentState.HELD,
            "hold_expires_at": now + timedelta(minutes=policy.hold_minutes),
        }
        if contact is not None:
            fields = {
                "state": AppointmentState.BOOKED,
                "confirmed_at": now,
                "name": contact.name.strip(),
                "email": contact.email.strip(),
                "phone": contact.phone.strip(),
                "note": contact.note.strip(),
                "needs_accessibility": contact.needs_accessibility,
                "person_key": contact.person_key,
                "citizen": contact.citizen,
                "booked_by": contact.booked_by,
                "idempotency_key": contact.idempotency_key,
            }
        try:
            appointment = Appointment.objects.create(
                code=_new_code(),
                office=office,
                group=group,
                starts_at=starts_at,
                ends_at=ends_at,
                channel=channel,
                manage_token_hash=hash_token(token),
                **fields,
            )
        except IntegrityError as error:  # only the code and the idempotency key are unique here
            raise _CodeTaken from error  # leaves the savepoint, which rolls the claim back
        # One insert for the services (``services.set`` would read the empty set first).
        Appointment.services.through.objects.bulk_create(
            Appointment.services.through(appointment_id=appointment.pk, service_id=pk)
            for pk in {service.pk for service in services}
        )
        if contact is not None:
            _announce_booking(appointment, token)
        return Reservation(appointment=appointment, token=token)


def _announce_booking(appointment: Appointment, token: str | None) -> None:
    """Audit a booking staff made and queue the citizen's confirmation (in the booking's transaction)."""
    if appointment.booked_by is not None:
        log_action(
            actor=appointment.booked_by,
            action="appointments.appointment.booked",
            obj=appointment,
            municipality=office_municipality(appointment),
        )
    from ..notifications import notify_booked

    notify_booked(appointment, token=token)


def earlier_booking(idempotency_key: str | None) -> Appointment | None:
    """The appointment booked with ``idempotency_key`` before, if any (keys are unique across the
    Kreis, so it is looked for in every municipality)."""
    if not idempotency_key:
        return None
    from buergerbuero.core.tenancy import scopes_disabled

    with scopes_disabled():
        return Appointment.objects.filter(idempotency_key=idempotency_key).first()


def _new_code() -> str:
    """A random booking code; its uniqueness is the database's to check (``_CodeTaken``)."""
    return "T-" + "".join(secrets.choice(CODE_ALPHABET) for _ in range(6))


def confirm(
    appointment: Appointment,
    *,
    name: str,
    email: str,
    phone: str = "",
    note: str = "",
    needs_accessibility: bool = False,
    citizen: User | None = None,
    booked_by: User | None = None,
    idempotency_key: str | None = None,
    token: str | None = None,
    enforce_caps: bool = True,
    now: datetime | None = None,
    policy: BookingPolicy | None = None,
) -> Appointment:
    """Turn a hold into a booking and queue the confirmation. Confirming a booked appointment again
    returns it unchanged (idempotent). Raises ``BookingError`` for an expired hold or a person over
    their cap; the hold is then released. ``policy``: the office's, when the caller has it loaded.
    """
    now = now or timezone.now()
    refusal: BookingError | None = None
    with transaction.atomic():
        locked = Appointment.objects.select_for_update().get(pk=appointment.pk)
        if locked.state == AppointmentState.BOOKED:
            return locked
        if locked.state != AppointmentState.HELD or (locked.hold_expires_at and locked.hold_expires_at <= now):
            raise BookingError("hold_expired", str(_("Your reservation has expired. Please choose a time again.")))
        key = person_key(email) if email.strip() else ""  # a caller without e-mail is nobody's duplicate
        if enforce_caps and key:
            refusal = cap_refusal(locked, key, now=now, policy=policy)
        if refusal is not None:
            # Given back for good: raising inside this block would roll the give-back back with it.
            _give_back(locked, AppointmentState.EXPIRED, now=now)
        else:
            locked.name, locked.email = name.strip(), email.strip()
            locked.phone, locked.note = phone.strip(), note.strip()
            locked.needs_accessibility = needs_accessibility
            locked.person_key = key
            locked.citizen = citizen
            locked.booked_by = booked_by
            locked.idempotency_key = idempotency_key
            locked.state = AppointmentState.BOOKED
            locked.confirmed_at = now
            locked.hold_expires_at = None
            locked.save()
            _announce_booking(locked, token)
            return locked
    raise refusal


def cap_refusal(
    appointment: Appointment, key: str, *, now: datetime, policy: BookingPolicy | None = None
) -> BookingError | None:
    """Why ``key`` may not book ``appointment`` (open appointments per service, recent no-shows), or ``None``."""
    services = appointment.services.values("pk")  # a subquery of the count, not a query of its own
    return _person_refusal(
        key, services, now=now, policy=policy or policy_of(appointment.office), other_than=appointment
    )


def _person_refusal(
    key: str,
    services: Iterable[int] | QuerySet[Service, Any],
    *,
    now: datetime,
    policy: BookingPolicy,
    other_than: Appointment | None = None,
) -> BookingError | None:
    """Why the person ``key`` may not book ``services`` (service pks or a subquery of them), or ``None``:
    an open appointment for one of them (``per_person_cap``) or too many recent no-shows. One query,
    across the whole Kreis."""
    from buergerbuero.core.tenancy import scopes_disabled

    with scopes_disabled():  # a person's appointments across the whole Kreis count
        theirs = Appointment.objects.filter(person_key=key)
        if other_than is not None:
            theirs = theirs.exclude(pk=other_than.pk)
        counts = theirs.aggregate(
            open_for_service=Count(
                "pk", distinct=True, filter=Q(state__in=OPEN_STATES, services__in=services, ends_at__gt=now)
            ),
            no_shows=Count(
                "pk", distinct=True, filter=Q(state=AppointmentState.NO_SHOW, starts_at__gte=now - timedelta(days=180))
            ),
        )
    if counts["no_shows"] >= policy.no_show_limit > 0:
        return BookingError(
            "no_show_limit",
            str(_("You missed several appointments recently. Please book by phone or come without an appointment.")),
        )
    if counts["open_for_service"] >= policy.per_person_cap:
        return BookingError(
            "cap_reached",
            str(
                _(
                    "You already have an appointment for this service. "
                    "Please cancel or move it instead of booking another."
                )
            ),
        )
    return None


def book(
    office: Office,
    services: Sequence[Service],
    starts_at: datetime,
    *,
    name: str,
    email: str,
    phone: str = "",
    note: str = "",
    needs_accessibility: bool = False,
    channel: str = BookingChannel.ONLINE,
    idempotency_key: str | None = None,
    booked_by: User | None = None,
    citizen: User | None = None,
    enforce_caps: bool = True,
    ignore_window: bool = False,
    now: datetime | None = None,
    policy: BookingPolicy | None = None,
) -> Reservation:
    """Book in one step (API clients, staff on the phone, the lottery): the person is checked against
    their cap first, then the cells are claimed and the booking written in one short transaction,
    without a hold in between. ``policy``: the office's, when the caller has it loaded.

    With ``idempotency_key`` a repeated call returns the first booking (its token is then empty: it
    was shown once). A repeat is not looked up beforehand (that would cost every booking a query):
    it is refused by something (the person's cap, the full time, the key's unique constraint) and
    the refusal then finds the first booking, also one that committed a moment ago in a race.
    """
    now = now or timezone.now()
    policy = policy or policy_of(office)
    try:
        groups, minutes = _bookable(office, policy, services, starts_at, now=now, ignore_window=ignore_window)
        key = person_key(email) if email.strip() else ""  # a caller without e-mail is nobody's duplicate
        if enforce_caps and key:
            refusal = _person_refusal(key, [service.pk for service in services], now=now, policy=policy)
            if refusal is not None:
                raise refusal
        contact = _Contact(
            name=name,
            email=email,
            phone=phone,
            note=note,
            needs_accessibility=needs_accessibility,
            citizen=citizen,
            booked_by=booked_by,
            idempotency_key=idempotency_key,
            person_key=key,
        )
        return _claim(office, policy, services, groups, starts_at, minutes, channel=channel, now=now, contact=contact)
    except BookingError:
        earlier = earlier_booking(idempotency_key)
        if earlier is None:
            raise
        return Reservation(appointment=earlier, token="")


# -- cancelling, moving, giving back ----------------------------------------------------------------


def cancel(
    appointment: Appointment,
    *,
    actor: User | None = None,
    reason: str = "",
    notify: bool = True,
    now: datetime | None = None,
) -> Appointment:
    """Cancel a hold or booking. Its time returns to the pool after the office's return delay (a hold
    at once). Cancelling twice is a no-op."""
    now = now or timezone.now()
    with transaction.atomic():
        locked = Appointment.objects.select_for_update().get(pk=appointment.pk)
        if locked.state == AppointmentState.HELD:
            _give_back(locked, AppointmentState.EXPIRED, now=now)
            return locked
        if locked.state != AppointmentState.BOOKED:
            return locked
        delay = timedelta(minutes=policy_of(locked.office).return_delay_minutes)
        locked.state = AppointmentState.CANCELLED
        locked.cancelled_at = now
        locked.cancel_reason = reason[:200]
        locked.returns_at = now + delay
        locked.save(update_fields=["state", "cancelled_at", "cancel_reason", "returns_at"])
        if actor is not None:
            log_action(
                actor=actor,
                action="appointments.appointment.cancelled",
                obj=locked,
                municipality=office_municipality(locked),
                changes={"reason": reason},
            )
        if notify:
            from ..notifications import notify_cancelled

            notify_cancelled(locked, by_staff=actor is not None)
        if delay <= timedelta(0):
            _return_cells(locked, now=now)
        return locked


def move(
    appointment: Appointment,
    starts_at: datetime,
    *,
    actor: User | None = None,
    now: datetime | None = None,
    ignore_window: bool = False,
) -> Reservation:
    """Book ``starts_at`` for the same person and services and cancel the old time, in one transaction;
    if the new time is taken nothing changes."""
    now = now or timezone.now()
    with transaction.atomic():
        old = Appointment.objects.select_for_update().get(pk=appointment.pk)
        if old.state != AppointmentState.BOOKED:
            raise BookingError("not_movable", str(_("Only a booked appointment can be moved.")))
        services = list(old.services.all())
        reservation = reserve(
            old.office, services, starts_at, channel=old.channel, now=now, ignore_window=ignore_window
        )
        new = reservation.appointment
        new.moved_from = old
        new.save(update_fields=["moved_from"])
        confirm(
            new,
            name=old.name,
            email=old.email,
            phone=old.phone,
            note=old.note,
            needs_accessibility=old.needs_accessibility,
            citizen=old.citizen,
            booked_by=actor,
            token=reservation.token,
            enforce_caps=False,
            now=now,
        )
        cancel(old, actor=actor, reason="moved", notify=False, now=now)
        new.refresh_from_db()
        return Reservation(appointment=new, token=reservation.token)


def return_due_capacity(*, now: datetime | None = None, office: Office | None = None, holds_only: bool = False) -> int:
    """Give back the cells of expired holds (at once) and of cancelled or released appointments whose
    return delay has passed. Returns how many appointments gave capacity back; freed times are then
    offered to the waitlist."""
    now = now or timezone.now()
    expired = Appointment.objects.filter(state=AppointmentState.HELD, hold_expires_at__lte=now)
    due = Appointment.objects.filter(
        state__in=[AppointmentState.CANCELLED, AppointmentState.RELEASED],
        capacity_returned_at__isnull=True,
        returns_at__lte=now,
    )
    if office is not None:
        expired, due = expired.filter(office=office), due.filter(office=office)
    returned = 0
    offices: set[int] = set()
    for pk in list(expired.values_list("pk", flat=True)):
        with transaction.atomic():
            row = Appointment.objects.select_for_update().filter(pk=pk, state=AppointmentState.HELD).first()
            if row is not None and row.hold_expires_at and row.hold_expires_at <= now:
                _give_back(row, AppointmentState.EXPIRED, now=now)
                offices.add(row.office_id)  # an expired hold (e.g. an unanswered waitlist offer) frees a time too
                returned += 1
    if not holds_only:
        for pk in list(due.values_list("pk", flat=True)):
            with transaction.atomic():
                row = Appointment.objects.select_for_update().filter(pk=pk, capacity_returned_at__isnull=True).first()
                if row is not None:
                    _return_cells(row, now=now)
                    offices.add(row.office_id)
                    returned += 1
        if offices:
            from .waitlist import offer_freed_slots

            for freed in Office.objects.filter(pk__in=offices):
                offer_freed_slots(freed, now=now)
    return returned


def _give_back(appointment: Appointment, state: str, *, now: datetime) -> None:
    """End a hold (or refused booking) and return its cells at once."""
    appointment.state = state
    appointment.hold_expires_at = None
    appointment.save(update_fields=["state", "hold_expires_at"])
    _return_cells(appointment, now=now)


def _return_cells(appointment: Appointment, *, now: datetime) -> None:
    if appointment.capacity_returned_at is not None:
        return
    CapacityCell.objects.filter(
        group_id=appointment.group_id,
        starts_at__gte=appointment.starts_at,
        starts_at__lt=appointment.ends_at,
        booked__gt=0,
    ).update(booked=F("booked") - 1)
    appointment.capacity_returned_at = now
    appointment.save(update_fields=["capacity_returned_at"])


def office_municipality(appointment: Appointment) -> Municipality:
    return Office.objects.select_related("municipality").get(pk=appointment.office_id).municipality
