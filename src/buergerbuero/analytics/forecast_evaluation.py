"""Rolling-origin evaluation of a waiting-time forecaster against the seasonal naive forecast.

Protocol: for every ISO week of the chosen year that has observations, the forecaster sees
only the rows dated before that week's Monday and forecasts the week's observed hours. The
seasonal naive forecast of an hour is the value of the same weekday and hour one week
earlier. Hours without a naive value (first week after a gap, a missing row) are left out
of BOTH mean absolute errors, so model and naive are compared on exactly the same hours; how
many were left out is reported.

Pure: no files, no database.
"""

from __future__ import annotations

import bisect
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import timedelta

from buergerbuero.analytics.forecasting import HourlyValue, Slot, forecast, monday_of

Forecaster = Callable[[Sequence[HourlyValue], Sequence[Slot]], list[HourlyValue]]
WEEKDAY_NAMES = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")


@dataclass(frozen=True)
class ErrorSummary:
    """Mean absolute errors (minutes) of model and naive forecast on the same hours."""

    model_mae: float
    naive_mae: float
    hours: int

    @property
    def mae_ratio(self) -> float:
        return self.model_mae / self.naive_mae if self.naive_mae else float("nan")


@dataclass(frozen=True)
class Evaluation:
    year: int
    weeks: int
    overall: ErrorSummary
    by_weekday: dict[str, ErrorSummary]
    excluded_hours: int


@dataclass(frozen=True)
class _ScoredHour:
    weekday: int
    model_error: float
    naive_error: float


def evaluate_rolling_origin(
    history: Sequence[HourlyValue], *, year: int, forecaster: Forecaster = forecast
) -> Evaluation:
    """Forecast each ISO week of ``year`` one week ahead from the rows before it; compare to naive."""
    rows = sorted(history, key=lambda row: (row.day, row.hour))
    row_days = [row.day for row in rows]
    by_slot = {(row.day, row.hour): row.value for row in rows}
    origins = sorted({monday_of(row.day) for row in rows if row.day.isocalendar().year == year})
    scored: list[_ScoredHour] = []
    excluded = 0
    for origin in origins:
        known = rows[: bisect.bisect_left(row_days, origin)]
        target = rows[bisect.bisect_left(row_days, origin) : bisect.bisect_left(row_days, origin + timedelta(weeks=1))]
        if not known:
            excluded += len(target)
            continue
        predictions = forecaster(known, [Slot(day=row.day, hour=row.hour) for row in target])
        for row, predicted in zip(target, predictions, strict=True):
            naive = by_slot.get((row.day - timedelta(weeks=1), row.hour))
            if naive is None:
                excluded += 1
                continue
            scored.append(_ScoredHour(row.day.weekday(), abs(predicted.value - row.value), abs(naive - row.value)))
    by_weekday = {
        WEEKDAY_NAMES[weekday]: _summarise([hour for hour in scored if hour.weekday == weekday])
        for weekday in sorted({hour.weekday for hour in scored})
    }
    return Evaluation(
        year=year, weeks=len(origins), overall=_summarise(scored), by_weekday=by_weekday, excluded_hours=excluded
    )


def _summarise(hours: Sequence[_ScoredHour]) -> ErrorSummary:
    if not hours:
        return ErrorSummary(model_mae=float("nan"), naive_mae=float("nan"), hours=0)
    return ErrorSummary(
        model_mae=sum(hour.model_error for hour in hours) / len(hours),
        naive_mae=sum(hour.naive_error for hour in hours) / len(hours),
        hours=len(hours),
    )
