""" "Best time to come": the coming week's expected wait and busyness per weekday and hour, and a recommendation.

Read from the nightly ``ForecastSlot`` rows (one query). The grid has a row per weekday (Monday to Friday,
Saturday and Sunday only if the office opens then), each the next such day from today, and a column per hour the
office opens in the week. The "now" marker is today's row and the current hour, named with the live number of
people waiting.

The recommendation is the quietest stretch of the rest of today (hours with at least half an hour left), or of the
next open day if today is closed or over: the hour with the least expected wait, widened to neighbouring hours
that are at most a minute worse (up to three hours).

``grid``, ``quietest`` and ``recommendation_text`` are pure; ``best_time`` reads.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext, ngettext, pgettext

from buergerbuero.analytics.charts import Chart, heatmap
from buergerbuero.analytics.models import ForecastSlot
from buergerbuero.core.tenancy import scopes_disabled
from buergerbuero.tenants.models import Office

__all__ = [
    "BestTime",
    "HourCell",
    "Recommendation",
    "WeekGrid",
    "best_time",
    "grid",
    "quietest",
    "recommendation_text",
]

LOOKAHEAD_DAYS = 14
MIN_MINUTES_LEFT = 30
TOLERANCE_MIN = 1.0
MAX_RANGE_HOURS = 3


@dataclass(frozen=True)
class HourCell:
    day: date
    hour: int
    arrivals: float
    wait_min: float


@dataclass(frozen=True)
class Recommendation:
    day: date
    start_hour: int
    end_hour: int  # exclusive: 14–15 Uhr is start 14, end 15
    wait_min: float
    is_today: bool


@dataclass(frozen=True)
class WeekGrid:
    days: list[date]  # one per row
    hours: list[int]  # one per column
    waits: list[list[float | None]]
    arrivals: list[list[float | None]]


@dataclass(frozen=True)
class BestTime:
    has_forecast: bool
    wait_chart: Chart | None
    busy_chart: Chart | None
    recommendation: Recommendation | None
    recommendation_text: str
    computed_at: datetime | None


def grid(cells: Sequence[HourCell], *, today: date) -> WeekGrid:
    """The week from ``today`` as weekday rows (Monday first) × the hours any of its days opens."""
    week = [today + timedelta(days=offset) for offset in range(7)]
    by_key = {(cell.day, cell.hour): cell for cell in cells if today <= cell.day < today + timedelta(days=7)}
    days = sorted((day for day in week if day.weekday() < 5 or any(key[0] == day for key in by_key)), key=date.weekday)
    hours = sorted({hour for _, hour in by_key})

    def row(day: date, attribute: str) -> list[float | None]:
        values: list[float | None] = []
        for hour in hours:
            cell = by_key.get((day, hour))
            values.append(None if cell is None else round(float(getattr(cell, attribute))))
        return values

    return WeekGrid(
        days=days,
        hours=hours,
        waits=[row(day, "wait_min") for day in days],
        arrivals=[row(day, "arrivals") for day in days],
    )


def quietest(cells: Sequence[HourCell], *, now: datetime) -> Recommendation | None:
    """The quietest stretch still ahead today, else on the next day with forecast hours; ``now`` in local time."""
    today = now.date()
    minutes_now = now.hour * 60 + now.minute
    ahead_today = [
        cell for cell in cells if cell.day == today and (cell.hour + 1) * 60 - minutes_now >= MIN_MINUTES_LEFT
    ]
    candidates = ahead_today
    if not candidates:
        later = sorted({cell.day for cell in cells if cell.day > today})
        if not later:
            return None
        candidates = [cell for cell in cells if cell.day == later[0]]
    candidates = sorted(candidates, key=lambda cell: cell.hour)
    best = min(candidates, key=lambda cell: (cell.wait_min, cell.hour))
    by_hour = {cell.hour: cell for cell in candidates}
    start = end = best.hour
    while end - start + 1 < MAX_RANGE_HOURS:
        after, before = by_hour.get(end + 1), by_hour.get(start - 1)
        if after is not None and after.wait_min <= best.wait_min + TOLERANCE_MIN:
            end += 1
        elif before is not None and before.wait_min <= best.wait_min + TOLERANCE_MIN:
            start -= 1
        else:
            break
    waits = [by_hour[hour].wait_min for hour in range(start, end + 1)]
    return Recommendation(
        day=best.day,
        start_hour=start,
        end_hour=end + 1,
        wait_min=max(waits),
        is_today=best.day == today,
    )


def _about_minutes(wait: float) -> int:
    """Whole minutes, from ten minutes on to the nearest five: a forecast is not more precise than that."""
    minutes = max(1, round(wait))
    return minutes if minutes < 10 else int(5 * round(minutes / 5))


def recommendation_text(recommendation: Recommendation | None) -> str:
    """ "Quietest today: 14:00–15:00, about 10 min wait" (German: "Am ruhigsten heute: 14–15 Uhr, …")."""
    if recommendation is None:
        return ""
    values = {
        "start": recommendation.start_hour,
        "end": recommendation.end_hour,
        "minutes": _about_minutes(recommendation.wait_min),
    }
    if recommendation.is_today:
        return gettext("Quietest today: %(start)s:00–%(end)s:00, about %(minutes)s min wait") % values
    day = f"{date_format(recommendation.day, 'l')}, {date_format(recommendation.day, 'SHORT_DATE_FORMAT')}"
    return gettext("Quietest on %(day)s: %(start)s:00–%(end)s:00, about %(minutes)s min wait") % {**values, "day": day}


def _marker(week: WeekGrid, now: datetime) -> tuple[int, int] | None:
    today = now.date()
    if today not in week.days or now.hour not in week.hours:
        return None
    row, column = week.days.index(today), week.hours.index(now.hour)
    return (row, column) if week.waits[row][column] is not None else None


def _marker_label(waiting: int | None) -> str:
    if waiting is None:
        return pgettext("chart marker", "now")
    return ngettext("now: %(count)d person waiting", "now: %(count)d people waiting", waiting) % {"count": waiting}


def charts_for(week: WeekGrid, *, now: datetime, waiting: int | None = None) -> tuple[Chart, Chart]:
    """The wait and the busyness heat maps of a week grid, both with the "now" marker."""
    rows = [date_format(day, "D") for day in week.days]
    columns = [f"{hour}:00" for hour in week.hours]
    marker = _marker(week, now)
    label = _marker_label(waiting)
    row_label = pgettext("chart table", "Weekday")
    wait_chart = heatmap(
        title=gettext("Expected wait per hour this week"),
        rows=rows,
        columns=columns,
        values=week.waits,
        unit=pgettext("unit", "min"),
        marker=marker,
        marker_label=label,
        row_label=row_label,
    )
    busy_chart = heatmap(
        title=gettext("Expected arrivals per hour this week"),
        rows=rows,
        columns=columns,
        values=week.arrivals,
        marker=marker,
        marker_label=label,
        row_label=row_label,
    )
    return wait_chart, busy_chart


def best_time(office: Office, *, now: datetime | None = None, waiting: int | None = None) -> BestTime:
    """The office's "best time to come" from its forecast (one query); ``waiting`` is the live queue length."""
    now = timezone.localtime(now or timezone.now())
    today = now.date()
    with scopes_disabled():
        rows = list(
            ForecastSlot.objects.filter(
                office=office, date__range=(today, today + timedelta(days=LOOKAHEAD_DAYS - 1))
            ).values_list("date", "hour", "expected_arrivals", "expected_wait_min", "computed_at")
        )
    if not rows:
        return BestTime(
            has_forecast=False,
            wait_chart=None,
            busy_chart=None,
            recommendation=None,
            recommendation_text="",
            computed_at=None,
        )
    cells = [HourCell(day=day, hour=hour, arrivals=arrivals, wait_min=wait) for day, hour, arrivals, wait, _ in rows]
    wait_chart, busy_chart = charts_for(grid(cells, today=today), now=now, waiting=waiting)
    recommendation = quietest(cells, now=now)
    return BestTime(
        has_forecast=True,
        wait_chart=wait_chart,
        busy_chart=busy_chart,
        recommendation=recommendation,
        recommendation_text=recommendation_text(recommendation),
        computed_at=max(row[4] for row in rows),
    )
