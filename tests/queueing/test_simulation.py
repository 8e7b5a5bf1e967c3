"""The office-day simulator used by the wait-prediction benchmark: pure, no database."""

import itertools

import numpy as np

from buergerbuero.queueing.prediction import QueueSnapshot
from buergerbuero.queueing.simulation import (
    CounterShift,
    DayPlan,
    ServiceSpec,
    arrival_profile_from_waits,
    simulate_day,
)

SERVICES = [ServiceSpec("id", "Personalausweis", 15.0, 0.6), ServiceSpec("reg", "Meldebescheinigung", 10.0, 0.4)]


class Recorder:
    def __init__(self) -> None:
        self.snapshots: list[QueueSnapshot] = []
        self.completions: list[tuple[str, float]] = []

    def observe_queue(self, snapshot: QueueSnapshot) -> None:
        self.snapshots.append(snapshot)

    def observe_completion(self, service_key: str, minutes: float) -> None:
        self.completions.append((service_key, minutes))


def busy_day(**overrides: object) -> DayPlan:
    shifts = [
        CounterShift("1", None, 480.0, 840.0, break_at=600.0, break_min=30.0),
        CounterShift("2", frozenset({"reg"}), 510.0, 840.0, break_at=660.0, break_min=20.0),
        CounterShift("3", None, 480.0, 660.0),
    ]
    settings: dict[str, object] = {
        "doors_open": 480.0,
        "doors_close": 780.0,
        "arrival_rate_per_hour": dict.fromkeys(range(8, 13), 14.0),
        "shifts": shifts,
        "true_mean_min": {"id": 15.0, "reg": 10.0},
    } | overrides
    return DayPlan(**settings)  # type: ignore[arg-type]


def test_it_conserves_tickets() -> None:
    for seed in range(5):
        result = simulate_day(busy_day(intake_mean_min=12.0), SERVICES, Recorder(), np.random.default_rng(seed))

        served = [t for t in result.tickets if t.started_at is not None]
        assert len(served) + len(result.left_at_close) == len(result.tickets)
        assert sorted(i.ticket_id for i in result.intervals) == sorted(t.ticket_id for t in served)
        assert len({t.ticket_id for t in result.tickets}) == len(result.tickets)


def test_it_never_lets_a_counter_serve_two_at_once() -> None:
    result = simulate_day(busy_day(), SERVICES, Recorder(), np.random.default_rng(1))

    assert result.intervals
    for _, intervals in itertools.groupby(
        sorted(result.intervals, key=lambda i: (i.counter_id, i.start)), key=lambda i: i.counter_id
    ):
        ordered = list(intervals)
        assert all(a.end <= b.start for a, b in itertools.pairwise(ordered))


def test_it_respects_shifts_breaks_and_services() -> None:
    result = simulate_day(busy_day(), SERVICES, Recorder(), np.random.default_rng(2))
    service_of = {t.ticket_id: t.service_key for t in result.tickets}

    for interval in result.intervals:
        assert not (interval.counter_id == "2" and service_of[interval.ticket_id] != "reg")
        assert not (interval.counter_id == "3" and interval.start >= 660.0)
        assert not (interval.counter_id == "2" and interval.start < 510.0)
    assert len(result.breaks) == 2
    assert all(end > start for start, end in result.breaks)


def test_it_serves_first_come_first_served_among_eligible_tickets() -> None:
    result = simulate_day(busy_day(), SERVICES, Recorder(), np.random.default_rng(3))

    for key in ("id", "reg"):
        started = [t.started_at for t in result.tickets if t.service_key == key and t.started_at is not None]
        assert started == sorted(started)


def test_it_reports_queue_states_and_completions() -> None:
    recorder = Recorder()
    result = simulate_day(busy_day(), SERVICES, recorder, np.random.default_rng(4))

    assert recorder.snapshots
    assert len(recorder.completions) == len(result.intervals)
    for snapshot in recorder.snapshots:
        assert all(t.arrived_at <= snapshot.now for t in snapshot.tickets)


def test_it_turns_customers_away_only_when_the_queue_cannot_be_served() -> None:
    overloaded = busy_day(arrival_rate_per_hour=dict.fromkeys(range(8, 13), 60.0), intake_mean_min=12.0)
    result = simulate_day(overloaded, SERVICES, Recorder(), np.random.default_rng(5))
    relaxed = simulate_day(busy_day(intake_mean_min=12.0), SERVICES, Recorder(), np.random.default_rng(5))

    assert result.turned_away
    assert len(relaxed.turned_away) < len(result.turned_away)


def test_it_derives_higher_intensity_where_waits_grow() -> None:
    one_day = [(0, 8, 10.0), (0, 9, 30.0), (0, 10, 30.0), (0, 11, 10.0)]
    rows = [*one_day, *one_day, *one_day, (0, 15, 99.0)]

    profile = arrival_profile_from_waits(rows)

    assert profile.opening_hours[0] == (8, 12)  # the rarely open afternoon hour is dropped
    assert profile.intensity[(0, 8)] > profile.intensity[(0, 9)] > 1 > profile.intensity[(0, 10)]
    assert round(profile.intensity[(0, 9)], 6) == round(1 + 10 / 60, 6)
