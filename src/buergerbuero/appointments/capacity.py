"""Appointment capacity of an office: plain data in, plain data out (no database).

The model (docs/appointments-capacity.md has examples)
------------------------------------------------------
* An office opens in **intervals** per weekday (``OpeningInterval``); a lunch break is two
  intervals; intervals of a day that touch or overlap are merged. ``special_hours`` replaces the
  weekly hours on single dates (an empty tuple closes the day), ``closed`` lists whole closed days
  (public holidays and local closures, see ``appointments.closures.closed_dates``).
* Its counters are split into **service groups**: a group is the set of services its counters can
  serve and the number of counters. Each counter belongs to exactly one group; the groups' capacities
  are independent.
* Each interval is cut into **cells** of ``grid_minutes`` starting at the opening time; a trailing
  part shorter than the grid is not bookable. Times are real (elapsed) time, so on the day clocks go
  forward an interval spanning 02:00 is an hour shorter, and on the day they go back an hour longer.
* The **walk-in share** keeps ``walk_in_percent`` of each group's counters free for walk-ins in every
  interval: ``bookable = floor(counters * (100 - walk_in_percent) / 100)``, never below 0. With one
  counter and 30 % that is 0: such a group takes walk-ins only.
* An appointment for a set of services needs the **sum of their counter minutes**, rounded up to the
  grid, at one counter of a group whose services include all of them.
* A **booking** (start, minutes, group) occupies every cell of its group that it overlaps.
* A start is **available** for a group iff the appointment fits inside one opening interval (never
  across a break or the closing time) and in every cell it covers the group's booked count is below
  its bookable count. For citizens this applies only on days inside the **booking window**: from
  ``today + first_day_offset`` to ``today + 7 * weeks`` (both inclusive, ``today`` being the date of
  ``now`` in Europe/Berlin), and never at or before ``now``.

All datetimes are timezone-aware; results are in Europe/Berlin. Python compares two datetimes of the
same ``tzinfo`` by wall-clock time, ignoring ``fold``, so on the night clocks go back 02:30 CEST and
02:30 CET compare equal: compare results in UTC (``.timestamp()``) when that night matters.
Opening and closing times that do not exist (clocks go forward) or exist twice (clocks go back) are
read with ``fold=0``: a time in the gap is moved forward by the gap, a doubled time is its first
occurrence; an interval that becomes empty that way is dropped.
"""

from __future__ import annotations

import bisect
import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

__all__ = [
    "BERLIN",
    "Booking",
    "BookingWindow",
    "CellCapacity",
    "EarliestDay",
    "OfficeCapacity",
    "OpeningInterval",
    "ServiceGroup",
    "Slot",
    "appointment_minutes",
    "available_starts",
    "bookable_counters",
    "bookable_days",
    "booking_days",
    "day_capacity",
    "earliest_available_day",
    "eligible_groups",
    "opening_intervals",
]

BERLIN = ZoneInfo("Europe/Berlin")


@dataclass(frozen=True)
class OpeningInterval:
    """The office is open on ``weekday`` (0 = Monday) from ``opens`` to ``closes`` (wall-clock time)."""

    weekday: int
    opens: time
    closes: time

    def __post_init__(self) -> None:
        if not 0 <= self.weekday <= 6:
            raise ValueError(f"weekday must be 0..6, not {self.weekday}")
        if self.opens >= self.closes:
            raise ValueError(f"an interval must open before it closes: {self.opens}–{self.closes}")


@dataclass(frozen=True)
class ServiceGroup:
    """``counters`` counters that can each serve every service in ``services``."""

    key: str
    services: frozenset[str]
    counters: int

    def __post_init__(self) -> None:
        if self.counters < 0:
            raise ValueError(f"group {self.key!r} has a negative number of counters")


@dataclass(frozen=True)
class BookingWindow:
    """Citizens may book from ``today + first_day_offset`` to ``today + 7 * weeks``, both inclusive."""

    first_day_offset: int = 1
    weeks: int = 8

    def __post_init__(self) -> None:
        if self.first_day_offset < 0 or self.weeks < 0:
            raise ValueError("a booking window cannot reach into the past")


@dataclass(frozen=True)
class OfficeCapacity:
    """Everything that decides an office's appointment capacity."""

    key: str
    hours: tuple[OpeningInterval, ...]
    groups: tuple[ServiceGroup, ...]
    service_minutes: Mapping[str, int]
    closed: frozenset[date] = frozenset()
    special_hours: Mapping[date, tuple[tuple[time, time], ...]] = field(default_factory=dict)
    grid_minutes: int = 5
    walk_in_percent: int = 30
    window: BookingWindow = BookingWindow()

    def __post_init__(self) -> None:
        if self.grid_minutes <= 0:
            raise ValueError("the slot grid must be at least one minute")
        if not 0 <= self.walk_in_percent <= 100:
            raise ValueError("the walk-in share is a percentage from 0 to 100")
        if len({group.key for group in self.groups}) != len(self.groups):
            raise ValueError("service group keys must be unique")
        for service, minutes in self.service_minutes.items():
            if minutes <= 0:
                raise ValueError(f"service {service!r} needs a positive number of counter minutes")
        for intervals in self.special_hours.values():
            for opens, closes in intervals:
                if opens >= closes:
                    raise ValueError(f"an interval must open before it closes: {opens}–{closes}")


@dataclass(frozen=True)
class Booking:
    """An existing appointment (or a hold) that occupies one counter of ``group``."""

    start: datetime
    minutes: int
    group: str

    def __post_init__(self) -> None:
        if self.start.utcoffset() is None:
            raise ValueError("a booking needs a timezone-aware start")
        if self.minutes <= 0:
            raise ValueError("a booking lasts at least one minute")


@dataclass(frozen=True)
class Slot:
    """An available appointment: ``start``–``end`` (Europe/Berlin), bookable in any of ``groups``."""

    start: datetime
    end: datetime
    groups: tuple[str, ...]


@dataclass(frozen=True)
class CellCapacity:
    """One grid cell of one group on a staff day view."""

    start: datetime
    end: datetime
    group: str
    counters: int
    bookable: int
    booked: int

    @property
    def remaining(self) -> int:
        """Appointments that still fit in this cell; negative when the cell is overbooked."""
        return self.bookable - self.booked


@dataclass(frozen=True)
class EarliestDay:
    """The earliest day with a free start across several offices.

    ``office`` and ``start`` are the earliest start on that day; ``offices`` lists every office with a
    free start that day, ordered by its first start.
    """

    day: date
    office: str
    start: datetime
    offices: tuple[str, ...]


def bookable_counters(counters: int, walk_in_percent: int) -> int:
    """Counters of a group open to appointments after keeping the walk-in share free."""
    return max(0, counters * (100 - walk_in_percent) // 100)


def appointment_minutes(office: OfficeCapacity, services: Iterable[str]) -> int:
    """Counter minutes of one appointment for ``services``: their sum, rounded up to the grid.

    Raises ``ValueError`` when no service is given or the office has no counter time for one of them.
    """
    wanted = frozenset(services)
    if not wanted:
        raise ValueError("an appointment needs at least one service")
    unknown = sorted(wanted - office.service_minutes.keys())
    if unknown:
        raise ValueError(f"office {office.key!r} has no counter time for {', '.join(unknown)}")
    total = sum(office.service_minutes[service] for service in wanted)
    return math.ceil(total / office.grid_minutes) * office.grid_minutes


def eligible_groups(office: OfficeCapacity, services: Iterable[str]) -> tuple[ServiceGroup, ...]:
    """The groups whose counters can serve all of ``services`` in one appointment, in office order."""
    wanted = frozenset(services)
    return tuple(group for group in office.groups if wanted <= group.services)


def opening_intervals(office: OfficeCapacity, day: date) -> tuple[tuple[datetime, datetime], ...]:
    """The office's opening intervals on ``day`` as Europe/Berlin datetimes; empty when closed."""
    return tuple((_from_timestamp(start), _from_timestamp(end)) for start, end in _interval_timestamps(office, day))


def booking_days(office: OfficeCapacity, now: datetime) -> tuple[date, date]:
    """The first and last day citizens may book at ``now`` (both inclusive)."""
    today = _aware(now, "now").astimezone(BERLIN).date()
    return today + timedelta(days=office.window.first_day_offset), today + timedelta(days=7 * office.window.weeks)


def available_starts(
    office: OfficeCapacity, day: date, services: Iterable[str], bookings: Sequence[Booking], *, now: datetime
) -> tuple[Slot, ...]:
    """The free appointment starts for ``services`` on ``day``, earliest first.

    Empty when the day is outside the booking window, the office is closed, or it does not offer all
    of the services in one group. ``bookings`` may include other days and offices' groups: only
    bookings of this office's groups that overlap the day count.
    """
    return _available_starts(office, day, frozenset(services), _BookingIndex(bookings), now=now)


def bookable_days(
    office: OfficeCapacity, services: Iterable[str], bookings: Sequence[Booking], *, now: datetime
) -> tuple[date, ...]:
    """The days of the booking window with at least one free start for ``services``."""
    wanted = frozenset(services)
    index = _BookingIndex(bookings)
    first, last = booking_days(office, now)
    return tuple(day for day in _days(first, last) if _available_starts(office, day, wanted, index, now=now))


def earliest_available_day(
    offices: Sequence[OfficeCapacity],
    services: Iterable[str],
    bookings: Mapping[str, Sequence[Booking]],
    *,
    now: datetime,
) -> EarliestDay | None:
    """The earliest day on which any of ``offices`` has a free start for ``services`` ("earliest in the
    whole Kreis"). ``bookings`` maps an office key to its bookings; offices that do not offer the
    services are skipped. ``None`` when no office has a free start within its booking window.
    """
    wanted = frozenset(services)
    candidates = [
        (office, _BookingIndex(bookings.get(office.key, ())), booking_days(office, now))
        for office in offices
        if wanted and wanted <= office.service_minutes.keys() and eligible_groups(office, wanted)
    ]
    if not candidates:
        return None
    first = min(window[0] for _, _, window in candidates)
    last = max(window[1] for _, _, window in candidates)
    for day in _days(first, last):
        found: list[tuple[float, str, datetime]] = []
        for office, index, (office_first, office_last) in candidates:
            if office_first <= day <= office_last:
                slots = _available_starts(office, day, wanted, index, now=now)
                if slots:
                    found.append((slots[0].start.timestamp(), office.key, slots[0].start))
        if found:
            found.sort()
            return EarliestDay(
                day=day, office=found[0][1], start=found[0][2], offices=tuple(key for _, key, _ in found)
            )
    return None


def day_capacity(office: OfficeCapacity, day: date, bookings: Sequence[Booking]) -> tuple[CellCapacity, ...]:
    """Per grid cell and group: counters, bookable counters and booked count on ``day`` (staff day
    view; ignores the booking window). Ordered by group as in the office, then by time.
    """
    index = _BookingIndex(bookings)
    grid = office.grid_minutes * 60
    cells: list[CellCapacity] = []
    for group in office.groups:
        bookable = bookable_counters(group.counters, office.walk_in_percent)
        for start, end in _interval_timestamps(office, day):
            booked = _booked_cells(start, _cell_count(start, end, grid), grid, group.key, index)
            cells.extend(
                CellCapacity(
                    start=_from_timestamp(start + i * grid),
                    end=_from_timestamp(start + (i + 1) * grid),
                    group=group.key,
                    counters=group.counters,
                    bookable=bookable,
                    booked=count,
                )
                for i, count in enumerate(booked)
            )
    return tuple(cells)


class _BookingIndex:
    """Bookings as integer UTC seconds, sorted by start, to find those overlapping a span quickly."""

    def __init__(self, bookings: Iterable[Booking]) -> None:
        spans = sorted((int(b.start.timestamp()), int(b.start.timestamp()) + b.minutes * 60, b.group) for b in bookings)
        self._starts = [start for start, _, _ in spans]
        self._spans = spans
        self._longest = max((end - start for start, end, _ in spans), default=0)

    def overlapping(self, start: int, end: int) -> list[tuple[int, int, str]]:
        low = bisect.bisect_right(self._starts, start - self._longest)
        high = bisect.bisect_left(self._starts, end)
        return [span for span in self._spans[low:high] if span[1] > start]


def _available_starts(
    office: OfficeCapacity, day: date, wanted: frozenset[str], index: _BookingIndex, *, now: datetime
) -> tuple[Slot, ...]:
    first, last = booking_days(office, now)
    if not first <= day <= last or not wanted <= office.service_minutes.keys():
        return ()
    groups = eligible_groups(office, wanted)
    if not groups:
        return ()
    grid = office.grid_minutes * 60
    length = appointment_minutes(office, wanted) // office.grid_minutes
    not_before = now.timestamp()
    free: dict[int, list[str]] = {}
    for start, end in _interval_timestamps(office, day):
        cells = _cell_count(start, end, grid)
        for group in groups:
            bookable = bookable_counters(group.counters, office.walk_in_percent)
            if bookable == 0:
                continue
            booked = _booked_cells(start, cells, grid, group.key, index)
            # run[i]: how many consecutive cells from i on still have room.
            run = [0] * (cells + 1)
            for i in range(cells - 1, -1, -1):
                run[i] = run[i + 1] + 1 if booked[i] < bookable else 0
            for i in range(cells - length + 1):
                if run[i] >= length and start + i * grid > not_before:
                    free.setdefault(start + i * grid, []).append(group.key)
    return tuple(
        Slot(start=_from_timestamp(ts), end=_from_timestamp(ts + length * grid), groups=tuple(keys))
        for ts, keys in sorted(free.items())
    )


def _booked_cells(start: int, cells: int, grid: int, group: str, index: _BookingIndex) -> list[int]:
    """How many bookings of ``group`` overlap each of the ``cells`` grid cells from ``start``."""
    booked = [0] * cells
    for booking_start, booking_end, booking_group in index.overlapping(start, start + cells * grid):
        if booking_group != group:
            continue
        first = max(0, (booking_start - start) // grid)
        last = min(cells, -((start - booking_end) // grid))  # ceil((booking_end - start) / grid)
        for i in range(first, last):
            booked[i] += 1
    return booked


def _interval_timestamps(office: OfficeCapacity, day: date) -> list[tuple[int, int]]:
    """The day's opening intervals as UTC seconds, merged when they touch or overlap."""
    if day in office.closed:
        return []
    if day in office.special_hours:
        wall = list(office.special_hours[day])
    else:
        wall = [(interval.opens, interval.closes) for interval in office.hours if interval.weekday == day.weekday()]
    spans = sorted(
        (int(datetime.combine(day, opens, BERLIN).timestamp()), int(datetime.combine(day, closes, BERLIN).timestamp()))
        for opens, closes in wall
    )
    merged: list[tuple[int, int]] = []
    for start, end in spans:
        if end <= start:
            continue
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], end))
        else:
            merged.append((start, end))
    return merged


def _cell_count(start: int, end: int, grid: int) -> int:
    return (end - start) // grid


def _days(first: date, last: date) -> Iterable[date]:
    day = first
    while day <= last:
        yield day
        day += timedelta(days=1)


def _from_timestamp(seconds: int) -> datetime:
    return datetime.fromtimestamp(seconds, BERLIN)


def _aware(moment: datetime, name: str) -> datetime:
    if moment.utcoffset() is None:
        raise ValueError(f"{name} must be timezone-aware")
    return moment
