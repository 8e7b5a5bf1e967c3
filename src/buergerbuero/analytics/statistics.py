"""The arithmetic of statistics: medians, percentiles, small-count suppression and periods. Pure: no ORM.

* ``percentile(values, p)`` is the linear interpolation between closest ranks ("type 7" of Hyndman &
  Fan, the default of R, NumPy and Excel's PERCENTILE.INC): sort the values, take the rank
  ``h = (n − 1) · p / 100`` and interpolate between the values at ``floor(h)`` and ``ceil(h)``. So
  ``percentile(v, 50) == median(v)``, ``percentile(v, 0) == min(v)`` and ``percentile(v, 100) == max(v)``.
* ``suppress(count, min_count)`` hides counts from 1 to ``min_count − 1`` as ``"<min_count"``; zero is
  shown (it discloses nobody) and so is every count from ``min_count`` on.
* The one rule for derived figures (``suppress_derived``): a figure computed from counts is published
  only if each of those counts could be published itself, else it reads ``"n<min_count"``. A median or
  90th percentile depends on the number of values (``suppress_measure``); a share ``part / whole``
  depends on both groups it splits the whole into, ``part`` and ``whole − part`` (``suppress_share``):
  3 online and 2 on-site applications would otherwise show as 60 % of 5 and reveal both.
  ``published(row, attribute, min_count)`` applies the right rule to any ``StatsRow`` figure; the CSV
  and XLSX downloads and the open data use it, nothing else decides.
* ``Period`` is one day, ISO week or calendar month with its first day, its end (exclusive) and a
  label as people write it ("17.11.2026", "KW 47/2026", "November 2026").
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from enum import StrEnum

from django.utils import formats
from django.utils.translation import gettext as _
from django.utils.translation import pgettext

__all__ = [
    "Granularity",
    "Period",
    "ServiceShareRow",
    "StatsRow",
    "median",
    "percentile",
    "period_of",
    "periods_between",
    "published",
    "rate",
    "suppress",
    "suppress_derived",
    "suppress_measure",
    "suppress_share",
]


def percentile(values: Iterable[float], p: float) -> float | None:
    """The ``p``-th percentile (0–100) of ``values`` by linear interpolation between closest ranks; ``None``
    for no values."""
    if not 0 <= p <= 100 or math.isnan(p):
        raise ValueError(f"a percentile lies between 0 and 100, got {p!r}")
    ordered = sorted(values)
    if not ordered:
        return None
    rank = (len(ordered) - 1) * p / 100
    low = math.floor(rank)
    high = math.ceil(rank)
    if low == high:
        return float(ordered[low])
    fraction = rank - low
    return float(ordered[low] + (ordered[high] - ordered[low]) * fraction)


def median(values: Iterable[float]) -> float | None:
    """The middle value (the mean of the two middle ones for an even count); ``None`` for no values."""
    return percentile(values, 50)


def suppress(count: int, min_count: int) -> int | str:
    """``count`` if it may be published, else ``"<min_count"`` (for 1 … min_count − 1)."""
    if count < 0:
        raise ValueError("a count is never negative")
    if 0 < count < min_count:
        return f"<{min_count}"
    return count


def _disclosable(count: int, min_count: int) -> bool:
    return not isinstance(suppress(count, min_count), str)


def suppress_derived(value: float | None, counts: Iterable[int], min_count: int) -> float | str | None:
    """``value`` if every count it is computed from may be published, else ``"n<min_count"``.

    ``None`` (nothing to compute from) stays ``None``."""
    if not all(_disclosable(count, min_count) for count in counts):
        return f"n<{min_count}"
    return value


def suppress_measure(value: float | None, count: int, min_count: int) -> float | str | None:
    """A median, percentile or mean of ``count`` values: ``"n<min_count"`` for 1 … min_count − 1 values."""
    return suppress_derived(value, (count,), min_count)


def suppress_share(value: float | None, part: int, whole: int, min_count: int) -> float | str | None:
    """The share ``part / whole`` (as ``value``, in any unit): ``"n<min_count"`` if ``part`` or ``whole − part``
    is a count that would be suppressed (the share and one published count would give it away)."""
    if not 0 <= part <= whole:
        raise ValueError(f"a share's part lies between 0 and the whole, got {part} of {whole}")
    return suppress_derived(value, (part, whole - part), min_count)


def rate(numerator: int, denominator: int) -> float | None:
    """``numerator / denominator``, ``None`` when there is nothing to divide by."""
    return numerator / denominator if denominator else None


class Granularity(StrEnum):
    DAY = "day"
    WEEK = "week"
    MONTH = "month"

    @property
    def label(self) -> str:
        return {
            Granularity.DAY: pgettext("statistics period", "by day"),
            Granularity.WEEK: pgettext("statistics period", "by week"),
            Granularity.MONTH: pgettext("statistics period", "by month"),
        }[self]


@dataclass(frozen=True, order=True)
class Period:
    """One bucket of statistics: ``start`` ≤ day < ``end``."""

    start: dt.date
    end: dt.date
    granularity: Granularity = field(compare=False)

    @property
    def key(self) -> str:
        """A stable machine key: ``2026-11-17``, ``2026-W47``, ``2026-11``."""
        if self.granularity is Granularity.DAY:
            return self.start.isoformat()
        if self.granularity is Granularity.WEEK:
            year, week, _weekday = self.start.isocalendar()
            return f"{year}-W{week:02d}"
        return f"{self.start:%Y-%m}"

    @property
    def label(self) -> str:
        """As people write it, in the active language: "17.11.2026", "KW 47/2026", "November 2026"."""
        if self.granularity is Granularity.DAY:
            return formats.date_format(self.start, "SHORT_DATE_FORMAT")
        if self.granularity is Granularity.WEEK:
            year, week, _weekday = self.start.isocalendar()
            return _("KW %(week)d/%(year)d") % {"week": week, "year": year}
        return formats.date_format(self.start, "YEAR_MONTH_FORMAT")

    @property
    def last_day(self) -> dt.date:
        return self.end - dt.timedelta(days=1)


def period_of(day: dt.date, granularity: Granularity) -> Period:
    """The period of ``granularity`` that contains ``day``."""
    if granularity is Granularity.DAY:
        return Period(day, day + dt.timedelta(days=1), granularity)
    if granularity is Granularity.WEEK:
        start = day - dt.timedelta(days=day.weekday())
        return Period(start, start + dt.timedelta(days=7), granularity)
    start = day.replace(day=1)
    end = (start + dt.timedelta(days=32)).replace(day=1)
    return Period(start, end, granularity)


def periods_between(first: dt.date, last: dt.date, granularity: Granularity) -> list[Period]:
    """Every period from the one containing ``first`` to the one containing ``last`` (inclusive), in order."""
    if last < first:
        return []
    periods = [period_of(first, granularity)]
    while periods[-1].end <= last:
        periods.append(period_of(periods[-1].end, granularity))
    return periods


@dataclass
class StatsRow:
    """The figures of one period (or of the whole range, for the total row). ``None``: nothing to compute from.

    Times are minutes (queue) and days (applications); counts are exact, suppression happens on export.
    """

    period: Period | None
    label: str
    visitors: int = 0  # tickets that came into the office (checked in / queued)
    served: int = 0  # tickets whose service ended
    walk_ins: int = 0  # visitors without an appointment (ticket machine, app, staff)
    with_appointment: int = 0  # visitors who checked in for an appointment
    wait_count: int = 0  # tickets with a measured wait
    wait_median: float | None = None
    wait_p90: float | None = None
    service_count: int = 0  # tickets with a measured service time
    service_median: float | None = None
    service_p90: float | None = None
    appointments_due: int = 0
    no_shows: int = 0
    no_show_rate: float | None = None  # 0…1
    counters: int = 0  # counters that served at least one ticket
    tickets_per_counter: float | None = None
    cases_submitted: int = 0
    cases_decided: int = 0
    processing_median_days: float | None = None
    processing_p90_days: float | None = None
    backlog: int = 0  # open cases at the end of the period
    overdue: int = 0  # of those, past their deadline at the end of the period


@dataclass
class ServiceShareRow:
    """Online applications and on-site visits of one service over the whole range."""

    service_id: int
    name: str
    online: int
    on_site: int

    @property
    def total(self) -> int:
        return self.online + self.on_site

    @property
    def online_share(self) -> float | None:
        return rate(self.online, self.total)

    def published_share(self, min_count: int) -> float | str | None:
        """The online share as it may be published (``suppress_share``)."""
        return suppress_share(self.online_share, self.online, self.total, min_count)


#: The figures of a ``StatsRow`` computed from others: each maps to the counts that decide whether it may be
#: published. Every other attribute is a count.
_MEASURE_BASIS: dict[str, str] = {
    "wait_median": "wait_count",
    "wait_p90": "wait_count",
    "service_median": "service_count",
    "service_p90": "service_count",
    "tickets_per_counter": "served",
    "processing_median_days": "cases_decided",
    "processing_p90_days": "cases_decided",
}
_SHARE_BASIS: dict[str, tuple[str, str]] = {"no_show_rate": ("no_shows", "appointments_due")}


def published(row: StatsRow, attribute: str, min_count: int) -> int | float | str | None:
    """The figure ``attribute`` of ``row`` as it may be published: a count through ``suppress``, a measure
    through ``suppress_measure``, a share through ``suppress_share``. ``None``: nothing to compute from."""
    value: int | float | None = getattr(row, attribute)
    if attribute in _MEASURE_BASIS:
        return suppress_measure(value, getattr(row, _MEASURE_BASIS[attribute]), min_count)
    if attribute in _SHARE_BASIS:
        part, whole = (getattr(row, name) for name in _SHARE_BASIS[attribute])
        return suppress_share(value, part, whole, min_count)
    if not isinstance(value, int):
        raise ValueError(f"{attribute} is not a count, a measure or a share of a StatsRow")
    return suppress(value, min_count)


def summarise(values: Sequence[float]) -> tuple[int, float | None, float | None]:
    """``(count, median, p90)`` of ``values``."""
    return len(values), median(values), percentile(values, 90)
