"""The waitlist: citizens register interest (office, services, days, hours); free times are offered to
them in turn, by order of registration.

``offer_freed_slots`` (called by ``booking.return_due_capacity`` whenever capacity comes back, and
after a registration, a decline or an expiry) walks the waiting entries of an office and holds, for
each, the first free time that fits its wishes (``booking.reserve``, channel ``waitlist``); the hold
lasts ``policy.waitlist_offer_minutes`` (never past the appointment's start) and the person gets an
e-mail with a signed link to accept or decline. Holding the time is what makes "one offer per freed
time" true: the next entry no longer sees it free. An entry has at most one open offer (state
``OFFERED``).

Accepting confirms the hold with the entry's name and e-mail (``booking.confirm``, caps apply).
Declining or letting the offer expire (``expire_offers``, periodic) gives the time back at once and
offers it to the next person; the entry waits again, keeps its place and is never offered the same
time twice. After ``APPOINTMENTS_WAITLIST_MAX_MISSED_OFFERS`` (default 2) declined or expired offers,
and once ``until_date`` has passed, the entry expires. See docs/appointments-waitlist-lottery.md.
"""

from __future__ import annotations

import secrets
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

from django.conf import settings
from django.core import signing
from django.db import transaction
from django.db.models import QuerySet
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from buergerbuero.catalog.models import Service
from buergerbuero.core.links import absolute_url
from buergerbuero.core.tenancy import scopes_disabled, tenant_scope
from buergerbuero.notifications.email import queue_email
from buergerbuero.tenants.models import Office

from ..capacity_model import policy_of
from ..constants import AppointmentState, BookingChannel, WaitlistState
from ..models import Appointment, WaitlistEntry
from .booking import BookingError, Reservation, cancel, confirm, groups_for, hash_token, person_key, reserve

__all__ = [
    "OFFER_SALT",
    "WaitlistRefused",
    "WaitlistRegistered",
    "Wish",
    "accept_offer",
    "decline_offer",
    "entry_by_offer_token",
    "entry_by_token",
    "expire_offers",
    "fits",
    "offer_freed_slots",
    "offer_token",
    "register",
    "withdraw",
]

OFFER_SALT = "buergerbuero.appointments.waitlist.offer"
ACTIVE_STATES = (WaitlistState.WAITING, WaitlistState.OFFERED)


class WaitlistRefused(Exception):
    """A waitlist action was refused; ``code`` is stable, ``message`` is for people."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


@dataclass(frozen=True)
class WaitlistRegistered:
    """A new entry and the secret of its withdraw link (shown and mailed once, stored hashed)."""

    entry: WaitlistEntry
    token: str


@dataclass(frozen=True)
class Wish:
    """When a person can come: weekdays (0 = Monday, empty = any), start between ``earliest`` and
    ``latest`` (wall clock, inclusive), on days ``from_date``..``until_date`` (open ends allowed)."""

    weekdays: frozenset[int] = field(default_factory=frozenset)
    earliest: time | None = None
    latest: time | None = None
    from_date: date | None = None
    until_date: date | None = None

    @classmethod
    def of(cls, entry: WaitlistEntry) -> Wish:
        return cls(
            weekdays=frozenset(int(day) for day in entry.weekdays or []),
            earliest=entry.earliest_time,
            latest=entry.latest_time,
            from_date=entry.from_date,
            until_date=entry.until_date,
        )

    def allows_day(self, day: date) -> bool:
        if self.weekdays and day.weekday() not in self.weekdays:
            return False
        if self.from_date and day < self.from_date:
            return False
        return not (self.until_date and day > self.until_date)


def fits(wish: Wish, starts_at: datetime) -> bool:
    """Whether an appointment starting at ``starts_at`` (any time zone; compared on the local wall
    clock) fits ``wish``. Pure."""
    local = timezone.localtime(starts_at)
    if not wish.allows_day(local.date()):
        return False
    if wish.earliest and local.time() < wish.earliest:
        return False
    return not (wish.latest and local.time() > wish.latest)


# -- reads ------------------------------------------------------------------------------------------


def entry_by_token(public_id: str, token: str) -> WaitlistEntry | None:
    """The entry of a withdraw link, or ``None`` when the link is wrong (the token is the key)."""
    if not token:
        return None
    with scopes_disabled():
        entry = (
            WaitlistEntry.objects.select_related("office", "office__municipality", "offered")
            .filter(public_id=public_id)
            .first()
        )
    if entry is None or entry.manage_token_hash != hash_token(token):
        return None
    return entry


def offer_token(entry: WaitlistEntry, appointment: Appointment) -> str:
    """The signed secret of an offer link: it names the entry and the one held appointment, so a link
    of an earlier offer never accepts a later one."""
    return signing.dumps([str(entry.public_id), str(appointment.public_id)], salt=OFFER_SALT, compress=True)


def entry_by_offer_token(token: str) -> tuple[WaitlistEntry, Appointment] | None:
    """The entry and the offered appointment of an offer link, or ``None`` if the signature is wrong."""
    try:
        entry_id, appointment_id = signing.loads(token, salt=OFFER_SALT)
    except (signing.BadSignature, ValueError, TypeError):
        return None
    with scopes_disabled():
        entry = (
            WaitlistEntry.objects.select_related("office", "office__municipality").filter(public_id=entry_id).first()
        )
        appointment = (
            Appointment.objects.select_related("office").prefetch_related("services").filter(public_id=appointment_id)
        ).first()
    if entry is None or appointment is None or appointment.office_id != entry.office_id:
        return None
    return entry, appointment


# -- registering and withdrawing --------------------------------------------------------------------


def register(
    office: Office,
    services: Sequence[Service],
    *,
    name: str,
    email: str,
    weekdays: Sequence[int] = (),
    earliest_time: time | None = None,
    latest_time: time | None = None,
    from_date: date | None = None,
    until_date: date | None = None,
    now: datetime | None = None,
) -> WaitlistRegistered:
    """Put a person on the office's waitlist for ``services``; one active entry per person (e-mail),
    office and set of services. Raises ``WaitlistRefused`` (``not_offered``, ``duplicate``).

    A time that fits at once is offered right away, like a freed one."""
    now = now or timezone.now()
    slugs = sorted(service.slug for service in services)
    with tenant_scope([office.municipality_id]):
        policy = policy_of(office)
        if not slugs or not policy.is_active or not groups_for(office, policy, slugs)[0]:
            raise WaitlistRefused("not_offered", _("This office does not take appointments for these services."))
        key = person_key(email)
        token = secrets.token_urlsafe(24)
        with transaction.atomic():
            # One registration per office at a time, so two concurrent ones cannot both pass the check.
            Office.objects.select_for_update().filter(pk=office.pk).first()
            for earlier in WaitlistEntry.objects.filter(
                office=office, person_key=key, state__in=ACTIVE_STATES
            ).prefetch_related("services"):
                if sorted(service.slug for service in earlier.services.all()) == slugs:
                    raise WaitlistRefused(
                        "duplicate",
                        _("This e-mail address is already on the waitlist of this office for these services."),
                    )
            entry = WaitlistEntry.objects.create(
                office=office,
                weekdays=sorted({int(day) for day in weekdays}),
                earliest_time=earliest_time,
                latest_time=latest_time,
                from_date=from_date,
                until_date=until_date,
                name=name.strip(),
                email=email.strip(),
                person_key=key,
                manage_token_hash=hash_token(token),
            )
            entry.services.set(services)
            _notify(entry, "registered", token=token)
        offer_freed_slots(office, now=now)
        entry.refresh_from_db()
    return WaitlistRegistered(entry=entry, token=token)


def withdraw(entry: WaitlistEntry, *, now: datetime | None = None) -> WaitlistEntry:
    """Take a person off the waitlist; an open offer is given back and goes to the next person.
    Withdrawing twice is a no-op."""
    now = now or timezone.now()
    with tenant_scope([entry.office.municipality_id]):
        with transaction.atomic():
            locked = WaitlistEntry.objects.select_for_update().get(pk=entry.pk)
            if locked.state not in ACTIVE_STATES:
                return locked
            had_offer = _give_back_offer(locked, now=now)
            locked.state = WaitlistState.CANCELLED
            locked.offer_expires_at = None
            locked.save(update_fields=["state", "offer_expires_at"])
        if had_offer:
            offer_freed_slots(locked.office, now=now)
        return locked


# -- offering ---------------------------------------------------------------------------------------


def offer_freed_slots(office: Office, *, now: datetime) -> int:
    """Offer free times at ``office`` to waiting citizens in order of registration; returns how many
    offers were made. Each entry gets the first free time that fits its wishes and was not offered
    to it before."""
    made = 0
    with tenant_scope([office.municipality_id]):
        policy = policy_of(office)
        if not policy.is_active:
            return 0
        today = timezone.localtime(now).date()
        waiting = list(
            WaitlistEntry.objects.filter(office=office, state=WaitlistState.WAITING)
            .exclude(until_date__lt=today)
            .prefetch_related("services")
            .order_by("created_at", "pk")
        )
        days = _BookableDays(office, now=now)
        for entry in waiting:
            services = list(entry.services.order_by("slug"))
            wish = Wish.of(entry)
            offered_before = _offered_starts(entry)
            for starts_at in days.starts(services, wish):
                if starts_at in offered_before:
                    continue
                if _offer(entry, services, starts_at, policy.waitlist_offer_minutes, now=now):
                    made += 1
                    days.forget(services)
                    break
    return made


class _BookableDays:
    """Free times per service set, read once per ``offer_freed_slots`` run and again after an offer."""

    def __init__(self, office: Office, *, now: datetime) -> None:
        self.office = office
        self.now = now
        self._days: dict[tuple[str, ...], list[date]] = {}

    def starts(self, services: Sequence[Service], wish: Wish) -> list[datetime]:
        """Free starts fitting ``wish``, earliest first (read lazily, day by day)."""
        from ..selectors import bookable_days, free_slots  # the selectors import the booking services

        key = tuple(service.slug for service in services)
        if key not in self._days:
            self._days[key] = bookable_days(self.office, services, now=self.now)
        found: list[datetime] = []
        for day in self._days[key]:
            if wish.allows_day(day):
                found.extend(
                    slot.starts_at
                    for slot in free_slots(self.office, services, day, now=self.now)
                    if fits(wish, slot.starts_at)
                )
                if found:
                    return found
        return found

    def forget(self, services: Sequence[Service]) -> None:
        self._days.pop(tuple(service.slug for service in services), None)


def _offer(
    entry: WaitlistEntry, services: Sequence[Service], starts_at: datetime, minutes: int, *, now: datetime
) -> bool:
    """Hold ``starts_at`` for ``entry`` and mail the offer; ``False`` if the time was taken meanwhile or
    the entry is no longer waiting."""
    try:
        with transaction.atomic():
            locked = WaitlistEntry.objects.select_for_update().get(pk=entry.pk)
            if locked.state != WaitlistState.WAITING:
                return False
            held = reserve(entry.office, services, starts_at, channel=BookingChannel.WAITLIST, now=now).appointment
            expires = min(now + timedelta(minutes=minutes), held.starts_at)
            # The hold is this person's: their name on it for staff, their key to recognise a declined time.
            Appointment.objects.filter(pk=held.pk).update(
                hold_expires_at=expires, name=locked.name, email=locked.email, person_key=locked.person_key
            )
            locked.state = WaitlistState.OFFERED
            locked.offered = held
            locked.offer_expires_at = expires
            locked.save(update_fields=["state", "offered", "offer_expires_at"])
            _notify(locked, "offer", appointment=held)
            return True
    except BookingError:  # SlotTaken, or the office stopped taking bookings
        return False


def _offered_starts(entry: WaitlistEntry) -> set[datetime]:
    """The times offered to ``entry`` before that it declined or let expire."""
    return set(_missed_offers(entry).values_list("starts_at", flat=True))


def _missed_offers(entry: WaitlistEntry) -> QuerySet[Appointment]:
    """Offers to this person at this office since the entry was made that ended without a booking
    (declined, expired, withdrawn): the holds carry the person's key (``_offer``)."""
    return Appointment.objects.filter(
        office_id=entry.office_id,
        channel=BookingChannel.WAITLIST,
        person_key=entry.person_key,
        state=AppointmentState.EXPIRED,
        created_at__gte=entry.created_at,
    )


# -- answering an offer -------------------------------------------------------------------------------


def accept_offer(entry: WaitlistEntry, appointment: Appointment, *, now: datetime | None = None) -> Reservation:
    """Book the offered time for the entry's person (``booking.confirm``, caps apply); the normal
    confirmation with a new manage link is queued. Accepting twice returns the booking with an empty
    token. Raises ``WaitlistRefused`` (``no_offer``, ``offer_expired``, or the booking's refusal, e.g.
    ``cap_reached``; the time then goes to the next person)."""
    now = now or timezone.now()
    refusal: BookingError | None = None
    with tenant_scope([entry.office.municipality_id]):
        with transaction.atomic():
            locked = WaitlistEntry.objects.select_for_update().get(pk=entry.pk)
            if locked.state == WaitlistState.BOOKED and locked.offered_id == appointment.pk:
                return Reservation(appointment=Appointment.objects.get(pk=appointment.pk), token="")
            if locked.state != WaitlistState.OFFERED or locked.offered_id != appointment.pk:
                raise WaitlistRefused("no_offer", _("This offer is no longer open."))
            if locked.offer_expires_at is None or locked.offer_expires_at <= now:
                raise WaitlistRefused("offer_expired", _("This offer has expired."))
            # The hold's manage token was never shown to anyone: a new one goes into the confirmation.
            token = secrets.token_urlsafe(24)
            Appointment.objects.filter(pk=appointment.pk).update(manage_token_hash=hash_token(token))
            try:
                with transaction.atomic():
                    booked = confirm(appointment, name=locked.name, email=locked.email, token=token, now=now)
            except BookingError as error:
                refusal = error
                _give_back_offer(locked, now=now)
                locked.state = WaitlistState.EXPIRED
                locked.offer_expires_at = None
                locked.save(update_fields=["state", "offer_expires_at"])
            else:
                locked.state = WaitlistState.BOOKED
                locked.offer_expires_at = None
                locked.save(update_fields=["state", "offer_expires_at"])
                return Reservation(appointment=booked, token=token)
        offer_freed_slots(locked.office, now=now)
    if refusal is None:  # every other way out of the block returns or raises
        raise RuntimeError("accept_offer fell through without a booking or a refusal")
    raise WaitlistRefused(refusal.code, refusal.message)


def decline_offer(entry: WaitlistEntry, appointment: Appointment, *, now: datetime | None = None) -> WaitlistEntry:
    """Give the offered time back at once, to the next person in line; the entry waits again (or
    expires after too many missed offers). Declining twice is a no-op."""
    now = now or timezone.now()
    with tenant_scope([entry.office.municipality_id]):
        with transaction.atomic():
            locked = WaitlistEntry.objects.select_for_update().get(pk=entry.pk)
            if locked.state != WaitlistState.OFFERED or locked.offered_id != appointment.pk:
                return locked
            _give_back_offer(locked, now=now)
            _wait_again_or_expire(locked, now=now)
        offer_freed_slots(locked.office, now=now)
        return locked


def expire_offers(now: datetime | None = None) -> int:
    """Periodic: end offers whose time to answer has passed (the time goes to the next person) and
    entries whose ``until_date`` has passed. Returns how many entries changed."""
    now = now or timezone.now()
    today = timezone.localtime(now).date()
    with scopes_disabled():  # Kreis-wide: find them, then work on each in its municipality's scope
        overdue = list(
            WaitlistEntry.objects.filter(state=WaitlistState.OFFERED, offer_expires_at__lte=now).values_list(
                "pk", "office__municipality_id"
            )
        )
        past = list(
            WaitlistEntry.objects.filter(state__in=ACTIVE_STATES, until_date__lt=today).values_list(
                "pk", "office__municipality_id"
            )
        )
    changed = 0
    offices: set[int] = set()
    for pk, municipality_id in sorted(set(overdue) | set(past)):
        with tenant_scope([municipality_id]), transaction.atomic():
            locked = WaitlistEntry.objects.select_for_update().select_related("office").get(pk=pk)
            if locked.state == WaitlistState.OFFERED and locked.offer_expires_at and locked.offer_expires_at <= now:
                _give_back_offer(locked, now=now)
                _wait_again_or_expire(locked, now=now)
            elif locked.state in ACTIVE_STATES and locked.until_date and locked.until_date < today:
                _give_back_offer(locked, now=now)
                _expire(locked)
            else:
                continue
            changed += 1
            offices.add(locked.office_id)
    with scopes_disabled():
        freed = list(Office.objects.filter(pk__in=offices).order_by("pk"))
    for office in freed:
        offer_freed_slots(office, now=now)
    return changed


def _give_back_offer(entry: WaitlistEntry, *, now: datetime) -> bool:
    """End the entry's open hold (its cells return at once); ``True`` if it had an offer."""
    if entry.offered_id is None or entry.state != WaitlistState.OFFERED:
        return False
    held = Appointment.objects.filter(pk=entry.offered_id).first()
    if held is not None and held.state == AppointmentState.HELD:
        cancel(held, notify=False, now=now)
    return True


def _wait_again_or_expire(entry: WaitlistEntry, *, now: datetime) -> None:
    limit = int(getattr(settings, "APPOINTMENTS_WAITLIST_MAX_MISSED_OFFERS", 2))
    if _missed_offers(entry).count() >= limit > 0:
        _expire(entry)
        return
    entry.state = WaitlistState.WAITING
    entry.offer_expires_at = None
    entry.save(update_fields=["state", "offer_expires_at"])


def _expire(entry: WaitlistEntry) -> None:
    entry.state = WaitlistState.EXPIRED
    entry.offer_expires_at = None
    entry.save(update_fields=["state", "offer_expires_at"])
    _notify(entry, "expired")


# -- e-mail ------------------------------------------------------------------------------------------


def _notify(
    entry: WaitlistEntry, kind: str, *, token: str | None = None, appointment: Appointment | None = None
) -> None:
    """Queue ``waitlist_<kind>`` (registered, offer, expired) to the person, once per entry, kind and offer."""
    context = {
        "entry": entry,
        "office": entry.office,
        "services": list(entry.services.order_by("slug")),
        "appointment": appointment,
        "starts_at": timezone.localtime(appointment.starts_at) if appointment else None,
        "expires_at": timezone.localtime(entry.offer_expires_at) if entry.offer_expires_at else None,
        "manage_url": absolute_url(reverse("appointments:waitlist_entry", args=[entry.public_id, token]))
        if token
        else "",
        "offer_url": absolute_url(reverse("appointments:waitlist_offer", args=[offer_token(entry, appointment)]))
        if appointment
        else "",
        "booking_url": absolute_url(reverse("appointments:start")),
    }
    with translation.override("de"):
        subject = render_to_string(f"appointments/email/waitlist_{kind}_subject.txt", context).strip()
        body = render_to_string(f"appointments/email/waitlist_{kind}.txt", context)
    dedupe = f"waitlist-{kind}:{entry.pk}" + (f":{appointment.pk}" if appointment else "")
    queue_email([entry.email], subject, body, dedupe_key=dedupe)
