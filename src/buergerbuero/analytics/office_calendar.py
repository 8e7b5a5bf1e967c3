"""The calendar facts a waiting-time forecast needs: closure days and day-level effects.

Public and school holidays come from the ``holidays`` package for one German Land
(``holidays.country_holidays("DE", subdiv=..., categories=("public", "school"))``).
Older releases of ``holidays`` have no school category; the calendar then simply has
no school holidays instead of failing.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, timedelta

import holidays

ONE_DAY = timedelta(days=1)

#: Names of the day-level calendar effects, in the order of :func:`day_features`.
FEATURE_NAMES: tuple[str, ...] = (
    "school_holiday",
    "first_day_after_closure",
    "day_before_holiday",
    "bridge_day",
    "month_start",
    "month_end",
)


@dataclass(frozen=True)
class OfficeCalendar:
    """Public holidays and school holidays of the office's Land."""

    public_holidays: frozenset[date]
    school_holidays: frozenset[date]


def calendar_for_land(subdivision: str, years: Iterable[int]) -> OfficeCalendar:
    """Build the calendar of a German Land (ISO 3166-2 suffix, e.g. ``"NW"``) for ``years``."""
    year_list = sorted(set(years))
    public = holidays.country_holidays("DE", subdiv=subdivision, years=year_list)
    school: frozenset[date] = frozenset()
    if "school" in getattr(public, "supported_categories", ()):
        school_days = holidays.country_holidays("DE", subdiv=subdivision, categories=("school",), years=year_list)
        school = frozenset(school_days.keys())
    return OfficeCalendar(public_holidays=frozenset(public.keys()), school_holidays=school)


def is_year_end(day: date) -> bool:
    """Christmas Eve to New Year's Day, when German citizen offices are usually closed."""
    return (day.month == 12 and day.day >= 24) or (day.month == 1 and day.day == 1)


def is_closure_day(calendar: OfficeCalendar, day: date) -> bool:
    """A day the office is expected to be closed: Sunday, public holiday or the turn of the year."""
    return day.weekday() == 6 or day in calendar.public_holidays or is_year_end(day)


def _last_day_of_month(day: date) -> date:
    next_month = day.replace(day=28) + timedelta(days=4)
    return next_month - timedelta(days=next_month.day)


def day_features(calendar: OfficeCalendar, day: date) -> tuple[float, ...]:
    """0/1 indicators of the day-level effects named in :data:`FEATURE_NAMES`.

    Closure days get all zeros: they are forecast separately.
    """
    if is_closure_day(calendar, day):
        return (0.0,) * len(FEATURE_NAMES)
    previous_day = day - ONE_DAY
    while previous_day.weekday() == 6:
        previous_day -= ONE_DAY
    next_day = day + ONE_DAY
    if next_day.weekday() == 6:
        next_day += ONE_DAY
    after_closure = previous_day in calendar.public_holidays or is_year_end(previous_day)
    bridge = (day.weekday() == 4 and day - ONE_DAY in calendar.public_holidays) or (
        day.weekday() == 0 and day + ONE_DAY in calendar.public_holidays
    )
    flags = (
        day in calendar.school_holidays,
        after_closure,
        next_day in calendar.public_holidays,
        bridge,
        day.day <= 3,
        (_last_day_of_month(day) - day).days < 3,
    )
    return tuple(float(flag) for flag in flags)
