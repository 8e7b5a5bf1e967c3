"""Reads of the staff back office: day and week views, free times for staff, the capacity page.

Everything here runs in the request's tenant scope (``TenantScopeMiddleware``): the scoped managers
only see the staff member's municipalities, so another municipality's office or appointment is
simply not found. Nothing here opts out of the scope.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from django.db.models import Prefetch
from django.utils import timezone

from buergerbuero.catalog.models import Service
from buergerbuero.core.models import AuditEntry
from buergerbuero.tenants.models import ClosingDay, Counter, Municipality, Office

from .capacity_model import policy_of
from .constants import AppointmentState
from .lanes import Span, assign_lanes, lane_count
from .models import Appointment, BookingPolicy, CapacityCell, ServiceGroup
from .selectors import FreeSlot
from .services.booking import groups_for
from .slots import Cell, free_starts

__all__ = [
    "DAY_STATES",
    "ROW_MINUTES",
    "BlockCapacity",
    "DaySummary",
    "DayView",
    "TimeRow",
    "affected_appointments",
    "appointment_at",
    "capacity_page",
    "day_bounds",
    "day_view",
    "office_of",
    "office_services",
    "offices_of",
    "staff_free_slots",
    "week_view",
]

#: Length of one row of the day view's timeline.
ROW_MINUTES = 30
#: Appointments drawn in the day view's lanes (holds are transient; cancelled ones are listed apart).
DAY_STATES = (
    AppointmentState.BOOKED,
    AppointmentState.CHECKED_IN,
    AppointmentState.COMPLETED,
    AppointmentState.NO_SHOW,
)
_CHECKED_IN_STATES = (AppointmentState.CHECKED_IN, AppointmentState.COMPLETED)


@dataclass(frozen=True)
class BlockCapacity:
    """One group's released capacity in one row: the fullest cell's ``booked`` of ``bookable``, and
    the fewest appointments that still fit in any cell of the row (``free``)."""

    group: ServiceGroup
    booked: int
    bookable: int
    free: int


@dataclass(frozen=True)
class TimeRow:
    start: datetime
    end: datetime
    lanes: tuple[tuple[Appointment, ...], ...]  # per lane, the appointments starting in this row
    capacity: tuple[BlockCapacity | None, ...]  # per group; None: nothing released in this row


@dataclass(frozen=True)
class DayView:
    office: Office
    day: date
    groups: tuple[ServiceGroup, ...]
    lanes: int
    rows: tuple[TimeRow, ...]
    appointments: tuple[Appointment, ...]
    cancelled: tuple[Appointment, ...]
    closing: ClosingDay | None

    @property
    def lane_numbers(self) -> range:
        return range(1, self.lanes + 1)


@dataclass(frozen=True)
class DaySummary:
    day: date
    booked: int
    checked_in: int
    free_minutes: int  # counter minutes still released for appointments
    closed: bool


# -- offices and appointments -------------------------------------------------------------------------


def offices_of(municipality: Municipality) -> list[Office]:
    return list(Office.objects.filter(municipality=municipality).order_by("name"))


def office_of(municipality: Municipality, slug: str) -> Office | None:
    return Office.objects.filter(municipality=municipality, slug=slug).select_related("municipality").first()


def appointment_at(office: Office, code: str) -> Appointment | None:
    return (
        Appointment.objects.filter(office=office, code=code)
        .select_related("group", "booked_by", "moved_from")
        .prefetch_related("services")
        .first()
    )


def office_services(office: Office) -> list[Service]:
    """The services of the office's groups: what staff can book here."""
    return list(Service.objects.filter(service_groups__office=office).distinct().order_by("name_de"))


def day_bounds(day: date) -> tuple[datetime, datetime]:
    tz = timezone.get_current_timezone()
    return datetime.combine(day, time.min, tz), datetime.combine(day + timedelta(days=1), time.min, tz)


# -- the day view -------------------------------------------------------------------------------------


def day_view(office: Office, day: date) -> DayView:
    """The office's appointments of ``day`` in counter lanes, with the released capacity per row."""
    start, end = day_bounds(day)
    groups = tuple(ServiceGroup.objects.filter(office=office).order_by("key"))
    appointments = list(
        Appointment.objects.filter(office=office, starts_at__gte=start, starts_at__lt=end)
        .exclude(state__in=[AppointmentState.HELD, AppointmentState.EXPIRED])
        .select_related("booked_by")
        .prefetch_related("services")
        .order_by("starts_at", "pk")
    )
    shown = [a for a in appointments if a.state in DAY_STATES]
    cancelled = tuple(a for a in appointments if a.state not in DAY_STATES)
    lanes = assign_lanes([Span(key=a.pk, start=a.starts_at, end=a.ends_at) for a in shown])
    cells = list(
        CapacityCell.objects.filter(group__office=office, starts_at__gte=start, starts_at__lt=end)
        .order_by("starts_at")
        .values_list("group_id", "starts_at", "bookable", "booked")
    )
    count = lane_count(lanes)
    rows = _rows(day, shown, lanes, count, groups, cells)
    closing = ClosingDay.objects.filter(office=office, date=day).first()
    return DayView(
        office=office,
        day=day,
        groups=groups,
        lanes=count,
        rows=rows,
        appointments=tuple(shown),
        cancelled=cancelled,
        closing=closing,
    )


def _rows(
    day: date,
    appointments: Sequence[Appointment],
    lanes: dict[int, int],
    count: int,
    groups: Sequence[ServiceGroup],
    cells: Sequence[tuple[int, datetime, int, int]],
) -> tuple[TimeRow, ...]:
    moments = [a.starts_at for a in appointments] + [c[1] for c in cells]
    if not moments:
        return ()
    step = timedelta(minutes=ROW_MINUTES)
    day_start = day_bounds(day)[0]
    first = min(moments)
    last = max([a.ends_at - timedelta(seconds=1) for a in appointments] + [c[1] for c in cells])
    row_start = day_start + step * int((first - day_start) / step)
    by_row: dict[int, list[list[Appointment]]] = defaultdict(lambda: [[] for _ in range(count)])
    for appointment in appointments:
        by_row[int((appointment.starts_at - day_start) / step)][lanes[appointment.pk]].append(appointment)
    cell_rows: dict[tuple[int, int], list[tuple[int, int]]] = defaultdict(list)
    for group_id, starts_at, bookable, booked in cells:
        cell_rows[(int((starts_at - day_start) / step), group_id)].append((bookable, booked))
    rows = []
    while row_start <= last:
        index = int((row_start - day_start) / step)
        capacity = []
        for group in groups:
            found = cell_rows.get((index, group.pk))
            capacity.append(
                BlockCapacity(
                    group=group,
                    booked=max(booked for _, booked in found),
                    bookable=max(bookable for bookable, _ in found),
                    free=min(bookable - booked for bookable, booked in found),
                )
                if found
                else None
            )
        lane_lists = by_row.get(index) or [[] for _ in range(count)]
        rows.append(
            TimeRow(
                start=timezone.localtime(row_start),
                end=timezone.localtime(row_start + step),
                lanes=tuple(tuple(lane) for lane in lane_lists),
                capacity=tuple(capacity),
            )
        )
        row_start += step
    return tuple(rows)


# -- the week view ------------------------------------------------------------------------------------


def week_view(office: Office, monday: date) -> list[DaySummary]:
    """Per day of the week from ``monday``: appointments booked and checked in, free counter minutes."""
    start, end = day_bounds(monday)[0], day_bounds(monday + timedelta(days=6))[1]
    booked: dict[date, int] = defaultdict(int)
    checked_in: dict[date, int] = defaultdict(int)
    rows = Appointment.objects.filter(
        office=office, starts_at__gte=start, starts_at__lt=end, state__in=DAY_STATES
    ).values_list("starts_at", "state")
    for starts_at, state in rows:
        day = timezone.localtime(starts_at).date()
        booked[day] += 1
        checked_in[day] += state in _CHECKED_IN_STATES
    free: dict[date, int] = defaultdict(int)
    cells = CapacityCell.objects.filter(group__office=office, starts_at__gte=start, starts_at__lt=end).values_list(
        "starts_at", "ends_at", "bookable", "booked"
    )
    for starts_at, ends_at, bookable, cell_booked in cells:
        minutes = int((ends_at - starts_at).total_seconds() // 60)
        free[timezone.localtime(starts_at).date()] += max(0, bookable - cell_booked) * minutes
    closed = set(
        ClosingDay.objects.filter(office=office, date__range=(monday, monday + timedelta(days=6))).values_list(
            "date", flat=True
        )
    )
    days = [monday + timedelta(days=i) for i in range(7)]
    return [
        DaySummary(day=d, booked=booked[d], checked_in=checked_in[d], free_minutes=free[d], closed=d in closed)
        for d in days
    ]


# -- free times for staff -----------------------------------------------------------------------------


def staff_free_slots(
    office: Office, services: Sequence[Service], day: date, *, now: datetime, ignore_window: bool = False
) -> list[FreeSlot]:
    """Free times on ``day`` for ``services``, read from the released cells like the citizens' list.

    Without ``ignore_window`` staff see exactly what citizens see (the booking window); with it, any
    released time after ``now`` (e.g. later today).
    """
    policy = policy_of(office)
    if not ignore_window and not _in_window(policy, day, now):
        return []
    groups, minutes = groups_for(office, policy, [s.slug for s in services])
    if not groups:
        return []
    start, end = day_bounds(day)
    needed = minutes // policy.grid_minutes
    starts: set[datetime] = set()
    for group in groups:
        cells = [
            Cell(starts_at=s, ends_at=e, free=bookable - booked)
            for s, e, bookable, booked in CapacityCell.objects.filter(
                group=group, starts_at__gte=start, starts_at__lt=end
            )
            .order_by("starts_at")
            .values_list("starts_at", "ends_at", "bookable", "booked")
        ]
        starts.update(free_starts(cells, needed, after=now))
    length = timedelta(minutes=minutes)
    return [FreeSlot(starts_at=s, ends_at=s + length) for s in sorted(starts)]


def _in_window(policy: BookingPolicy, day: date, now: datetime) -> bool:
    today = timezone.localtime(now).date()
    first = today + timedelta(days=policy.first_day_offset)
    return policy.is_active and first <= day <= today + timedelta(days=7 * policy.weeks_ahead)


# -- the capacity page --------------------------------------------------------------------------------


@dataclass(frozen=True)
class CapacityPage:
    policy: BookingPolicy
    groups: tuple[ServiceGroup, ...]
    counters: tuple[Counter, ...]
    closing_days: tuple[ClosingDay, ...]


def capacity_page(office: Office, *, today: date) -> CapacityPage:
    """The office's policy (unsaved default if none), its groups with counters and services, its
    counters and its closing days from ``today`` on."""
    groups = tuple(
        ServiceGroup.objects.filter(office=office)
        .prefetch_related(
            Prefetch("counters", queryset=Counter.objects.order_by("name")),
            Prefetch("services", queryset=Service.objects.order_by("name_de")),
        )
        .order_by("key")
    )
    return CapacityPage(
        policy=policy_of(office),
        groups=groups,
        counters=tuple(Counter.objects.filter(office=office, is_active=True).order_by("name")),
        closing_days=tuple(ClosingDay.objects.filter(office=office, date__gte=today).order_by("date")),
    )


def affected_appointments(office: Office, entry_id: int) -> list[Appointment]:
    """The appointments a capacity change (its audit entry) affected that are still booked."""
    entry = AuditEntry.objects.filter(pk=entry_id, action__startswith="appointments.capacity.").first()
    if entry is None:
        return []
    ids = [int(pk) for pk in entry.changes.get("affected_ids", [])]
    return list(
        Appointment.objects.filter(office=office, pk__in=ids, state=AppointmentState.BOOKED)
        .prefetch_related("services")
        .order_by("starts_at")
    )
