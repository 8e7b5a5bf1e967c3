from collections.abc import Sequence
from datetime import date, timedelta

import pytest

from buergerbuero.analytics.forecast_evaluation import Forecaster, evaluate_rolling_origin
from buergerbuero.analytics.forecasting import HourlyValue, Slot, forecast, monday_of, slots_for_following_weeks
from buergerbuero.analytics.office_calendar import OfficeCalendar

from .synthetic import FIRST_MONDAY, OPENING_HOURS, synthetic_history, true_wait

NO_HOLIDAYS = OfficeCalendar(public_holidays=frozenset(), school_holidays=frozenset())


def forecast_without_holidays(history: Sequence[HourlyValue], slots: Sequence[Slot]) -> list[HourlyValue]:
    return forecast(history, slots, calendar=NO_HOLIDAYS)


def test_it_reproduces_a_noisy_weekly_profile_much_better_than_the_naive_forecast() -> None:
    history = synthetic_history(60)
    evaluation = evaluate_rolling_origin(history, year=2029, forecaster=forecast_without_holidays)
    assert evaluation.overall.hours > 1000
    assert evaluation.overall.mae_ratio < 0.8


def test_it_forecasts_close_to_the_true_profile() -> None:
    history = synthetic_history(30)
    monday = FIRST_MONDAY + timedelta(weeks=30)
    slots = [Slot(day=monday + timedelta(days=3), hour=hour) for hour in OPENING_HOURS[3]]
    for predicted in forecast(history, slots, calendar=NO_HOLIDAYS):
        expected = true_wait(predicted.day, predicted.hour)
        assert abs(predicted.value - expected) < 0.2 * expected + 2


def test_it_refuses_a_history_that_reaches_into_the_forecast_week() -> None:
    history = synthetic_history(10)
    wednesday_of_last_week = FIRST_MONDAY + timedelta(weeks=9, days=2)
    with pytest.raises(ValueError, match="before the forecast origin"):
        forecast(history, [Slot(day=wednesday_of_last_week, hour=9)], calendar=NO_HOLIDAYS)


def test_it_never_lets_rows_of_the_forecast_week_or_later_change_the_forecast() -> None:
    clean = synthetic_history(40)
    poisoned_from = FIRST_MONDAY + timedelta(weeks=30)
    poisoned = [
        HourlyValue(row.day, row.hour, row.value * 50 + 999) if row.day >= poisoned_from else row for row in clean
    ]
    seen: dict[str, dict[date, list[HourlyValue]]] = {"clean": {}, "poisoned": {}}

    def recording(name: str) -> Forecaster:
        def forecaster(known: Sequence[HourlyValue], slots: Sequence[Slot]) -> list[HourlyValue]:
            origin = monday_of(slots[0].day)
            assert max(row.day for row in known) < origin
            seen[name][origin] = forecast_without_holidays(known, slots)
            return seen[name][origin]

        return forecaster

    evaluate_rolling_origin(clean, year=2029, forecaster=recording("clean"))
    evaluate_rolling_origin(poisoned, year=2029, forecaster=recording("poisoned"))
    assert seen["clean"][poisoned_from] == seen["poisoned"][poisoned_from]
    later = poisoned_from + timedelta(weeks=1)
    assert seen["clean"][later] != seen["poisoned"][later]  # the poison is real once it is in the past


def test_it_forecasts_a_holiday_as_closed_when_the_history_shows_holidays_closed() -> None:
    holidays = [FIRST_MONDAY + timedelta(weeks=week, days=2) for week in (5, 12, 20)]
    history = [HourlyValue(row.day, row.hour, 2.0) if row.day in holidays else row for row in synthetic_history(26)]
    holiday_ahead = FIRST_MONDAY + timedelta(weeks=27, days=2)
    calendar = OfficeCalendar(public_holidays=frozenset([*holidays, holiday_ahead]), school_holidays=frozenset())
    predictions = forecast(
        history, [Slot(holiday_ahead, 10), Slot(holiday_ahead + timedelta(days=1), 10)], calendar=calendar
    )
    assert predictions[0].value == 2.0
    assert predictions[1].value > 10.0


def test_it_follows_the_data_when_the_office_opens_on_holidays() -> None:
    holidays = [FIRST_MONDAY + timedelta(weeks=week, days=2) for week in (5, 12, 20)]
    history = synthetic_history(26)
    holiday_ahead = FIRST_MONDAY + timedelta(weeks=27, days=2)
    calendar = OfficeCalendar(public_holidays=frozenset([*holidays, holiday_ahead]), school_holidays=frozenset())
    holiday_values = sorted(row.value for row in history if row.day in holidays)
    [prediction] = forecast(history, [Slot(holiday_ahead, 10)], calendar=calendar)
    assert holiday_values[0] <= prediction.value <= holiday_values[-1]
    assert prediction.value > 5.0


def test_it_assumes_closed_on_a_holiday_the_history_has_never_seen() -> None:
    history = synthetic_history(10)
    holiday_ahead = FIRST_MONDAY + timedelta(weeks=10, days=1)
    calendar = OfficeCalendar(public_holidays=frozenset([holiday_ahead]), school_holidays=frozenset())
    [prediction] = forecast(history, [Slot(holiday_ahead, 10)], calendar=calendar)
    assert prediction.value == min(row.value for row in history)


def test_it_learns_that_school_holidays_are_busier() -> None:
    school = frozenset(
        FIRST_MONDAY + timedelta(days=offset) for offset in [*range(35, 49), *range(140, 154), *range(182, 196)]
    )
    history = synthetic_history(30, wait=lambda day, hour: true_wait(day, hour) * (1.6 if day in school else 1.0))
    tuesday = FIRST_MONDAY + timedelta(weeks=31, days=1)
    slots = [Slot(tuesday, 10), Slot(tuesday + timedelta(weeks=1), 10)]
    calendar = OfficeCalendar(public_holidays=frozenset(), school_holidays=school | {slots[1].day})
    regular, holiday = forecast(history, slots, calendar=calendar)
    assert holiday.value > 1.3 * regular.value


def test_it_forecasts_exactly_the_opening_hours_of_the_following_iso_weeks() -> None:
    history = synthetic_history(12)
    slots = slots_for_following_weeks(history, 2)
    first_monday = FIRST_MONDAY + timedelta(weeks=12)
    expected = {
        (first_monday + timedelta(weeks=week, days=weekday), hour)
        for week in range(2)
        for weekday, hours in OPENING_HOURS.items()
        for hour in hours
    }
    assert {(slot.day, slot.hour) for slot in slots} == expected
    assert len(slots) == len(expected)


def test_it_follows_changed_opening_hours() -> None:
    history = [
        row
        for row in synthetic_history(20)
        if not (row.day.weekday() == 3 and row.hour >= 13 and row.day >= FIRST_MONDAY + timedelta(weeks=10))
    ]
    slots = slots_for_following_weeks(history, 1)
    assert not [slot for slot in slots if slot.day.weekday() == 3 and slot.hour >= 13]


def test_it_rejects_a_non_positive_number_of_weeks() -> None:
    with pytest.raises(ValueError, match="at least 1"):
        slots_for_following_weeks(synthetic_history(2), 0)
