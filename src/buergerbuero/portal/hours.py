"""Opening hours as citizens read them: "Mo 08:00–12:00, 13:00–16:00". Pure functions over plain data."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass

from django.utils.functional import Promise
from django.utils.translation import pgettext_lazy

from buergerbuero.tenants.constants import Weekday

__all__ = ["DayHours", "format_interval", "weekly_hours"]

SHORT_WEEKDAY_NAMES: dict[int, Promise] = {
    Weekday.MONDAY: pgettext_lazy("weekday abbreviation", "Mon"),
    Weekday.TUESDAY: pgettext_lazy("weekday abbreviation", "Tue"),
    Weekday.WEDNESDAY: pgettext_lazy("weekday abbreviation", "Wed"),
    Weekday.THURSDAY: pgettext_lazy("weekday abbreviation", "Thu"),
    Weekday.FRIDAY: pgettext_lazy("weekday abbreviation", "Fri"),
    Weekday.SATURDAY: pgettext_lazy("weekday abbreviation", "Sat"),
    Weekday.SUNDAY: pgettext_lazy("weekday abbreviation", "Sun"),
}

#: Working days are listed even when closed, so that "closed on Wednesday" is stated, not implied.
ALWAYS_LISTED = (Weekday.MONDAY, Weekday.TUESDAY, Weekday.WEDNESDAY, Weekday.THURSDAY, Weekday.FRIDAY)


@dataclass(frozen=True)
class DayHours:
    weekday: int
    short_name: str
    long_name: str
    intervals: tuple[str, ...]  #: "08:00–12:00", one per opening interval; empty when closed

    @property
    def is_open(self) -> bool:
        return bool(self.intervals)

    @property
    def text(self) -> str:
        return ", ".join(self.intervals)


def format_interval(opens: dt.time, closes: dt.time) -> str:
    return f"{opens:%H:%M}–{closes:%H:%M}"


def weekly_hours(intervals: Iterable[tuple[int, dt.time, dt.time]]) -> list[DayHours]:
    """One row per weekday (Monday first): every working day, and weekend days only when open.

    ``intervals`` are ``(weekday, opens, closes)``; a lunch break is simply two intervals on one day.
    """
    by_day: dict[int, list[tuple[dt.time, dt.time]]] = {}
    for weekday, opens, closes in intervals:
        by_day.setdefault(weekday, []).append((opens, closes))
    days = []
    for weekday in Weekday:
        day_intervals = sorted(by_day.get(weekday.value, []))
        if not day_intervals and weekday not in ALWAYS_LISTED:
            continue
        days.append(
            DayHours(
                weekday=weekday.value,
                short_name=str(SHORT_WEEKDAY_NAMES[weekday]),
                long_name=str(weekday.label),
                intervals=tuple(format_interval(o, c) for o, c in day_intervals),
            )
        )
    return days
