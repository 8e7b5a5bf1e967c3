"""Wait prediction for the live queue: plain data in, plain data out.

Method
------
The predictor runs a Monte Carlo forward simulation of the *current* queue. Each of ``samples``
parallel "futures" (numpy arrays, one row per sample) plays the queue out from ``now``:

* Counters start free at ``now`` (open and idle), at the end of the service in progress (open and
  serving: the remaining time is drawn from the service-time distribution *conditional on the time
  already spent*), when a pause is planned to end (paused), or when the counter is scheduled to open
  (closed, opening later). A counter never starts a service at or after its known closing time.
* Waiting tickets are taken in queue order (higher ``priority`` first, then arrival order). Each
  ticket goes to the counter that is free earliest *among the counters handling its service*; with
  first-come-first-served pulls this is the same as each free counter taking the first ticket it
  can handle. Its service time is drawn from the fitted distribution of its service.
* For every ticket the distribution of the remaining wait over the samples gives the estimate (the
  median, which minimises the expected absolute error) and the 80 % interval (10th–90th percentile).

Tickets arriving later cannot overtake a waiting ticket under first-come-first-served pulls, so
future walk-ins need not be simulated. Service times are lognormal per service, fitted by
``fit_service_time`` from observed durations with shrinkage towards the catalogue's typical time.

The loop runs over tickets; everything inside is vectorised over samples and counters, so a queue
of 60 tickets at 6 counters with 500 samples takes a few milliseconds.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from enum import StrEnum

import numpy as np
import numpy.typing as npt

__all__ = [
    "CounterState",
    "CounterStatus",
    "PauseModel",
    "QueueSnapshot",
    "ServiceInProgress",
    "ServiceTimeModel",
    "WaitPrediction",
    "WaitingTicket",
    "classic_formula_wait",
    "fit_counter_speed_sd",
    "fit_pause_model",
    "fit_service_time",
    "predict_waits",
]

FloatArray = npt.NDArray[np.float64]

DEFAULT_PRIOR_CV = 0.6
"""Coefficient of variation assumed for a service before any history exists (a generic guess)."""
DEFAULT_PRIOR_WEIGHT = 5.0
"""How many observations the catalogue's typical time is worth when shrinking."""
DEFAULT_PAUSE_PRIOR_MINUTES = 60.0
"""How many open counter-minutes per hour of day the prior break hazard is worth (one counter-hour)."""
DEFAULT_PAUSE_PRIOR_BREAKS = 2.0
"""How many breaks the prior break length is worth."""
LOW_QUANTILE = 0.10
HIGH_QUANTILE = 0.90


@dataclass(frozen=True)
class ServiceTimeModel:
    """A lognormal service-time distribution: ``log(minutes) ~ Normal(mu, sigma)``."""

    mu: float
    sigma: float
    observations: int = 0
    mu_sd: float = 0.0
    """How unsure the fit is about ``mu`` (posterior standard deviation); each sampled future draws
    its own ``mu`` for the service, shared by all its tickets in that future. 0: ``mu`` is known."""

    @property
    def mean_minutes(self) -> float:
        return math.exp(self.mu + self.sigma**2 / 2)

    @classmethod
    def from_mean(cls, mean_minutes: float, cv: float, observations: int = 0) -> ServiceTimeModel:
        """The lognormal with the given mean and coefficient of variation."""
        sigma2 = math.log1p(cv**2)
        return cls(mu=math.log(mean_minutes) - sigma2 / 2, sigma=math.sqrt(sigma2), observations=observations)


@dataclass(frozen=True)
class PauseModel:
    """When counters that have not paused yet today go on their break, learned from past days.

    ``hazard_per_min[h]`` is the chance per open minute in hour ``h`` that such a counter starts its
    break; breaks last ``pause_min`` on average, with a spread of ``pause_sd_min`` (clerks come back
    a few minutes early or late). The spread also applies to a counter on its break now: it is back
    around its planned resume time, and not before ``now`` if it has not come back yet. The default
    model has no breaks.
    """

    hazard_per_min: tuple[float, ...] = (0.0,) * 24
    pause_min: float = 0.0
    pause_sd_min: float = 0.0

    def cumulative_hazard(self) -> FloatArray:
        """The integrated hazard at every minute of the day (1441 values, minute 0 to 1440)."""
        per_minute = np.repeat(np.asarray(self.hazard_per_min, dtype=np.float64), 60)
        return np.concatenate([[0.0], np.cumsum(per_minute)])


class CounterStatus(StrEnum):
    OPEN = "open"
    PAUSED = "paused"
    CLOSED = "closed"


@dataclass(frozen=True)
class ServiceInProgress:
    service_key: str
    started_at: float


@dataclass(frozen=True)
class CounterState:
    """One counter (Schalter) as the queue sees it; times are minutes on the same clock as ``now``.

    ``available_from`` is when a paused counter is planned to resume or a closed counter is scheduled
    to open; ``None`` for a closed counter means it does not open again today. ``closes_at`` is the
    known time after which the counter starts no new service (``None``: open until the queue is done).
    ``paused_today`` says whether the counter has had its break already.
    """

    counter_id: str
    status: CounterStatus
    services: frozenset[str]
    serving: ServiceInProgress | None = None
    available_from: float | None = None
    closes_at: float | None = None
    paused_today: bool = False


@dataclass(frozen=True)
class WaitingTicket:
    ticket_id: str
    service_key: str
    arrived_at: float
    priority: int = 0


@dataclass(frozen=True)
class QueueSnapshot:
    """The queue at one moment: waiting tickets in queue order and every counter of the office."""

    now: float
    tickets: Sequence[WaitingTicket]
    counters: Sequence[CounterState]


@dataclass(frozen=True)
class WaitPrediction:
    """Remaining wait in minutes from the snapshot's ``now`` until the ticket is called.

    ``served_probability`` is the share of simulated futures in which the ticket is called before the
    counters close; in the others the wait counts until the last counter handling its service closes
    (the ticket is sent home then). It is infinite only if no counter handles the service at all.
    """

    ticket_id: str
    estimate_min: float
    low_min: float
    high_min: float
    served_probability: float = field(default=1.0)


def fit_service_time(
    durations: Sequence[float] | FloatArray,
    prior_minutes: float,
    *,
    prior_cv: float = DEFAULT_PRIOR_CV,
    prior_weight: float = DEFAULT_PRIOR_WEIGHT,
) -> ServiceTimeModel:
    """Fit a lognormal to observed durations, shrunk towards the catalogue's typical time.

    The prior is the lognormal with mean ``prior_minutes`` and coefficient of variation ``prior_cv``,
    worth ``prior_weight`` observations: the log-mean is a weighted average of the prior's and the
    sample's, the log-variance a pooled average of the prior's and the sample's sum of squares. With
    no data this returns the prior; with many it converges to the maximum-likelihood fit.

    ``mu_sd`` is the posterior spread of the log-mean, ``sigma / sqrt(prior_weight + n)`` (the
    normal–inverse-gamma posterior): wide for a service seen a few times, negligible after hundreds.
    """
    prior = ServiceTimeModel.from_mean(prior_minutes, prior_cv)
    logs = np.log(np.asarray(durations, dtype=np.float64).clip(min=1e-3))
    n = float(logs.size)
    if n == 0:
        return ServiceTimeModel(mu=prior.mu, sigma=prior.sigma, mu_sd=prior.sigma / math.sqrt(prior_weight))
    log_mean = float(logs.mean())
    sum_squares = float(((logs - log_mean) ** 2).sum())
    mu = (prior_weight * prior.mu + n * log_mean) / (prior_weight + n)
    sigma2 = (prior_weight * prior.sigma**2 + sum_squares) / (prior_weight + n)
    return ServiceTimeModel(
        mu=mu, sigma=math.sqrt(sigma2), observations=int(n), mu_sd=math.sqrt(sigma2 / (prior_weight + n))
    )


def fit_pause_model(
    pause_starts: Sequence[float],
    pause_lengths: Sequence[float],
    exposure_by_hour: Sequence[float],
    *,
    prior: PauseModel | None = None,
    prior_minutes: float = DEFAULT_PAUSE_PRIOR_MINUTES,
    prior_breaks: float = DEFAULT_PAUSE_PRIOR_BREAKS,
) -> PauseModel:
    """Estimate break habits: first breaks per hour of day over open minutes before the first break.

    ``pause_starts`` are the minutes of day at which counters started their first break of the day,
    ``exposure_by_hour`` the open counter-minutes per hour of day before each counter's first break,
    ``pause_lengths`` the observed break lengths. Each hour's hazard is events ÷ exposure; the length
    is the mean and the spread the standard deviation of the observed lengths.

    With a ``prior`` (typically the model fitted on all days, when this one is fitted on one weekday
    only) the estimates are shrunk towards it: the hazard is Gamma–Poisson, as if the prior's hazard
    had been seen over ``prior_minutes`` more open minutes in every hour; the length's mean and
    variance are pooled with the prior's, worth ``prior_breaks`` breaks.
    """
    events = np.bincount(np.asarray(pause_starts, dtype=np.float64).astype(int) // 60, minlength=24)[:24]
    exposure = np.asarray(exposure_by_hour, dtype=np.float64)
    lengths = np.asarray(pause_lengths, dtype=np.float64)
    if prior is None:
        hazard = np.divide(events, exposure, out=np.zeros(24), where=exposure > 0)
        pause_min = float(lengths.mean()) if lengths.size else 0.0
        pause_sd = float(lengths.std(ddof=1)) if lengths.size > 1 else 0.0
    else:
        hazard = (events + prior_minutes * np.asarray(prior.hazard_per_min)) / (exposure + prior_minutes)
        weight = prior_breaks + lengths.size
        pause_min = (prior_breaks * prior.pause_min + float(lengths.sum())) / weight
        sum_squares = float(((lengths - pause_min) ** 2).sum())
        pause_sd = math.sqrt((prior_breaks * prior.pause_sd_min**2 + sum_squares) / weight)
    return PauseModel(hazard_per_min=tuple(float(h) for h in hazard), pause_min=pause_min, pause_sd_min=pause_sd)


def fit_counter_speed_sd(residual_groups: Sequence[Sequence[float]], service_log_variance: float) -> float:
    """Spread of clerk-day speed from log residuals (``log(duration) − mu`` of the service), grouped
    by counter and day: the variance of the group means minus what sampling noise alone explains."""
    groups = [np.asarray(g, dtype=np.float64) for g in residual_groups if len(g) >= 2]
    if len(groups) < 2:
        return 0.0
    means = np.array([g.mean() for g in groups])
    noise = float(np.mean([service_log_variance / g.size for g in groups]))
    return math.sqrt(max(float(means.var(ddof=1)) - noise, 0.0))


def classic_formula_wait(people_ahead: int, mean_service_min: float, open_counters: int) -> float:
    """The classic display formula: people ahead × average service time ÷ open counters."""
    return people_ahead * mean_service_min / max(open_counters, 1)


def predict_waits(
    snapshot: QueueSnapshot,
    models: Mapping[str, ServiceTimeModel],
    rng: np.random.Generator,
    *,
    samples: int = 500,
    pauses: PauseModel | None = None,
    counter_speed_sd: float = 0.0,
    default_pause_min: float = 15.0,
) -> list[WaitPrediction]:
    """Predict the remaining wait of every waiting ticket (see the module docstring for the method).

    ``models`` must hold a distribution for every service that is waiting or in progress. A paused
    counter without a planned resume time is assumed back after ``default_pause_min``. With a
    ``pauses`` model, each counter that has not had its break yet takes one in each sampled future,
    at a time drawn from the learned hazard; it starts when the service in front of it ends.
    ``counter_speed_sd`` is the spread (log scale) of how fast one clerk works on one day compared with
    the service's average; each sampled future draws one speed factor per counter. A service model's
    ``mu_sd`` makes each future draw its own typical time for that service.
    """
    now = snapshot.now
    counters = list(snapshot.counters)
    ordered = [t for _, t in sorted(enumerate(snapshot.tickets), key=lambda pair: (-pair[1].priority, pair[0]))]
    keys = {t.service_key for t in ordered} | {c.serving.service_key for c in counters if c.serving is not None}
    mu = {key: models[key].mu + models[key].mu_sd * rng.standard_normal(samples) for key in sorted(keys)}
    # One speed per clerk and future; it applies to the service in progress too.
    log_speed = (
        rng.normal(-(counter_speed_sd**2) / 2, counter_speed_sd, (samples, len(counters)))
        if counter_speed_sd > 0
        else np.zeros((samples, len(counters)))
    )
    pause_sd = 0.0 if pauses is None else pauses.pause_sd_min
    free = np.full((samples, len(counters)), np.inf)
    closes = np.array([np.inf if c.closes_at is None else c.closes_at for c in counters])
    for index, counter in enumerate(counters):
        free[:, index] = _first_free_time(
            counter, now, models, mu, log_speed[:, index], rng, samples, default_pause_min, pause_sd
        )

    pause_due = _pause_due_times(counters, now, pauses, rng, samples)
    pause_min = 0.0 if pauses is None else pauses.pause_min
    pause_length = np.maximum(pause_min + pause_sd * rng.standard_normal(free.shape), 1.0) if pause_min > 0 else 0.0

    rows = np.arange(samples)
    eligible = {
        key: np.array([key in c.services for c in counters], dtype=bool) for key in {t.service_key for t in ordered}
    }
    waits = np.empty((len(ordered), samples))
    served_share = np.empty(len(ordered))
    for row, ticket in enumerate(ordered):
        model = models[ticket.service_key]
        handles = eligible[ticket.service_key]
        pausing = free >= pause_due
        free = np.where(pausing, free + pause_length, free)
        pause_due = np.where(pausing, np.inf, pause_due)
        candidates = np.where(handles & (free < closes), free, np.inf)
        chosen = candidates.argmin(axis=1)
        start = candidates[rows, chosen]
        served = np.isfinite(start)
        log_mean = mu[ticket.service_key] + log_speed[rows, chosen]
        duration = np.exp(log_mean + model.sigma * rng.standard_normal(samples))
        free[rows, chosen] = np.where(served, start + duration, free[rows, chosen])
        last_call = closes[handles].max(initial=-np.inf)
        waits[row] = np.where(served, start, last_call) - now
        served_share[row] = served.mean()
    quantiles = np.quantile(waits, [LOW_QUANTILE, 0.5, HIGH_QUANTILE], axis=1, method="inverted_cdf")
    predictions = {
        ticket.ticket_id: WaitPrediction(
            ticket_id=ticket.ticket_id,
            estimate_min=float(quantiles[1, row]),
            low_min=float(quantiles[0, row]),
            high_min=float(quantiles[2, row]),
            served_probability=float(served_share[row]),
        )
        for row, ticket in enumerate(ordered)
    }
    return [predictions[t.ticket_id] for t in snapshot.tickets]


def _pause_due_times(
    counters: Sequence[CounterState], now: float, pauses: PauseModel | None, rng: np.random.Generator, samples: int
) -> FloatArray:
    """Per sample and counter, when the counter's break falls due (``inf``: no break in this future)."""
    due = np.full((samples, len(counters)), np.inf)
    if pauses is None or pauses.pause_min <= 0:
        return due
    cumulative = pauses.cumulative_hazard()
    for index, counter in enumerate(counters):
        if counter.paused_today or counter.status is CounterStatus.PAUSED:
            continue
        if counter.status is CounterStatus.CLOSED and counter.available_from is None:
            continue
        start = now if counter.available_from is None else max(counter.available_from, now)
        start_level = np.interp(start, np.arange(cumulative.size), cumulative)
        target = start_level + rng.exponential(1.0, samples)
        minute = np.searchsorted(cumulative, target).astype(np.float64)
        due[:, index] = np.where(minute < cumulative.size, np.maximum(minute, start), np.inf)
    return due


def _first_free_time(
    counter: CounterState,
    now: float,
    models: Mapping[str, ServiceTimeModel],
    mu: Mapping[str, FloatArray],
    log_speed: FloatArray,
    rng: np.random.Generator,
    samples: int,
    default_pause_min: float,
    pause_sd: float,
) -> FloatArray:
    """When, in each sample, the counter can first take a waiting ticket."""
    if counter.status is CounterStatus.CLOSED:
        start = np.inf if counter.available_from is None else max(counter.available_from, now)
        return np.full(samples, start)
    if counter.status is CounterStatus.PAUSED:
        if counter.available_from is None:
            return np.full(samples, now + default_pause_min)
        # Back around the planned time, give or take the learned spread, but not before now.
        return now + _truncated_excess(counter.available_from - now, pause_sd, rng, samples)
    if counter.serving is None:
        return np.full(samples, now)
    sigma = models[counter.serving.service_key].sigma
    log_mean = mu[counter.serving.service_key] + log_speed
    elapsed = max(now - counter.serving.started_at, 0.0)
    if elapsed <= 0:
        return now + np.exp(log_mean + sigma * rng.standard_normal(samples))
    # log T ~ Normal(log_mean, sigma) conditioned on T > elapsed; the remaining time is T - elapsed.
    excess = _truncated_excess((log_mean - math.log(elapsed)) / sigma, 1.0, rng, samples)
    return now + elapsed * np.expm1(sigma * excess)


def _truncated_excess(mean: float | FloatArray, sd: float, rng: np.random.Generator, samples: int) -> FloatArray:
    """Samples of ``X`` for ``X ~ Normal(mean, sd)`` conditioned on ``X > 0``, by inverse CDF;
    ``max(mean, 0)`` exactly if ``sd`` is 0."""
    if sd <= 0:
        return np.full(samples, np.maximum(mean, 0.0))
    p0 = _normal_cdf(-np.asarray(mean, dtype=np.float64) / sd)
    u = (p0 + (1 - p0) * rng.random(samples)).clip(1e-12, 1 - 1e-12)
    return np.maximum(mean + sd * _normal_ppf(u), 0.0)


# Acklam's rational approximation of the standard normal quantile (relative error < 1.2e-9).
_A = (-3.969683028665376e01, 2.209460984245205e02, -2.759285104469687e02, 1.383577518672690e02, -3.066479806614716e01)
_A_LAST = 2.506628277459239e00
_B = (-5.447609879822406e01, 1.615858368580409e02, -1.556989798598866e02, 6.680131188771972e01, -1.328068155288572e01)
_C = (
    -7.784894002430293e-03,
    -3.223964580411365e-01,
    -2.400758277161838e00,
    -2.549732539343734e00,
    4.374664141464968e00,
)
_C_LAST = 2.938163982698783e00
_D = (7.784695709041462e-03, 3.224671290700398e-01, 2.445134137142996e00, 3.754408661907416e00)
_P_LOW = 0.02425


def _normal_cdf(x: FloatArray) -> FloatArray:
    """Vectorised standard normal CDF (Abramowitz and Stegun 7.1.26 for erfc, error below 1.5e-7)."""
    z = np.abs(x) / math.sqrt(2)
    t = 1.0 / (1.0 + 0.3275911 * z)
    poly = t * (0.254829592 + t * (-0.284496736 + t * (1.421413741 + t * (-1.453152027 + t * 1.061405429))))
    upper = 0.5 * poly * np.exp(-z * z)
    return np.where(x >= 0, 1.0 - upper, upper)


def _normal_ppf(p: FloatArray) -> FloatArray:
    """Vectorised inverse of the standard normal CDF for ``0 < p < 1``."""
    central = (p >= _P_LOW) & (p <= 1 - _P_LOW)
    q = p - 0.5
    r = q * q
    numerator = np.polyval([*_A, _A_LAST], r) * q
    denominator = np.polyval([*_B, 1.0], r)
    result = numerator / denominator
    tail_p = np.where(p < 0.5, p, 1 - p)
    t = np.sqrt(-2 * np.log(np.clip(tail_p, 1e-300, None)))
    tail = np.polyval([*_C, _C_LAST], t) / np.polyval([*_D, 1.0], t)
    tail = np.where(p < 0.5, tail, -tail)
    return np.where(central, result, tail)
