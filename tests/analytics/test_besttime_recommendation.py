"""The "best time to come" grid and recommendation from a hand-made forecast (pure; no database)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest
from django.utils import translation

from buergerbuero.analytics.selectors_besttime import (
    HourCell,
    Recommendation,
    charts_for,
    grid,
    quietest,
    recommendation_text,
)

BERLIN = ZoneInfo("Europe/Berlin")
TUESDAY = date(2026, 11, 17)
WAITS = {8: 25.0, 9: 30.0, 10: 22.0, 11: 18.0, 13: 12.0, 14: 9.6, 15: 10.4}


@pytest.fixture(autouse=True)
def english() -> Iterator[None]:
    with translation.override("en"):
        yield


def _day(day: date, waits: dict[int, float] = WAITS) -> list[HourCell]:
    return [HourCell(day=day, hour=hour, arrivals=wait / 2, wait_min=wait) for hour, wait in waits.items()]


def _at(hour: int, minute: int = 0, day: date = TUESDAY) -> datetime:
    return datetime(day.year, day.month, day.day, hour, minute, tzinfo=BERLIN)


def test_it_recommends_the_quietest_hours_still_ahead_today() -> None:
    cells = _day(TUESDAY) + _day(date(2026, 11, 18), {8: 1.0})
    recommendation = quietest(cells, now=_at(9, 30))
    assert recommendation == Recommendation(
        day=TUESDAY, start_hour=14, end_hour=16, wait_min=10.4, is_today=True
    )  # 15:00 is within a minute of 14:00, so the stretch is 14–16
    assert recommendation_text(recommendation) == "Quietest today: 14:00–16:00, about 10 min wait"


def test_an_hour_with_less_than_half_an_hour_left_is_not_recommended() -> None:
    cells = _day(TUESDAY, {14: 5.0, 15: 20.0})
    assert quietest(cells, now=_at(14, 20)).start_hour == 14  # 40 minutes left
    assert quietest(cells, now=_at(14, 40)).start_hour == 15  # 20 minutes left: 15–16 instead


def test_when_today_is_over_or_closed_it_names_the_next_open_day() -> None:
    thursday = date(2026, 11, 19)
    cells = _day(TUESDAY) + _day(thursday, {8: 4.0, 9: 2.2, 10: 7.0})
    recommendation = quietest(cells, now=_at(17, 0))
    assert recommendation == Recommendation(day=thursday, start_hour=9, end_hour=10, wait_min=2.2, is_today=False)
    assert recommendation_text(recommendation) == "Quietest on Thursday, 11/19/2026: 9:00–10:00, about 2 min wait"
    with translation.override("de"):
        assert "Donnerstag, 19.11.2026" in recommendation_text(recommendation)
    assert quietest(_day(TUESDAY), now=_at(17, 0)) is None
    assert recommendation_text(None) == ""


def test_the_grid_has_weekday_rows_from_monday_hour_columns_and_gaps() -> None:
    monday = date(2026, 11, 23)
    cells = _day(TUESDAY) + _day(monday, {8: 3.4}) + _day(date(2026, 11, 24), {8: 99.0})  # next Tuesday: not shown
    week = grid(cells, today=TUESDAY)
    assert [day.weekday() for day in week.days] == [0, 1, 2, 3, 4]  # no Saturday without opening hours
    assert week.days[0] == monday and week.days[1] == TUESDAY
    assert week.hours == [8, 9, 10, 11, 13, 14, 15]
    assert week.waits[0] == [3, None, None, None, None, None, None]
    assert week.waits[1] == [25, 30, 22, 18, 12, 10, 10]
    assert week.waits[2] == [None] * 7  # Wednesday: no forecast (closed)
    saturday = date(2026, 11, 21)
    assert grid(cells + _day(saturday, {9: 5.0}), today=TUESDAY).days[-1] == saturday


def test_the_charts_mark_the_current_hour_with_the_live_queue() -> None:
    week = grid(_day(TUESDAY), today=TUESDAY)
    wait_chart, busy_chart = charts_for(week, now=_at(9, 30), waiting=4)
    tuesday_row = wait_chart.table.rows[1]
    assert tuesday_row[0] == "Tue"
    assert tuesday_row[2] == "30\u00a0min (now: 4 people waiting)"
    assert busy_chart.table.rows[1][2] == "15 (now: 4 people waiting)"
    assert "chart__marker" in str(wait_chart.svg)
    closed_now, _ = charts_for(week, now=_at(12, 30), waiting=0)  # lunch break: no such column
    assert "chart__marker" not in str(closed_now.svg)
