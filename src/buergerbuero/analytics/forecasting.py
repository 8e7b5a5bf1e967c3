"""Hourly waiting-time forecasts for an office, learned from its own history.

What
    Given the observed average waiting time per day and opening hour (minutes), the model
    forecasts the waiting time for future (day, hour) slots, e.g. the next two weeks, so the
    portal can show busy hours and the office can plan staff.

How
    The model is a log-additive decomposition, fitted by weighted least squares with numpy::

        log(wait + c) = level + profile[weekday, hour] + calendar(day) + noise

    * ``level``: every past ISO week gets a level; neighbouring week levels are tied together by
      a random-walk penalty. The forecast level is their exponentially weighted mean (half-life
      2 weeks), so the model follows the strong seasonal and staffing swings (recency).
    * ``profile``: the weekday x hour shape, an exponentially weighted mean over weeks (half-life
      8 weeks, so changed opening hours are followed) shrunk towards the pooled hour-of-day shape,
      which keeps rarely observed slots stable.
    * ``calendar``: ridge-penalised effects of the Land's school holidays, the first working day
      after a closure, the day before a public holiday, bridge days, and the first and last three
      days of a month. They are fitted jointly with the week levels; thanks to the random-walk
      penalty a whole week of school holidays shows up as an effect instead of vanishing into
      that week's level.
    * Level and calendar effects (one penalised least-squares solve) alternate with the profile.
    * Closure days (public holidays of the Land, 24 December to 1 January) are forecast as the
      median value the history shows on such days (for Moers: the 2-minute floor, i.e. closed);
      without such days in the history the lowest observed value is used. Unplanned closed days
      (every hour at the floor) are left out of the fit so they do not drag the level down.

    The log scale makes effects multiplicative and the forecast median-like, which is what the
    mean absolute error rewards; ``c`` (20 minutes) damps the noise of nearly empty hours.

Evaluation
    Rolling origin, one ISO week ahead, using only rows dated before the forecast week's
    Monday, against the seasonal naive forecast (same weekday and hour one week earlier); see
    :mod:`buergerbuero.analytics.forecast_evaluation` and ``docs/forecasting.md``. The
    parameters below were chosen on 2015 only; 2016 is the reported test year. Data: the Moers
    Bürgerservice waiting-time series, MIT licence, (c) 2014, 2015 Thomas Tursics.

Everything here is pure: plain data in, plain data out, no database and no clock.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta

import numpy as np
import numpy.typing as npt

from buergerbuero.analytics.office_calendar import (
    FEATURE_NAMES,
    OfficeCalendar,
    calendar_for_land,
    day_features,
    is_closure_day,
)

FloatArray = npt.NDArray[np.float64]
BoolArray = npt.NDArray[np.bool_]

DAYS_PER_WEEK = 7
HOURS_PER_DAY = 24
DEFAULT_LAND = "NW"


@dataclass(frozen=True)
class HourlyValue:
    """An observed or forecast average waiting time (minutes) in one opening hour."""

    day: date
    hour: int
    value: float


@dataclass(frozen=True)
class Slot:
    """A future opening hour to forecast."""

    day: date
    hour: int


@dataclass(frozen=True)
class ModelParams:
    """The model's tuning knobs (chosen by rolling-origin evaluation on 2015)."""

    log_offset: float = 20.0
    level_half_life_weeks: float = 2.0
    level_smoothing: float = 30.0
    profile_half_life_weeks: float = 8.0
    profile_shrinkage: float = 1.0
    calendar_ridge: float = 1.0
    fit_iterations: int = 4


@dataclass(frozen=True)
class FittedModel:
    """What the model learned from one history; predicts any slot with :func:`predict`."""

    level: float
    profile: FloatArray  # (7, 24) on the log scale
    calendar_effects: dict[str, float]  # log-scale effect per name in FEATURE_NAMES
    closure_value: float
    floor: float
    log_offset: float


def monday_of(day: date) -> date:
    return day - timedelta(days=day.weekday())


def fit(
    history: Sequence[HourlyValue],
    *,
    origin: date,
    calendar: OfficeCalendar,
    params: ModelParams = ModelParams(),
) -> FittedModel:
    """Learn level, profile and calendar effects from ``history``, all dated before ``origin``.

    ``origin`` is the first day that may be forecast; recency weights count weeks back from it.
    """
    if not history:
        raise ValueError("The history is empty.")
    if max(row.day for row in history) >= origin:
        raise ValueError(f"The history must end before the forecast origin {origin.isoformat()}.")
    first_monday = monday_of(min(row.day for row in history))
    n_weeks = (monday_of(origin) - first_monday).days // DAYS_PER_WEEK
    values = np.full((n_weeks, DAYS_PER_WEEK, HOURS_PER_DAY), np.nan)
    for row in history:
        offset = (row.day - first_monday).days
        values[offset // DAYS_PER_WEEK, offset % DAYS_PER_WEEK, row.hour] = row.value
    days = [[first_monday + timedelta(days=7 * w + d) for d in range(DAYS_PER_WEEK)] for w in range(n_weeks)]
    closure = np.array([[is_closure_day(calendar, day) for day in week] for week in days], dtype=bool)
    features = np.array([[day_features(calendar, day) for day in week] for week in days], dtype=float)

    observed = ~np.isnan(values)
    floor = float(np.nanmin(values))
    closure_values = values[observed & closure[:, :, None]]
    closure_value = float(np.median(closure_values)) if closure_values.size else floor
    unplanned_closed = np.all(~observed | (values <= floor), axis=2) & np.any(observed, axis=2)
    usable = observed & ~(closure | unplanned_closed)[:, :, None]

    log_values = np.where(usable, np.log(np.where(usable, values, 0.0) + params.log_offset), 0.0)
    weeks_back = np.arange(n_weeks - 1, -1, -1, dtype=float)  # the week before the origin is 0
    week_levels, profile, effects = _fit_components(log_values, usable, features, weeks_back, params)
    has_data = usable.any(axis=(1, 2))
    level_weights = 0.5 ** (weeks_back[has_data] / params.level_half_life_weeks)
    level = float(np.sum(week_levels[has_data] * level_weights) / np.sum(level_weights))
    return FittedModel(
        level=level,
        profile=profile,
        calendar_effects=dict(zip(FEATURE_NAMES, (float(e) for e in effects), strict=True)),
        closure_value=closure_value,
        floor=floor,
        log_offset=params.log_offset,
    )


def _fit_components(
    log_values: FloatArray, usable: BoolArray, features: FloatArray, weeks_back: FloatArray, params: ModelParams
) -> tuple[FloatArray, FloatArray, FloatArray]:
    """Alternate between (week levels, calendar effects) and the profile.

    Given the profile, week levels and calendar effects solve one penalised least-squares
    problem: a random-walk penalty on neighbouring week levels lets whole weeks of school
    holidays show up as a calendar effect instead of vanishing into their week's level, and a
    ridge penalty keeps rare effects (bridge days) small. Given those, the profile is the
    recency-weighted mean deviation per weekday and hour, shrunk towards the hour profile.
    """
    n_weeks, n_features = len(weeks_back), features.shape[2]
    mask = usable.astype(float)
    hours_per_day = mask.sum(axis=2)  # (weeks, 7)
    weighted_features = features * hours_per_day[:, :, None]
    differences = np.diff(np.eye(n_weeks), axis=0)
    system = np.zeros((n_weeks + n_features, n_weeks + n_features))
    system[:n_weeks, :n_weeks] = (
        np.diag(hours_per_day.sum(axis=1)) + params.level_smoothing * differences.T @ differences
    )
    system[:n_weeks, n_weeks:] = weighted_features.sum(axis=1)
    system[n_weeks:, :n_weeks] = system[:n_weeks, n_weeks:].T
    system[n_weeks:, n_weeks:] = np.einsum("wdi,wdj->ij", weighted_features, features)
    system[n_weeks:, n_weeks:] += params.calendar_ridge * np.eye(n_features)

    slot_weights = (0.5 ** (weeks_back / params.profile_half_life_weeks))[:, None, None] * mask
    profile = np.zeros((DAYS_PER_WEEK, HOURS_PER_DAY))
    solution = np.zeros(n_weeks + n_features)
    for _ in range(params.fit_iterations):
        day_sums = (log_values - profile[None] * mask).sum(axis=2)
        right_hand_side = np.concatenate([day_sums.sum(axis=1), np.einsum("wdi,wd->i", features, day_sums)])
        solution = np.linalg.solve(system, right_hand_side)
        week_levels, effects = solution[:n_weeks], solution[n_weeks:]
        day_shift = week_levels[:, None] + features @ effects  # (weeks, 7)
        deviations = (log_values - day_shift[:, :, None]) * slot_weights
        pooled_hours = deviations.sum(axis=(0, 1)) / np.maximum(slot_weights.sum(axis=(0, 1)), 1e-12)
        shrink = params.profile_shrinkage
        profile = (deviations.sum(axis=0) + shrink * pooled_hours[None]) / (slot_weights.sum(axis=0) + shrink)
    return solution[:n_weeks], profile, solution[n_weeks:]


def predict(model: FittedModel, slots: Sequence[Slot], *, calendar: OfficeCalendar) -> list[HourlyValue]:
    """Forecast every slot with a fitted model (any horizon: the level is held flat)."""
    effects = np.array([model.calendar_effects[name] for name in FEATURE_NAMES])
    forecasts = []
    for slot in slots:
        if is_closure_day(calendar, slot.day):
            value = model.closure_value
        else:
            calendar_shift = float(np.dot(effects, day_features(calendar, slot.day)))
            log_value = model.level + float(model.profile[slot.day.weekday(), slot.hour]) + calendar_shift
            value = max(float(np.exp(log_value)) - model.log_offset, model.floor)
        forecasts.append(HourlyValue(day=slot.day, hour=slot.hour, value=value))
    return forecasts


def forecast(
    history: Sequence[HourlyValue],
    slots: Sequence[Slot],
    *,
    calendar: OfficeCalendar | None = None,
    params: ModelParams = ModelParams(),
) -> list[HourlyValue]:
    """Fit on ``history`` and forecast ``slots``; the history must end before the first slot's week.

    Without a calendar, the public and school holidays of North Rhine-Westphalia are used.
    """
    if not slots:
        return []
    origin = monday_of(min(slot.day for slot in slots))
    if calendar is None:
        years = {row.day.year for row in history} | {slot.day.year for slot in slots}
        calendar = calendar_for_land(DEFAULT_LAND, range(min(years) - 1, max(years) + 2))
    model = fit(history, origin=origin, calendar=calendar, params=params)
    return predict(model, slots, calendar=calendar)


def slots_for_following_weeks(
    history: Sequence[HourlyValue], weeks: int, *, opening_window_weeks: int = 8
) -> list[Slot]:
    """The opening hours of the ``weeks`` ISO weeks after the history's last date.

    Opening hours are the weekday/hour combinations seen in the last ``opening_window_weeks``
    weeks of the history, so a change of opening hours is followed.
    """
    if weeks < 1:
        raise ValueError("The number of weeks must be at least 1.")
    if not history:
        raise ValueError("The history is empty.")
    last_day = max(row.day for row in history)
    window_start = monday_of(last_day) - timedelta(weeks=opening_window_weeks - 1)
    opening_hours = sorted({(row.day.weekday(), row.hour) for row in history if row.day >= window_start})
    first_monday = monday_of(last_day) + timedelta(weeks=1)
    return [
        Slot(day=first_monday + timedelta(weeks=week, days=weekday), hour=hour)
        for week in range(weeks)
        for weekday, hour in opening_hours
    ]
