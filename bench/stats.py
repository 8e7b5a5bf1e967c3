"""Figures the benchmarks share."""

from __future__ import annotations


def percentile(values: list[float], share: float) -> float:
    """The nearest-rank value at ``share`` (0..1) of ``values``; NaN when there are none."""
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))]
