"""An office's hourly history, built from its tickets, in the rows the forecasting model takes.

Two series per open hour (``forecasting.HourlyValue``, local time):

* **arrivals** — tickets that arrived in the office in that hour (``arrived_at``, else ``queued_at``), every
  source: walk-ins, remote tickets that checked in and appointment check-ins all make the office busy. An open
  hour without arrivals counts as 0.
* **waits** — the average wait in minutes (``called_at`` − ``queued_at``, else − ``arrived_at``) of the tickets
  *called* in that hour, without appointment check-ins (they are called by their appointment time, so their
  wait says nothing about when to walk in). An hour in which nobody was called has no wait row: the model
  treats it as unknown rather than as "no wait".

Only the office's open hours count (``queueing.selectors.opening_days``: its opening hours, without the Land's
public holidays and its own closing days); tickets outside them are ignored.

:func:`hourly_history` is pure; :func:`office_history` reads the tickets (one query) and the opening days.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, tzinfo

import numpy as np
from django.utils import timezone

from buergerbuero.analytics.forecasting import HourlyValue, Slot, forecast, monday_of
from buergerbuero.analytics.office_calendar import OfficeCalendar
from buergerbuero.core.tenancy import scopes_disabled
from buergerbuero.queueing.constants import TicketSource
from buergerbuero.queueing.models import Ticket
from buergerbuero.queueing.selectors import opening_days
from buergerbuero.tenants.models import Office

__all__ = [
    "MIN_DAYS_WITH_WAITS",
    "HourForecast",
    "OfficeHistory",
    "TicketTimes",
    "forecast_hours",
    "hourly_history",
    "office_history",
    "open_hours",
    "profile_average",
]

#: Fewer observed days than this and an office gets no forecast (the page says so) rather than a guess.
MIN_DAYS_WITH_WAITS = 10

Opening = Mapping[date, list[tuple[datetime, datetime]]]


@dataclass(frozen=True)
class TicketTimes:
    """The moments of one ticket that the history needs (aware datetimes)."""

    source: str
    arrived_at: datetime | None
    queued_at: datetime | None
    called_at: datetime | None


@dataclass(frozen=True)
class OfficeHistory:
    arrivals: list[HourlyValue]
    waits: list[HourlyValue]

    @property
    def days_with_waits(self) -> int:
        return len({row.day for row in self.waits})


@dataclass(frozen=True)
class HourForecast:
    day: date
    hour: int
    arrivals: float
    wait_min: float


def open_hours(opening: Opening) -> dict[date, list[int]]:
    """The hours (0–23) of each open day that overlap an opening interval: 08:00–12:30 is 8, 9, 10, 11, 12."""
    result: dict[date, list[int]] = {}
    for day, intervals in opening.items():
        hours: set[int] = set()
        for start, end in intervals:
            tz = start.tzinfo
            for hour in range(24):
                hour_start = datetime.combine(day, time(hour), tzinfo=tz)
                if start < hour_start + timedelta(hours=1) and end > hour_start:
                    hours.add(hour)
        if hours:
            result[day] = sorted(hours)
    return result


def hourly_history(tickets: Iterable[TicketTimes], opening: Opening, *, tz: tzinfo) -> OfficeHistory:
    """Arrivals and average waits per open hour; ``tz`` is the office's local time zone."""
    hours = open_hours(opening)
    arrivals: dict[tuple[date, int], int] = defaultdict(int)
    waits: dict[tuple[date, int], list[float]] = defaultdict(list)
    for ticket in tickets:
        arrived = ticket.arrived_at or ticket.queued_at
        if arrived is not None:
            local = arrived.astimezone(tz)
            arrivals[(local.date(), local.hour)] += 1
        start = ticket.queued_at or ticket.arrived_at
        if ticket.called_at is None or start is None or ticket.source == TicketSource.APPOINTMENT:
            continue
        called = ticket.called_at.astimezone(tz)
        minutes = max(0.0, (ticket.called_at - start).total_seconds() / 60)
        waits[(called.date(), called.hour)].append(minutes)
    arrival_rows = [
        HourlyValue(day=day, hour=hour, value=float(arrivals.get((day, hour), 0)))
        for day in sorted(hours)
        for hour in hours[day]
    ]
    wait_rows = [
        HourlyValue(day=day, hour=hour, value=sum(values) / len(values))
        for day in sorted(hours)
        for hour in hours[day]
        if (values := waits.get((day, hour)))
    ]
    return OfficeHistory(arrivals=arrival_rows, waits=wait_rows)


def office_history(office: Office, *, first: date, last: date) -> OfficeHistory:
    """The office's history from ``first`` to ``last`` (inclusive), starting at its first ticket."""
    with scopes_disabled():
        rows = (
            Ticket.objects.filter(office=office, day__range=(first, last))
            .order_by()
            .values_list("source", "arrived_at", "queued_at", "called_at")
        )
        tickets = [TicketTimes(*row) for row in rows]
    if not tickets:
        return OfficeHistory(arrivals=[], waits=[])
    tz = timezone.get_current_timezone()
    earliest = min(
        (moment.astimezone(tz).date() for t in tickets for moment in (t.arrived_at, t.queued_at) if moment),
        default=first,
    )
    return hourly_history(tickets, opening_days(office, max(first, earliest), last), tz=tz)


def forecast_hours(
    history: OfficeHistory, hours: Mapping[date, Iterable[int]], *, calendar: OfficeCalendar
) -> list[HourForecast]:
    """The model's expected wait and arrivals for every given open hour; empty without enough history.

    The forecasting model fits whole ISO weeks before the week of the first forecast day, so rows from that week
    on are left out of the fit (at most six days of the newest history). Arrivals are forecast by the same model
    as waits (a level × weekday/hour profile × calendar effects on the log scale), fitted on the arrival counts.
    A series the model cannot fit (e.g. the same count in every hour: nothing to learn, a singular system) is
    forecast by its weekday × hour average of the last eight weeks instead.
    """
    slots = [Slot(day=day, hour=hour) for day in sorted(hours) for hour in sorted(hours[day])]
    if not slots:
        return []
    origin = monday_of(slots[0].day)
    waits = [row for row in history.waits if row.day < origin]
    arrivals = [row for row in history.arrivals if row.day < origin]
    if len({row.day for row in waits}) < MIN_DAYS_WITH_WAITS or not arrivals:
        return []
    expected_waits = _forecast_or_average(waits, slots, calendar)
    expected_arrivals = _forecast_or_average(arrivals, slots, calendar)
    return [
        HourForecast(day=slot.day, hour=slot.hour, arrivals=max(0.0, arrival.value), wait_min=max(0.0, wait.value))
        for slot, wait, arrival in zip(slots, expected_waits, expected_arrivals, strict=True)
    ]


def _forecast_or_average(history: list[HourlyValue], slots: list[Slot], calendar: OfficeCalendar) -> list[HourlyValue]:
    try:
        return forecast(history, slots, calendar=calendar)
    except (np.linalg.LinAlgError, ValueError):
        return profile_average(history, slots)


def profile_average(history: Sequence[HourlyValue], slots: Sequence[Slot], *, weeks: int = 8) -> list[HourlyValue]:
    """The mean of the same weekday and hour in the last ``weeks`` weeks (else of the hour, else of all)."""
    if not history:
        return [HourlyValue(day=slot.day, hour=slot.hour, value=0.0) for slot in slots]
    start = max(row.day for row in history) - timedelta(weeks=weeks)
    recent = [row for row in history if row.day > start]
    by_slot: dict[tuple[int, int], list[float]] = defaultdict(list)
    by_hour: dict[int, list[float]] = defaultdict(list)
    for row in recent:
        by_slot[(row.day.weekday(), row.hour)].append(row.value)
        by_hour[row.hour].append(row.value)
    overall = [row.value for row in recent]
    result = []
    for slot in slots:
        values = by_slot.get((slot.day.weekday(), slot.hour)) or by_hour.get(slot.hour) or overall
        result.append(HourlyValue(day=slot.day, hour=slot.hour, value=sum(values) / len(values)))
    return result
