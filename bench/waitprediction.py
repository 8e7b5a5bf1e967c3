"""Benchmark of the live-queue wait prediction on simulated office days (``make bench-waitprediction``).

Settings, fixed before any predictor was run (see docs/wait-prediction.md):

* Arrivals follow the weekday × hour profile derived from the Moers Bürgerservice waits
  (MIT (c) 2014, 2015 Thomas Tursics; method in ``buergerbuero.queueing.simulation``), times the
  roster's planned capacity, times a day-to-day demand factor (lognormal, sd 0.15).
* Service mix: eleven common Bürgerbüro services with their catalogue counter times
  (``leika_services_reference.csv``). True means differ from the catalogue by a per-service bias
  (lognormal, sd 0.15, drawn once); clerks differ in speed per day (lognormal, sd 0.10); service
  times are lognormal with a coefficient of variation of 0.5.
* Roster: counter 1 all day; counter 2 starts 30 minutes late and has no trade licences; counter 3
  leaves early; counter 4 is an express counter for short services; on the long Thursday counter 5
  works the afternoon. Breaks are staggered (20 minutes on short days, 30 on long ones, ±15 minutes
  around the plan, overrunning with sd 4 minutes); each counter but the first is absent on 8 % of days.
  Counters that serve out keep calling until the queue is empty or one hour after the doors close.
* 6 warm-up days build the first history; 60 evaluated days follow, Monday to Saturday. Predictions
  are recorded for every waiting ticket after every arrival; tickets sent home at the hard end have no
  true wait and are not scored.

The predictor learns each service's distribution from all finished services so far (previous days and
the current day) with ``fit_service_time``; the classic formula uses the same learned mean service
time (over all finished services) and the number of counters open at that moment.
"""

from __future__ import annotations

import csv
import json
import math
import sys
import time
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "src"))

from buergerbuero.queueing.prediction import (  # noqa: E402
    CounterStatus,
    PauseModel,
    QueueSnapshot,
    ServiceTimeModel,
    classic_formula_wait,
    fit_counter_speed_sd,
    fit_pause_model,
    fit_service_time,
    predict_waits,
)
from buergerbuero.queueing.simulation import (  # noqa: E402
    ArrivalProfile,
    CounterShift,
    DayPlan,
    DayResult,
    ServiceSpec,
    arrival_profile_from_waits,
    simulate_day,
)

DATA = Path("/work/shared/data")
WAITS_CSV = DATA / "waiting" / "moers_buergerservice_hourly_2014_2016.csv"
CATALOGUE_CSV = DATA / "catalog" / "leika_services_reference.csv"

SEED = 20240611
WARM_UP_DAYS = 6
EVALUATED_DAYS = 60
SAMPLES = 400
CV = 0.5
SERVICE_BIAS_SD = 0.15
CLERK_SPEED_SD = 0.10
DEMAND_SD = 0.15
ABSENCE_PROBABILITY = 0.08
SERVE_OUT_MIN = 90.0
ARRIVAL_CALIBRATION = 0.85  # matches the simulated mean wait to Moers' (see the docstring)

# (catalogue name, share of customers): a typical Bürgerbüro mix, identity documents and registration first.
SERVICE_MIX = (
    ("Personalausweis", 0.25),
    ("Reisepass", 0.12),
    ("Wohnsitzanmeldung", 0.20),
    ("Wohnsitz abmelden", 0.05),
    ("Meldebescheinigung", 0.10),
    ("Führungszeugnis", 0.08),
    ("Beglaubigung von Unterschriften", 0.05),
    ("Bewohnerparkausweis", 0.05),
    ("Fundsache abholen", 0.03),
    ("Übermittlungssperre", 0.02),
    ("Gewerbe-Anmeldung", 0.05),
)
EXPRESS_MAX_MIN = 10.0  # the express counter takes services with a catalogue time up to this
TRADE_SERVICES = ("Gewerbe-Anmeldung",)  # counters 2 and 5 are not trained for these


def load_services() -> list[ServiceSpec]:
    with CATALOGUE_CSV.open(encoding="utf-8") as handle:
        durations = {row["name_munich"]: float(row["duration_min"]) for row in csv.DictReader(handle)}
    return [ServiceSpec(key=name, name=name, typical_min=durations[name], share=share) for name, share in SERVICE_MIX]


def load_profile() -> ArrivalProfile:
    with WAITS_CSV.open(encoding="utf-8") as handle:
        rows = [(int(r["weekday_mon0"]), int(r["hour"]), float(r["avg_wait_min"])) for r in csv.DictReader(handle)]
    return arrival_profile_from_waits(rows)


def plan_day(
    weekday: int,
    profile: ArrivalProfile,
    services: list[ServiceSpec],
    true_mean: dict[str, float],
    rng: np.random.Generator,
) -> DayPlan:
    first_hour, last_hour = profile.opening_hours[weekday]
    doors_open, doors_close = first_hour * 60.0, last_hour * 60.0
    long_day = doors_close - doors_open > 360
    all_keys = frozenset(s.key for s in services)
    express = frozenset(s.key for s in services if s.typical_min <= EXPRESS_MAX_MIN)
    no_trade = all_keys - frozenset(TRADE_SERVICES)
    serve_out = doors_close + SERVE_OUT_MIN
    break_min = 30.0 if long_day else 20.0
    midday = doors_open + (doors_close - doors_open) / 2
    # (id, services, opens, closes, planned break)
    roster: list[tuple[str, frozenset[str], float, float, float | None]] = [
        ("1", all_keys, doors_open, serve_out, midday - 45),
        ("2", no_trade, doors_open + 30, serve_out, midday),
        ("3", all_keys, doors_open, doors_close - (120 if long_day else 60), midday - 90),
        ("4", express, doors_open, serve_out, midday + 45),
    ]
    if long_day:
        roster.append(("5", no_trade, 13 * 60.0, serve_out, 15.5 * 60))
    if weekday == 5:  # Saturday: a small team
        roster = [r for r in roster if r[0] in {"1", "2", "4"}]
    mean_typical = sum(sv.typical_min * sv.share for sv in services) / sum(sv.share for sv in services)
    demand = float(rng.lognormal(-(DEMAND_SD**2) / 2, DEMAND_SD))
    rates = {}
    for hour in range(first_hour, last_hour):
        window = (max(hour * 60.0, doors_open), min((hour + 1) * 60.0, doors_close))
        minutes = sum(_planned_minutes(window, r[2], min(r[3], doors_close), r[4], break_min) for r in roster)
        capacity_per_hour = minutes / (window[1] - window[0]) * 60 / mean_typical
        rates[hour] = profile.intensity[(weekday, hour)] * capacity_per_hour * demand * ARRIVAL_CALIBRATION
    shifts = []
    for counter_id, keys, opens, closes, break_at in roster:
        if counter_id != "1" and rng.random() < ABSENCE_PROBABILITY:
            continue
        jitter = float(rng.uniform(-15, 15))
        speed = float(rng.lognormal(-(CLERK_SPEED_SD**2) / 2, CLERK_SPEED_SD))
        shifts.append(
            CounterShift(
                counter_id=counter_id,
                services=keys,
                opens_at=opens,
                closes_at=closes,
                break_at=None if break_at is None else break_at + jitter,
                break_min=break_min,
                speed=speed,
            )
        )
    return DayPlan(
        doors_open=doors_open,
        doors_close=doors_close,
        arrival_rate_per_hour=rates,
        shifts=shifts,
        true_mean_min=true_mean,
        cv=CV,
        intake_mean_min=mean_typical,
    )


def _planned_minutes(
    window: tuple[float, float], opens: float, closes: float, break_at: float | None, break_min: float
) -> float:
    """Counter-minutes the roster plans inside ``window`` (open time minus the planned break)."""

    def overlap(a: float, b: float) -> float:
        return max(min(b, window[1]) - max(a, window[0]), 0.0)

    on_break = 0.0 if break_at is None else overlap(break_at, break_at + break_min)
    return overlap(opens, closes) - on_break


@dataclass
class Prediction:
    day: int
    ticket_id: str
    at: float
    people_ahead: int
    estimate: float
    low: float
    high: float
    formula: float


@dataclass
class _BreakHistory:
    """Breaks seen on past days: first-break starts, lengths and open minutes per hour before them."""

    starts: list[float] = field(default_factory=list)
    lengths: list[float] = field(default_factory=list)
    exposure: list[float] = field(default_factory=lambda: [0.0] * 24)

    def add(self, starts: list[float], lengths: list[float], exposure: list[float]) -> None:
        self.starts += starts
        self.lengths += lengths
        self.exposure = [a + b for a, b in zip(self.exposure, exposure, strict=True)]


@dataclass
class Bench:
    """The observer: learns from finished services and records both predictions at every queue state."""

    services: list[ServiceSpec]
    rng: np.random.Generator
    durations: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))
    models: dict[str, ServiceTimeModel] = field(default_factory=dict)
    pauses: PauseModel = field(default_factory=PauseModel)
    """Break habits over all days; ``pauses_by_weekday`` each weekday's, shrunk towards these."""
    pauses_by_weekday: dict[int, PauseModel] = field(default_factory=dict)
    break_history: dict[int, _BreakHistory] = field(default_factory=lambda: defaultdict(_BreakHistory))
    speed_groups: list[list[float]] = field(default_factory=list)
    counter_speed_sd: float = 0.0
    predictions: list[Prediction] = field(default_factory=list)
    day: int = 0
    weekday: int = 0
    recording: bool = False
    seconds_predicting: float = 0.0

    def __post_init__(self) -> None:
        self.typical = {s.key: s.typical_min for s in self.services}
        self.models = {key: fit_service_time([], typical) for key, typical in self.typical.items()}
        self.total_minutes = 0.0
        self.total_count = 0

    def observe_completion(self, service_key: str, minutes: float) -> None:
        self.durations[service_key].append(minutes)
        self.models[service_key] = fit_service_time(self.durations[service_key], self.typical[service_key])
        self.total_minutes += minutes
        self.total_count += 1

    def learn_day(self, result: DayResult) -> None:
        """After each day: refit the break habits from all days so far, overall and per weekday (the
        roster repeats every week, so breaks fall at different hours on different weekdays)."""
        self.break_history[self.weekday].add(*result.pause_history())
        overall = _BreakHistory()
        for history in self.break_history.values():
            overall.add(history.starts, history.lengths, history.exposure)
        self.pauses = fit_pause_model(overall.starts, overall.lengths, overall.exposure)
        self.pauses_by_weekday = {
            weekday: fit_pause_model(h.starts, h.lengths, h.exposure, prior=self.pauses)
            for weekday, h in self.break_history.items()
        }
        service_of = {t.ticket_id: t.service_key for t in result.tickets}
        by_counter: dict[str, list[float]] = defaultdict(list)
        for interval in result.intervals:
            model = self.models[service_of[interval.ticket_id]]
            by_counter[interval.counter_id].append(math.log(max(interval.end - interval.start, 1e-3)) - model.mu)
        self.speed_groups += by_counter.values()
        log_variance = float(np.mean([m.sigma**2 for m in self.models.values()]))
        self.counter_speed_sd = fit_counter_speed_sd(self.speed_groups, log_variance)

    def mean_service_min(self) -> float:
        if self.total_count:
            return self.total_minutes / self.total_count
        shares = sum(s.share for s in self.services)
        return sum(s.typical_min * s.share for s in self.services) / shares

    def observe_queue(self, snapshot: QueueSnapshot) -> None:
        if not self.recording:
            return
        started = time.perf_counter()
        ours = predict_waits(
            snapshot,
            self.models,
            self.rng,
            samples=SAMPLES,
            pauses=self.pauses_by_weekday.get(self.weekday, self.pauses),
            counter_speed_sd=self.counter_speed_sd,
        )
        self.seconds_predicting += time.perf_counter() - started
        open_counters = sum(c.status is CounterStatus.OPEN for c in snapshot.counters)
        mean = self.mean_service_min()
        for position, (ticket, prediction) in enumerate(zip(snapshot.tickets, ours, strict=True)):
            self.predictions.append(
                Prediction(
                    day=self.day,
                    ticket_id=ticket.ticket_id,
                    at=snapshot.now,
                    people_ahead=position,
                    estimate=prediction.estimate_min,
                    low=prediction.low_min,
                    high=prediction.high_min,
                    formula=classic_formula_wait(position, mean, open_counters),
                )
            )


def main() -> None:
    started = time.perf_counter()
    rng = np.random.default_rng(SEED)
    services = load_services()
    profile = load_profile()
    true_mean = {s.key: s.typical_min * float(rng.lognormal(0.0, SERVICE_BIAS_SD)) for s in services}
    bench = Bench(services=services, rng=np.random.default_rng(SEED + 1))
    weekdays = sorted(profile.opening_hours)
    truth: dict[tuple[int, str], float] = {}
    left = served = turned_away = 0
    for day in range(WARM_UP_DAYS + EVALUATED_DAYS):
        weekday = weekdays[day % len(weekdays)]
        plan = plan_day(weekday, profile, services, true_mean, rng)
        bench.day, bench.weekday, bench.recording = day, weekday, day >= WARM_UP_DAYS
        result = simulate_day(plan, services, bench, rng)
        bench.learn_day(result)
        if bench.recording:
            turned_away += len(result.turned_away)
            for ticket in result.tickets:
                if ticket.started_at is None:
                    left += 1
                else:
                    served += 1
                    truth[(day, ticket.ticket_id)] = ticket.started_at
    scored = [(p, truth[(p.day, p.ticket_id)] - p.at) for p in bench.predictions if (p.day, p.ticket_id) in truth]
    report(scored, served=served, left=left)
    by_weekday = ", ".join(_length(model) for _, model in sorted(bench.pauses_by_weekday.items()))
    print(
        f"\n{EVALUATED_DAYS} days (+{WARM_UP_DAYS} warm-up), {served} served, {left} sent home at the hard end, "
        f"{turned_away} turned away by the ticket machine; "
        f"{len(bench.predictions) - len(scored)} predictions of those unscored; "
        f"learned clerk-speed spread {bench.counter_speed_sd:.3f}, break hazard peak "
        f"{max(bench.pauses.hazard_per_min):.4f}/min, break {_length(bench.pauses)} (by weekday: {by_weekday}); "
        f"predictor {bench.seconds_predicting:.1f} s, total {time.perf_counter() - started:.1f} s"
    )
    summary = _scores(scored)
    print(
        "RESULT "
        + json.dumps(
            {
                "mae_min": round(summary["mae"], 2),
                "formula_mae_min": round(summary["formula_mae"], 2),
                "mae_ratio": round(summary["mae"] / summary["formula_mae"], 3),
                "coverage": round(summary["coverage"], 3),
                "predictions": len(scored),
                "days": EVALUATED_DAYS,
            }
        )
    )


def _length(pauses: PauseModel) -> str:
    return f"{pauses.pause_min:.1f} ± {pauses.pause_sd_min:.1f} min"


def _scores(rows: list[tuple[Prediction, float]]) -> dict[str, float]:
    estimate = np.array([p.estimate for p, _ in rows])
    formula = np.array([p.formula for p, _ in rows])
    low = np.array([p.low for p, _ in rows])
    high = np.array([p.high for p, _ in rows])
    actual = np.array([a for _, a in rows])
    return {
        "n": float(len(rows)),
        "actual": float(actual.mean()),
        "mae": float(np.abs(estimate - actual).mean()),
        "formula_mae": float(np.abs(formula - actual).mean()),
        "coverage": float(((low <= actual) & (actual <= high)).mean()),
        "width": float(np.where(np.isfinite(high), high - low, np.nan).mean()),
    }


def report(scored: list[tuple[Prediction, float]], *, served: int, left: int) -> None:
    groups: dict[str, list[tuple[str, list[tuple[Prediction, float]]]]] = {}
    groups["overall"] = [("all", scored)]
    buckets = ((0, 4), (5, 9), (10, 19), (20, 39), (40, math.inf))
    groups["people ahead"] = [
        (f"{a}–{b}" if b != math.inf else f"{a}+", [s for s in scored if a <= s[0].people_ahead <= b])
        for a, b in buckets
    ]
    hours = sorted({int(p.at // 60) for p, _ in scored})
    groups["hour of day"] = [(f"{h:02d}:00", [s for s in scored if int(s[0].at // 60) == h]) for h in hours]
    columns = (
        ("n", 7),
        ("remaining", 9),
        ("MAE ours", 9),
        ("MAE formula", 11),
        ("ratio", 6),
        ("cover80", 7),
        ("width", 6),
    )
    header = " ".join([" " * 14, *(f"{name:>{width}}" for name, width in columns)])
    for title, rows in groups.items():
        print(f"\n{title}\n{header}")
        for label, subset in rows:
            if not subset:
                continue
            s = _scores(subset)
            print(
                f"{label:>14} {int(s['n']):>7} {s['actual']:>9.1f} {s['mae']:>9.1f} {s['formula_mae']:>11.1f} "
                f"{s['mae'] / max(s['formula_mae'], 1e-9):>6.2f} {s['coverage']:>7.1%} {s['width']:>6.1f}"
            )


if __name__ == "__main__":
    main()
