"""Reads for booking: which offices offer what, free days and times, the earliest time in the Kreis.

Free times come from the released cells (``CapacityCell``) only, so what a citizen sees is exactly
what the booking service can claim. Public pages read across municipalities with ``scopes_disabled``
because offices and their free times are public; appointments are never read here without a scope.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from itertools import groupby
from operator import itemgetter

from django.core.exceptions import ValidationError
from django.db.models import F, QuerySet
from django.utils import timezone

from buergerbuero.catalog.models import Service
from buergerbuero.core.tenancy import scopes_disabled
from buergerbuero.tenants.models import Office

from .capacity_model import booking_window, policy_of
from .models import Appointment, BookingPolicy, CapacityCell, ServiceGroup
from .services.booking import groups_for, hash_token
from .services.lottery import blocked_days
from .slots import Cell, free_starts

__all__ = [
    "FreeSlot",
    "Offer",
    "OfficeOption",
    "alternatives",
    "appointment_by_token",
    "bookable_days",
    "bookable_services",
    "earliest_in_kreis",
    "free_slots",
    "offer_for",
    "offices_for",
]


@dataclass(frozen=True)
class FreeSlot:
    starts_at: datetime
    ends_at: datetime


@dataclass(frozen=True)
class Offer:
    """How an office offers a set of services: its policy, the groups serving them all in one
    appointment (none: not offered) and the appointment's minutes. Loaded once per request and passed
    to the reads below, which otherwise load it themselves."""

    policy: BookingPolicy
    groups: list[ServiceGroup]
    minutes: int


def offer_for(office: Office, services: Sequence[Service], *, policy: BookingPolicy | None = None) -> Offer:
    """The ``Offer`` of ``office`` for ``services`` (``policy``: the office's, when already loaded)."""
    with scopes_disabled():
        policy = policy or policy_of(office)
        groups, minutes = groups_for(office, policy, [s.slug for s in services])
    return Offer(policy=policy, groups=groups, minutes=minutes)


@dataclass(frozen=True)
class OfficeOption:
    """An office that offers the requested services, with its earliest free time (``None``: none free)."""

    office: Office
    earliest: FreeSlot | None


def services_by_slug(slugs: Iterable[str]) -> list[Service]:
    """The catalogue services for ``slugs`` (public catalogue, no scope needed); unknown slugs are dropped."""
    return list(Service.objects.filter(slug__in=set(slugs)).order_by("slug"))


def bookable_services() -> QuerySet[Service]:
    """Catalogue services that at least one active office takes appointments for."""
    with scopes_disabled():
        ids = set(
            ServiceGroup.objects.filter(office__booking_policy__is_active=True).values_list("services", flat=True)
        )
    return Service.objects.filter(pk__in=ids - {None}).order_by("name_de")


def offices_for(services: Sequence[Service]) -> list[Office]:
    """Offices in the Kreis with an active booking policy and one group serving all ``services``."""
    return [office for office, _offer in _offers(services)]


def _offers(services: Sequence[Service]) -> list[tuple[Office, Offer]]:
    """``offices_for`` with each office's ``Offer``, so callers that need both load it once."""
    slugs = {service.slug for service in services}
    if not slugs:
        return []
    found = []
    with scopes_disabled():
        candidates = (
            Office.objects.filter(booking_policy__is_active=True, service_groups__services__slug__in=slugs)
            .select_related("municipality", "booking_policy")
            .distinct()
            .order_by("municipality__name", "name")
        )
        for office in candidates:
            offer = offer_for(office, services, policy=office.booking_policy)  # loaded with the office
            if offer.groups:
                found.append((office, offer))
    return found


def free_slots(
    office: Office, services: Sequence[Service], day: date, *, now: datetime | None = None, offer: Offer | None = None
) -> list[FreeSlot]:
    """Free times at ``office`` on ``day`` for ``services`` (citizens: inside the booking window, after now)."""
    now = now or timezone.now()
    with scopes_disabled():
        policy = offer.policy if offer else policy_of(office)
        if not _in_window(policy, day, now) or day in blocked_days(office, services, day, day):
            return []
        groups, minutes = (
            (offer.groups, offer.minutes) if offer else groups_for(office, policy, [s.slug for s in services])
        )
        if not groups:
            return []
        start, end = _day_bounds(day)
        cells = _cells([g.pk for g in groups], start, end)
    return _slots_from(cells, [g.pk for g in groups], minutes // policy.grid_minutes, policy.grid_minutes, now)


def bookable_days(
    office: Office, services: Sequence[Service], *, now: datetime | None = None, offer: Offer | None = None
) -> list[date]:
    """The days of the booking window with at least one free time for ``services``."""
    return sorted(_first_starts(office, services, now=now or timezone.now(), offer=offer))


def earliest_in_kreis(services: Sequence[Service], *, now: datetime | None = None) -> list[OfficeOption]:
    """Every office offering ``services`` with its earliest free time, earliest first ("earliest in the
    whole Kreis"); offices with nothing free come last."""
    now = now or timezone.now()
    options = []
    for office, offer in _offers(services):
        firsts = _first_starts(office, services, now=now, first_only=True, offer=offer)
        earliest = None
        if firsts:
            start, length = min(firsts.values())
            earliest = FreeSlot(starts_at=start, ends_at=start + length)
        options.append(OfficeOption(office=office, earliest=earliest))
    far = now + timedelta(days=3650)
    return sorted(options, key=lambda o: (o.earliest.starts_at if o.earliest else far, o.office.name))


def _first_starts(
    office: Office,
    services: Sequence[Service],
    *,
    now: datetime,
    first_only: bool = False,
    offer: Offer | None = None,
) -> dict[date, tuple[datetime, timedelta]]:
    """Day → (first free start, length) over the booking window, reading only the cells with room.

    For ``first_only`` (the earliest day) it scans one week at a time, so it usually reads a few
    hundred rows; otherwise the whole window in one query.
    """
    with scopes_disabled():
        offer = offer or offer_for(office, services)
        policy, groups, minutes = offer.policy, offer.groups, offer.minutes
        if not groups or not policy.is_active:
            return {}
        first, last = booking_window(policy, now)
        blocked = blocked_days(office, services, first, last)
        group_ids = [g.pk for g in groups]
        needed = minutes // policy.grid_minutes
        length = timedelta(minutes=minutes)
        found: dict[date, tuple[datetime, timedelta]] = {}
        step = timedelta(days=7) if first_only else last - first + timedelta(days=1)
        span = first
        while span <= last:
            until = min(span + step, last + timedelta(days=1))
            rows = (
                CapacityCell.objects.filter(
                    group_id__in=group_ids,
                    starts_at__gte=_day_bounds(span)[0],
                    starts_at__lt=_day_bounds(until)[0],
                    booked__lt=F("bookable"),
                )
                .order_by("group_id", "starts_at")
                .values_list("group_id", "starts_at", "ends_at")
            )
            # Only cells with room are read, so each stands for ``free=1`` (room for one more).
            for _group, group_rows in groupby(rows, key=itemgetter(0)):
                cells = [Cell(starts_at=starts_at, ends_at=ends_at, free=1) for _, starts_at, ends_at in group_rows]
                for begin in free_starts(cells, needed, after=now):
                    day = timezone.localtime(begin).date()
                    if day not in blocked and (day not in found or begin < found[day][0]):
                        found[day] = (begin, length)
            if first_only and found:
                break
            span = until
    return found


def alternatives(
    office: Office,
    services: Sequence[Service],
    around: datetime,
    *,
    now: datetime | None = None,
    limit: int = 6,
    offer: Offer | None = None,
) -> list[FreeSlot]:
    """Free times nearest to ``around``: the same day first, then the following bookable days. Shown
    when a chosen time was just taken."""
    now = now or timezone.now()
    offer = offer or offer_for(office, services)
    day = timezone.localtime(around).date()
    same_day = sorted(
        free_slots(office, services, day, now=now, offer=offer),
        key=lambda s: abs((s.starts_at - around).total_seconds()),
    )
    found = same_day[:limit]
    for later in bookable_days(office, services, now=now, offer=offer):
        if len(found) >= limit:
            break
        if later > day:
            found.extend(free_slots(office, services, later, now=now, offer=offer)[: limit - len(found)])
    return sorted(found, key=lambda s: s.starts_at)


def appointment_by_token(public_id: str, token: str) -> Appointment | None:
    """The appointment of a manage link, or ``None`` when the link is wrong (no scope needed: the token is the key)."""
    with scopes_disabled():
        try:
            appointment = (
                Appointment.objects.select_related("office", "office__municipality", "group")
                .prefetch_related("services")
                .get(public_id=public_id)
            )
        except (Appointment.DoesNotExist, ValueError, ValidationError):  # a malformed UUID is just a wrong link
            return None
    if not token or appointment.manage_token_hash != hash_token(token):
        return None
    return appointment


def _in_window(policy: BookingPolicy, day: date, now: datetime) -> bool:
    first, last = booking_window(policy, now)
    return policy.is_active and first <= day <= last


def _day_bounds(day: date) -> tuple[datetime, datetime]:
    tz = timezone.get_current_timezone()
    start = datetime.combine(day, datetime.min.time(), tz)
    return start, datetime.combine(day + timedelta(days=1), datetime.min.time(), tz)


def _cells(group_ids: Sequence[int], start: datetime, end: datetime) -> list[tuple[int, Cell]]:
    rows = (
        CapacityCell.objects.filter(group_id__in=group_ids, starts_at__gte=start, starts_at__lt=end)
        .order_by("group_id", "starts_at")
        .values_list("group_id", "starts_at", "ends_at", "bookable", "booked")
    )
    return [
        (group_id, Cell(starts_at=s, ends_at=e, free=bookable - booked)) for group_id, s, e, bookable, booked in rows
    ]


def _slots_from(
    cells: Sequence[tuple[int, Cell]], group_ids: Sequence[int], needed: int, grid: int, now: datetime
) -> list[FreeSlot]:
    starts: set[datetime] = set()
    for group_id in group_ids:
        starts.update(free_starts([c for g, c in cells if g == group_id], needed, after=now))
    length = timedelta(minutes=needed * grid)
    return [FreeSlot(starts_at=s, ends_at=s + length) for s in sorted(starts)]
