"""The wait predictor: pure functions over snapshots, no database."""

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from buergerbuero.queueing.prediction import (
    CounterState,
    CounterStatus,
    PauseModel,
    QueueSnapshot,
    ServiceInProgress,
    ServiceTimeModel,
    WaitingTicket,
    classic_formula_wait,
    fit_counter_speed_sd,
    fit_pause_model,
    fit_service_time,
    predict_waits,
)

PASS = "passport"
REGISTER = "registration"
FIXED = {PASS: ServiceTimeModel(mu=np.log(10.0), sigma=1e-9), REGISTER: ServiceTimeModel(mu=np.log(5.0), sigma=1e-9)}
NOISY = {PASS: ServiceTimeModel.from_mean(10.0, 0.5), REGISTER: ServiceTimeModel.from_mean(5.0, 0.5)}


def counter(counter_id: str, *, services: tuple[str, ...] = (PASS, REGISTER), **kwargs: object) -> CounterState:
    return CounterState(
        counter_id=counter_id,
        status=kwargs.pop("status", CounterStatus.OPEN),  # type: ignore[arg-type]
        services=frozenset(services),
        **kwargs,  # type: ignore[arg-type]
    )


def tickets(n: int, service: str = PASS) -> list[WaitingTicket]:
    return [WaitingTicket(f"T{i}", service, arrived_at=float(i)) for i in range(n)]


def estimates(snapshot: QueueSnapshot, models: dict[str, ServiceTimeModel] = NOISY) -> list[float]:
    return [p.estimate_min for p in predict_waits(snapshot, models, np.random.default_rng(7), samples=400)]


def test_it_gives_exact_waits_for_one_counter_with_deterministic_services() -> None:
    snapshot = QueueSnapshot(now=100.0, tickets=tickets(4), counters=[counter("1")])

    predictions = predict_waits(snapshot, FIXED, np.random.default_rng(0), samples=50)

    assert [round(p.estimate_min, 6) for p in predictions] == [0.0, 10.0, 20.0, 30.0]
    assert all(round(p.high_min - p.low_min, 6) == 0 for p in predictions)


def test_it_waits_for_the_remaining_part_of_the_service_in_progress() -> None:
    busy = counter("1", serving=ServiceInProgress(PASS, started_at=96.0))
    snapshot = QueueSnapshot(now=100.0, tickets=tickets(2), counters=[busy])

    assert [round(e, 6) for e in estimates(snapshot, FIXED)] == [6.0, 16.0]


def test_it_serves_higher_priority_first() -> None:
    queue = [*tickets(3), WaitingTicket("VIP", PASS, arrived_at=50.0, priority=1)]
    snapshot = QueueSnapshot(now=100.0, tickets=queue, counters=[counter("1")])

    assert [round(e, 6) for e in estimates(snapshot, FIXED)] == [10.0, 20.0, 30.0, 0.0]


@settings(max_examples=25, deadline=None)
@given(queue_length=st.integers(1, 25), counters=st.integers(1, 5), busy=st.booleans())
def test_it_never_predicts_longer_waits_with_more_counters(queue_length: int, counters: int, busy: bool) -> None:
    serving = ServiceInProgress(PASS, started_at=95.0) if busy else None
    fewer = [counter(str(i), serving=serving) for i in range(counters)]
    more = [*fewer, counter("extra", serving=serving)]

    with_fewer = estimates(QueueSnapshot(100.0, tickets(queue_length), fewer))
    with_more = estimates(QueueSnapshot(100.0, tickets(queue_length), more))

    assert all(m <= f + 1e-9 for m, f in zip(with_more, with_fewer, strict=True))


def test_it_predicts_longer_waits_when_a_counter_is_paused() -> None:
    open_counters = [counter("1"), counter("2")]
    one_paused = [counter("1"), counter("2", status=CounterStatus.PAUSED, available_from=130.0)]

    open_waits = estimates(QueueSnapshot(100.0, tickets(8), open_counters))
    paused_waits = estimates(QueueSnapshot(100.0, tickets(8), one_paused))

    assert sum(paused_waits) > sum(open_waits)
    assert paused_waits[-1] > open_waits[-1]


def test_it_ignores_counters_that_do_not_handle_the_service() -> None:
    alone = [counter("1")]
    with_specialist = [counter("1"), counter("express", services=(REGISTER,))]

    assert estimates(QueueSnapshot(100.0, tickets(6), with_specialist), FIXED) == estimates(
        QueueSnapshot(100.0, tickets(6), alone), FIXED
    )


def test_it_starts_no_service_after_a_counter_closes() -> None:
    closing = [counter("1", closes_at=115.0)]
    predictions = predict_waits(QueueSnapshot(100.0, tickets(3), closing), FIXED, np.random.default_rng(1), samples=20)

    assert [p.served_probability for p in predictions] == [1.0, 1.0, 0.0]
    assert predictions[2].estimate_min == 15.0  # waits until the counter closes and is sent home


def test_it_takes_planned_breaks_into_account() -> None:
    habits = PauseModel(hazard_per_min=(0.0,) * 10 + (0.5,) * 14, pause_min=30.0)
    snapshot = QueueSnapshot(now=9 * 60.0 + 50, tickets=tickets(6), counters=[counter("1")])

    without = estimates(snapshot, FIXED)
    with_breaks = [
        p.estimate_min for p in predict_waits(snapshot, FIXED, np.random.default_rng(2), samples=200, pauses=habits)
    ]

    assert with_breaks[0] == without[0]
    assert round(with_breaks[-1], 6) == round(without[-1] + 30.0, 6)


@settings(max_examples=25, deadline=None)
@given(queue_length=st.integers(1, 30), counters=st.integers(1, 4), seed=st.integers(0, 1000))
def test_it_returns_ordered_intervals_around_the_estimate(queue_length: int, counters: int, seed: int) -> None:
    snapshot = QueueSnapshot(100.0, tickets(queue_length), [counter(str(i)) for i in range(counters)])

    for p in predict_waits(snapshot, NOISY, np.random.default_rng(seed), samples=200, counter_speed_sd=0.1):
        assert 0.0 <= p.low_min <= p.estimate_min <= p.high_min


def test_it_recovers_lognormal_parameters_from_samples() -> None:
    durations = np.random.default_rng(3).lognormal(2.5, 0.45, 4000)

    model = fit_service_time(durations, prior_minutes=5.0)

    assert abs(model.mu - 2.5) < 0.03
    assert abs(model.sigma - 0.45) < 0.03


def test_it_falls_back_to_the_catalogue_time_without_history() -> None:
    assert abs(fit_service_time([], prior_minutes=15.0).mean_minutes - 15.0) < 1e-9
    few = fit_service_time([30.0], prior_minutes=15.0)
    assert 15.0 < few.mean_minutes < 30.0


def test_it_learns_break_habits_as_events_over_exposure() -> None:
    exposure = [0.0] * 24
    exposure[11] = 200.0
    model = fit_pause_model([11 * 60 + 5.0, 11 * 60 + 40.0], [20.0, 30.0], exposure)

    assert model.hazard_per_min[11] == 0.01
    assert model.pause_min == 25.0


def test_it_finds_no_clerk_speed_spread_when_every_clerk_works_alike() -> None:
    rng = np.random.default_rng(4)
    alike = [rng.normal(0.0, 0.5, 40).tolist() for _ in range(200)]
    varied = [rng.normal(rng.normal(0.0, 0.3), 0.5, 40).tolist() for _ in range(200)]

    assert fit_counter_speed_sd(alike, 0.25) < 0.05
    assert abs(fit_counter_speed_sd(varied, 0.25) - 0.3) < 0.05


def test_it_computes_the_classic_formula() -> None:
    assert classic_formula_wait(6, 12.0, 3) == 24.0
    assert classic_formula_wait(2, 10.0, 0) == 20.0
