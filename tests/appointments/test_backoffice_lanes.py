"""Counter lanes of the staff day view: pure interval partitioning, no database."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st

from buergerbuero.appointments.lanes import Span, assign_lanes, lane_count, max_overlap

BERLIN = ZoneInfo("Europe/Berlin")
DAY = dt.datetime(2026, 11, 17, 8, 0, tzinfo=BERLIN)


def span(key: str, start: int, minutes: int) -> Span[str]:
    """``key`` from ``start`` minutes after 08:00 for ``minutes``."""
    return Span(key=key, start=DAY + dt.timedelta(minutes=start), end=DAY + dt.timedelta(minutes=start + minutes))


def test_it_puts_appointments_one_after_another_into_one_lane() -> None:
    lanes = assign_lanes([span("a", 0, 10), span("b", 10, 10), span("c", 20, 10)])
    assert lanes == {"a": 0, "b": 0, "c": 0}


def test_it_puts_overlapping_appointments_side_by_side_and_reuses_the_lowest_free_lane() -> None:
    lanes = assign_lanes([span("a", 0, 30), span("b", 0, 10), span("c", 5, 10), span("d", 15, 10)])
    assert lanes["b"] == 0  # at equal starts the shorter one goes first
    assert lanes["a"] == 1
    assert lanes["c"] == 2
    assert lanes["d"] == 0  # b's lane and c's lane are free again at 08:15; the lower one is taken
    assert lane_count(lanes) == 3 == max_overlap([span("a", 0, 30), span("b", 0, 10), span("c", 5, 10)])


def test_it_gives_the_same_lanes_whatever_order_the_appointments_come_in() -> None:
    spans = [span("a", 0, 30), span("b", 0, 10), span("c", 10, 10), span("d", 20, 20)]
    assert assign_lanes(spans) == assign_lanes(list(reversed(spans)))


def test_it_needs_no_lane_for_an_empty_day() -> None:
    assert assign_lanes([]) == {}
    assert lane_count({}) == 0
    assert max_overlap([]) == 0


def test_it_refuses_empty_spans_and_duplicate_keys() -> None:
    with pytest.raises(ValueError):
        span("a", 10, 0)
    with pytest.raises(ValueError):
        assign_lanes([span("a", 0, 10), span("a", 20, 10)])


spans_strategy = st.lists(
    st.tuples(st.integers(min_value=0, max_value=480), st.integers(min_value=1, max_value=120)), max_size=40
).map(lambda pairs: [span(str(i), start, minutes) for i, (start, minutes) in enumerate(pairs)])


@given(spans_strategy)
def test_it_never_puts_two_overlapping_appointments_into_one_lane(spans: list[Span[str]]) -> None:
    lanes = assign_lanes(spans)
    assert set(lanes) == {s.key for s in spans}
    for first in spans:
        for second in spans:
            if first.key != second.key and first.start < second.end and second.start < first.end:
                assert lanes[first.key] != lanes[second.key]


@given(spans_strategy)
def test_it_uses_exactly_as_many_lanes_as_appointments_overlap_at_most(spans: list[Span[str]]) -> None:
    lanes = assign_lanes(spans)
    assert lane_count(lanes) == max_overlap(spans)
    assert set(lanes.values()) == set(range(lane_count(lanes)))  # no lane left empty
