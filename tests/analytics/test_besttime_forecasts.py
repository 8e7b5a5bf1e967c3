"""recompute_forecasts: 14 days of open hours per office from its ticket history, replaced atomically."""

from __future__ import annotations

from datetime import date, datetime, timedelta

import pytest
import time_machine
from django.core.management import call_command

from buergerbuero.analytics.models import ForecastSlot
from buergerbuero.analytics.services.forecasts import recompute_forecasts
from buergerbuero.analytics.tasks import recompute_office_forecasts
from buergerbuero.core.scheduler import DEFAULT_SCHEDULE
from buergerbuero.core.tenancy import scopes_disabled
from buergerbuero.tenants.models import ClosingDay, Office
from tests.analytics.besttime_tickets import known_wait, weeks_of_tickets
from tests.harness.clock import FIXED_NOW
from tests.queueing.factories import queue_office

pytestmark = [pytest.mark.django_db]

TODAY = FIXED_NOW.date()  # Tuesday, 17 November 2026
OPEN_HOURS = [8, 9, 10, 11, 13, 14, 15]


@pytest.fixture
def office_with_history(office_a: Office) -> Office:
    line = queue_office(office_a)["a"]
    weeks_of_tickets(office_a, line, first_monday=date(2026, 10, 5), weeks=6)
    return office_a


def _slots(office: Office) -> list[tuple[date, int, float, float, datetime]]:
    with scopes_disabled():
        return list(
            ForecastSlot.objects.filter(office=office).values_list(
                "date", "hour", "expected_arrivals", "expected_wait_min", "computed_at"
            )
        )


def test_it_forecasts_every_open_hour_of_the_next_14_days(
    office_with_history: Office, office_b: Office, clock: time_machine.Coordinates
) -> None:
    with scopes_disabled():
        ClosingDay.objects.create(office=office_with_history, date=date(2026, 11, 26), reason="Personalversammlung")
    queue_office(office_b)  # a queue, but no history
    runs = recompute_forecasts()
    slots = _slots(office_with_history)
    days = sorted({row[0] for row in slots})
    expected_days = [
        TODAY + timedelta(days=n)
        for n in range(14)
        if (TODAY + timedelta(days=n)).weekday() < 5 and TODAY + timedelta(days=n) != date(2026, 11, 26)
    ]
    assert days == expected_days  # 17 Nov to 30 Nov: weekdays without the closing day
    assert len(slots) == len(expected_days) * 7 == 63
    assert all(sorted(row[1] for row in slots if row[0] == day) == OPEN_HOURS for day in days)
    assert {run.office_id: run.slots for run in runs} == {office_with_history.pk: 63, office_b.pk: 0}
    assert _slots(office_b) == []  # no history, no forecast
    # the model learned the office's pattern: Monday before noon is busy, Wednesday afternoon quiet
    forecast = {(row[0], row[1]): row[3] for row in slots}
    monday_11 = forecast[(date(2026, 11, 23), 11)]
    wednesday_15 = forecast[(date(2026, 11, 18), 15)]
    assert monday_11 > 1.5 * wednesday_15
    assert monday_11 == pytest.approx(known_wait(date(2026, 11, 23), 11), rel=0.2)  # 37.5
    assert wednesday_15 == pytest.approx(known_wait(date(2026, 11, 18), 15), rel=0.2)  # 18
    assert all(row[2] == pytest.approx(2 + row[1] % 3, abs=0.8) for row in slots)  # 2, 3 or 4 arrivals an hour


def test_a_series_the_model_cannot_fit_falls_back_to_the_weekday_and_hour_average(
    office_a: Office, clock: time_machine.Coordinates
) -> None:
    line = queue_office(office_a)["a"]
    weeks_of_tickets(office_a, line, first_monday=date(2026, 10, 5), weeks=6, arrivals=lambda hour: 3)
    recompute_forecasts(office=office_a)
    slots = _slots(office_a)
    assert len(slots) == 10 * 7
    assert {row[2] for row in slots} == {3.0}  # the same count every hour: nothing to learn, the average


def test_it_is_idempotent_and_replaces_the_previous_forecast(
    office_with_history: Office, clock: time_machine.Coordinates
) -> None:
    recompute_forecasts(office=office_with_history)
    first = _slots(office_with_history)
    recompute_forecasts(office=office_with_history)
    assert _slots(office_with_history) == first
    clock.shift(timedelta(days=1))
    recompute_forecasts(office=office_with_history, days=3)
    later = _slots(office_with_history)
    assert sorted({row[0] for row in later}) == [date(2026, 11, 18), date(2026, 11, 19), date(2026, 11, 20)]


def test_the_hourly_task_recomputes_each_office_once_a_day(
    office_with_history: Office, clock: time_machine.Coordinates
) -> None:
    assert ("buergerbuero.analytics.tasks.recompute_office_forecasts", 3600) in DEFAULT_SCHEDULE
    assert recompute_office_forecasts.call() == {"recomputed": 1, "without_history": 0}
    computed = _slots(office_with_history)[0][4]
    clock.shift(timedelta(hours=5))
    assert recompute_office_forecasts.call() == {"recomputed": 0, "without_history": 0}
    assert _slots(office_with_history)[0][4] == computed
    clock.move_to(datetime(2026, 11, 18, 0, 30, tzinfo=FIXED_NOW.tzinfo))
    assert recompute_office_forecasts.call() == {"recomputed": 1, "without_history": 0}
    assert min(row[0] for row in _slots(office_with_history)) == date(2026, 11, 18)


def test_the_command_recomputes_one_office(office_with_history: Office, clock: time_machine.Coordinates) -> None:
    call_command("recompute_forecasts", "--office", str(office_with_history.pk), "--days", "2")
    assert len(_slots(office_with_history)) == 14
