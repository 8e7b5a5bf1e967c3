"""Synthetic office histories with a known weekly profile, for the forecasting tests."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, timedelta

import numpy as np

from buergerbuero.analytics.forecasting import HourlyValue

OPENING_HOURS: dict[int, tuple[int, ...]] = {
    0: (8, 9, 10, 11, 12),
    1: (8, 9, 10, 11, 12),
    2: (8, 9, 10, 11, 12),
    3: (8, 9, 10, 11, 12, 13, 14, 15, 16, 17),
    4: (8, 9, 10, 11),
}
FIRST_MONDAY = date(2029, 1, 8)  # ISO week 2: no New Year's Day in the history


def true_wait(day: date, hour: int) -> float:
    """A known profile: busier towards noon, Mondays and Thursday afternoons."""
    weekday_factor = {0: 1.6, 1: 1.0, 2: 0.8, 3: 1.3, 4: 0.7}[day.weekday()]
    return weekday_factor * (10.0 + 6.0 * (hour - 8) if hour <= 12 else 20.0 + 4.0 * (hour - 12))


def synthetic_history(
    weeks: int,
    *,
    noise: float = 0.25,
    seed: int = 7,
    first_monday: date = FIRST_MONDAY,
    wait: Callable[[date, int], float] = true_wait,
) -> list[HourlyValue]:
    """``weeks`` weeks of the known profile with multiplicative log-normal noise, floored at 2."""
    rng = np.random.default_rng(seed)
    rows = []
    for week in range(weeks):
        for weekday, hours in OPENING_HOURS.items():
            day = first_monday + timedelta(weeks=week, days=weekday)
            for hour in hours:
                value = max(2.0, wait(day, hour) * float(np.exp(rng.normal(0.0, noise))))
                rows.append(HourlyValue(day=day, hour=hour, value=round(value)))
    return rows
