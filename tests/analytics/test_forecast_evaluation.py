from collections.abc import Sequence
from datetime import timedelta

from buergerbuero.analytics.forecast_evaluation import Forecaster, evaluate_rolling_origin
from buergerbuero.analytics.forecasting import HourlyValue, Slot

from .synthetic import FIRST_MONDAY, synthetic_history


def constant(value: float) -> Forecaster:
    def forecaster(known: Sequence[HourlyValue], slots: Sequence[Slot]) -> list[HourlyValue]:
        return [HourlyValue(slot.day, slot.hour, value) for slot in slots]

    return forecaster


def test_it_compares_model_and_naive_on_the_same_hours_and_counts_the_rest() -> None:
    history = synthetic_history(6)
    gap_week = FIRST_MONDAY + timedelta(weeks=3)
    with_gap = [row for row in history if not gap_week <= row.day < gap_week + timedelta(weeks=1)]
    evaluation = evaluate_rolling_origin(with_gap, year=2029, forecaster=constant(10.0))
    hours_per_week = len(history) // 6
    # Week 1 has no known rows, week 2 none after the gap: 2 weeks without naive values.
    assert evaluation.weeks == 5
    assert evaluation.excluded_hours == 2 * hours_per_week
    assert evaluation.overall.hours == 3 * hours_per_week
    assert sum(summary.hours for summary in evaluation.by_weekday.values()) == evaluation.overall.hours


def test_it_reports_the_ratio_of_model_to_naive_error() -> None:
    history = [HourlyValue(FIRST_MONDAY + timedelta(weeks=week), 9, 10.0 + 4 * (week % 2)) for week in range(4)]
    evaluation = evaluate_rolling_origin(history, year=2029, forecaster=constant(12.0))
    assert evaluation.overall.naive_mae == 4.0
    assert evaluation.overall.model_mae == 2.0
    assert evaluation.overall.mae_ratio == 0.5
    assert list(evaluation.by_weekday) == ["Mon"]
