"""The arithmetic of statistics: percentiles, medians, suppression and periods (no database)."""

from __future__ import annotations

import datetime as dt
import itertools
import statistics as stdlib

import pytest
from django.utils import translation
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from buergerbuero.analytics.statistics import (
    Granularity,
    median,
    percentile,
    period_of,
    periods_between,
    rate,
    suppress,
)

#: The machine is shared with other test runs: slowness is not a failure of the property.
relaxed = settings(deadline=None, suppress_health_check=[HealthCheck.too_slow])
finite = st.floats(min_value=-1e6, max_value=1e6, allow_nan=False, allow_infinity=False)


def test_it_interpolates_linearly_between_ranks() -> None:
    values = [15, 20, 35, 40, 50]
    assert percentile(values, 0) == 15
    assert percentile(values, 100) == 50
    assert percentile(values, 50) == 35
    assert percentile(values, 40) == 29.0  # rank 1.6: 20 + 0.6 × 15
    assert percentile(values, 90) == 46.0  # rank 3.6: 40 + 0.6 × 10
    assert percentile([7], 90) == 7
    assert percentile([], 50) is None


def test_it_takes_the_mean_of_the_middle_two_for_an_even_count() -> None:
    assert median([4, 1, 3, 2]) == 2.5
    assert median([]) is None


def test_it_refuses_percentiles_outside_0_to_100() -> None:
    with pytest.raises(ValueError):
        percentile([1, 2], 101)
    with pytest.raises(ValueError):
        percentile([1, 2], -1)


@relaxed
@given(st.lists(finite, min_size=1, max_size=60))
def test_median_equals_the_standard_library(values: list[float]) -> None:
    assert median(values) == pytest.approx(stdlib.median(values), rel=1e-9, abs=1e-9)


@relaxed
@given(st.lists(finite, min_size=2, max_size=60), st.floats(min_value=0, max_value=100))
def test_percentiles_match_the_inclusive_quantiles_and_stay_in_range(values: list[float], p: float) -> None:
    result = percentile(values, p)
    assert result is not None
    assert min(values) - 1e-6 <= result <= max(values) + 1e-6
    for whole in (10, 25, 50, 75, 90):
        expected = stdlib.quantiles(values, n=100, method="inclusive")[whole - 1]
        assert percentile(values, whole) == pytest.approx(expected, rel=1e-9, abs=1e-6)


@relaxed
@given(st.lists(finite, min_size=1, max_size=40), st.floats(0, 100), st.floats(0, 100))
def test_percentiles_are_monotonic_in_p(values: list[float], p: float, q: float) -> None:
    low, high = sorted((p, q))
    assert percentile(values, low) <= percentile(values, high) + 1e-9  # type: ignore[operator]


def test_it_suppresses_small_counts_but_not_zero() -> None:
    assert suppress(0, 5) == 0
    assert suppress(1, 5) == "<5"
    assert suppress(4, 5) == "<5"
    assert suppress(5, 5) == 5
    assert suppress(120, 5) == 120
    with pytest.raises(ValueError):
        suppress(-1, 5)


@relaxed
@given(st.integers(min_value=0, max_value=10_000), st.integers(min_value=1, max_value=50))
def test_suppression_never_publishes_a_count_below_the_threshold(count: int, threshold: int) -> None:
    shown = suppress(count, threshold)
    if isinstance(shown, int):
        assert shown == count and (count == 0 or count >= threshold)
    else:
        assert 0 < count < threshold and shown == f"<{threshold}"


def test_rate_is_none_without_a_denominator() -> None:
    assert rate(1, 4) == 0.25
    assert rate(0, 0) is None


def test_periods_have_people_s_labels() -> None:
    day = dt.date(2026, 11, 17)
    with translation.override("de"):
        assert period_of(day, Granularity.DAY).label == "17.11.2026"
        week = period_of(day, Granularity.WEEK)
        assert (week.start, week.end, week.key) == (dt.date(2026, 11, 16), dt.date(2026, 11, 23), "2026-W47")
        assert week.label == "KW 47/2026"
        month = period_of(day, Granularity.MONTH)
        assert (month.start, month.end, month.key) == (dt.date(2026, 11, 1), dt.date(2026, 12, 1), "2026-11")
        assert month.label == "November 2026"
    assert period_of(dt.date(2026, 12, 31), Granularity.MONTH).end == dt.date(2027, 1, 1)
    # ISO week 53 of 2026 runs into January 2027.
    assert period_of(dt.date(2027, 1, 1), Granularity.WEEK).key == "2026-W53"


def test_periods_between_cover_the_range_without_gaps() -> None:
    months = periods_between(dt.date(2026, 1, 15), dt.date(2026, 4, 1), Granularity.MONTH)
    assert [p.key for p in months] == ["2026-01", "2026-02", "2026-03", "2026-04"]
    weeks = periods_between(dt.date(2026, 11, 1), dt.date(2026, 11, 30), Granularity.WEEK)
    assert weeks[0].start == dt.date(2026, 10, 26) and weeks[-1].end == dt.date(2026, 12, 7)
    assert all(a.end == b.start for a, b in itertools.pairwise(weeks))
    assert periods_between(dt.date(2026, 2, 1), dt.date(2026, 1, 1), Granularity.DAY) == []
