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


def test_it_learns_how_much_break_lengths_vary() -> None:
    exposure = [0.0] * 24
    exposure[10] = 100.0

    model = fit_pause_model([10 * 60.0, 10 * 60 + 30.0], [18.0, 22.0], exposure)

    assert model.pause_min == 20.0
    assert abs(model.pause_sd_min - np.sqrt(8.0)) < 1e-9


def test_it_shrinks_one_weekdays_break_habits_towards_all_days() -> None:
    all_days = PauseModel(hazard_per_min=(0.01,) * 24, pause_min=22.0, pause_sd_min=6.0)
    few, many = [0.0] * 24, [0.0] * 24
    few[13], many[13] = 20.0, 20_000.0

    thin = fit_pause_model([13 * 60.0], [30.0], few, prior=all_days)
    rich = fit_pause_model([13 * 60.0] * 1000, [29.0, 31.0] * 500, many, prior=all_days)

    assert 0.01 < thin.hazard_per_min[13] < 1 / 20  # between the prior and the one day's 1 in 20 minutes
    assert thin.hazard_per_min[9] == 0.01 * 60 / 60  # no exposure: the prior's hazard
    assert 22.0 < thin.pause_min < 30.0
    assert abs(rich.hazard_per_min[13] - 0.05) < 0.001
    assert abs(rich.pause_min - 30.0) < 0.05
    assert abs(rich.pause_sd_min - 1.0) < 0.05


def test_it_is_less_sure_of_a_service_seen_a_few_times() -> None:
    rng = np.random.default_rng(5)

    unseen = fit_service_time([], prior_minutes=15.0)
    few = fit_service_time(rng.lognormal(2.7, 0.47, 3), prior_minutes=15.0)
    many = fit_service_time(rng.lognormal(2.7, 0.47, 2000), prior_minutes=15.0)

    assert unseen.mu_sd > few.mu_sd > many.mu_sd
    assert abs(unseen.mu_sd - unseen.sigma / np.sqrt(5)) < 1e-12
    assert abs(many.mu_sd - 0.47 / np.sqrt(2005)) < 0.001


def test_it_widens_the_interval_when_the_typical_time_is_uncertain() -> None:
    known = {PASS: ServiceTimeModel.from_mean(10.0, 0.5)}
    unsure = {PASS: ServiceTimeModel(mu=known[PASS].mu, sigma=known[PASS].sigma, mu_sd=0.3)}
    snapshot = QueueSnapshot(100.0, tickets(15), [counter("1")])

    narrow = predict_waits(snapshot, known, np.random.default_rng(8), samples=2000)[-1]
    wide = predict_waits(snapshot, unsure, np.random.default_rng(8), samples=2000)[-1]

    # 14 services ahead share one uncertain typical time, so the spread grows far beyond the
    # sampling noise of the individual services.
    assert wide.high_min - wide.low_min > 2 * (narrow.high_min - narrow.low_min)


def test_it_does_not_expect_an_overdue_clerk_back_this_instant() -> None:
    overdue = counter("1", status=CounterStatus.PAUSED, available_from=97.0)
    snapshot = QueueSnapshot(100.0, tickets(1), [overdue])
    habits = PauseModel(pause_min=20.0, pause_sd_min=4.0)

    certain = predict_waits(snapshot, FIXED, np.random.default_rng(9), samples=1000)[0]
    spread = predict_waits(snapshot, FIXED, np.random.default_rng(9), samples=1000, pauses=habits)[0]

    assert certain.estimate_min == 0.0
    assert 0.0 <= spread.low_min < spread.estimate_min < spread.high_min
    # Normal(-3, 4) given it is above 0: median 1.84 minutes, 90th percentile 5.0.
    assert 1.5 < spread.estimate_min < 2.2
    assert 4.5 < spread.high_min < 5.5


def test_it_spreads_the_return_from_a_break_around_the_planned_time() -> None:
    paused = counter("1", status=CounterStatus.PAUSED, available_from=110.0)
    snapshot = QueueSnapshot(100.0, tickets(1), [paused])

    p = predict_waits(snapshot, FIXED, np.random.default_rng(10), samples=2000, pauses=PauseModel(pause_sd_min=4.0))[0]

    assert abs(p.estimate_min - 10.0) < 0.5
    assert abs(p.low_min - (10.0 - 1.2816 * 4)) < 0.6
    assert abs(p.high_min - (10.0 + 1.2816 * 4)) < 0.6


def test_it_varies_the_length_of_breaks_still_to_come() -> None:
    fixed_length = PauseModel(hazard_per_min=(0.0,) * 10 + (0.5,) * 14, pause_min=30.0)
    varied_length = PauseModel(hazard_per_min=(0.0,) * 10 + (0.5,) * 14, pause_min=30.0, pause_sd_min=5.0)
    snapshot = QueueSnapshot(now=9 * 60.0 + 50, tickets=tickets(6), counters=[counter("1")])

    fixed = predict_waits(snapshot, FIXED, np.random.default_rng(11), samples=1000, pauses=fixed_length)[-1]
    varied = predict_waits(snapshot, FIXED, np.random.default_rng(11), samples=1000, pauses=varied_length)[-1]

    assert fixed.high_min - fixed.low_min < 1e-6
    assert varied.high_min - varied.low_min > 8.0
    assert abs(varied.estimate_min - fixed.estimate_min) < 1.0


def test_it_lets_the_clerks_speed_shape_the_service_in_progress() -> None:
    busy = counter("1", serving=ServiceInProgress(PASS, started_at=96.0))
    snapshot = QueueSnapshot(now=100.0, tickets=tickets(1), counters=[busy])

    steady = predict_waits(snapshot, FIXED, np.random.default_rng(12), samples=1000)[0]
    varied = predict_waits(snapshot, FIXED, np.random.default_rng(12), samples=1000, counter_speed_sd=0.2)[0]

    assert steady.high_min - steady.low_min < 1e-6
    assert varied.low_min < 6.0 - 1.0 and varied.high_min > 6.0 + 1.0
