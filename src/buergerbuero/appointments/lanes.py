"""Counter lanes of a staff day view: plain data in, plain data out (no database).

Appointments do not name a counter; a group's counters serve whoever is next. For the day view they
are still drawn in lanes, one column per counter the day needs, so that appointments at the same
time stand side by side. This is interval partitioning: appointments are taken in order of start
and each goes to the lowest-numbered lane that is free at its start. The greedy choice needs exactly
as many lanes as appointments overlap at the busiest moment, which no assignment can beat.

Intervals are half-open (``start <= t < end``): an appointment ending at 10:00 and one starting at
10:00 may share a lane. The result depends only on the set of appointments, so an appointment keeps
its lane every time the day view is drawn, and on print.
"""

from __future__ import annotations

import heapq
from collections.abc import Hashable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Generic, TypeVar

__all__ = ["Span", "assign_lanes", "lane_count", "max_overlap"]

K = TypeVar("K", bound=Hashable)


@dataclass(frozen=True)
class Span(Generic[K]):
    """Something that occupies a counter from ``start`` (inclusive) to ``end`` (exclusive)."""

    key: K
    start: datetime
    end: datetime

    def __post_init__(self) -> None:
        if self.end <= self.start:
            raise ValueError(f"a span must end after it starts: {self.key!r}")


def assign_lanes(spans: Sequence[Span[K]]) -> dict[K, int]:
    """The lane (0, 1, …) of each span's key; overlapping spans never share a lane.

    Ties are broken by end and then by position in ``spans``, so equal inputs give equal outputs.
    Raises ``ValueError`` when two spans have the same key.
    """
    if len({span.key for span in spans}) != len(spans):
        raise ValueError("span keys must be unique")
    order = sorted(range(len(spans)), key=lambda i: (spans[i].start.timestamp(), spans[i].end.timestamp(), i))
    busy: list[tuple[float, int]] = []  # (end, lane) of lanes in use, earliest end first
    free: list[int] = []  # lanes free again, lowest first
    lanes: dict[K, int] = {}
    used = 0
    for i in order:
        span = spans[i]
        start = span.start.timestamp()
        while busy and busy[0][0] <= start:
            heapq.heappush(free, heapq.heappop(busy)[1])
        if free:
            lane = heapq.heappop(free)
        else:
            lane, used = used, used + 1
        lanes[span.key] = lane
        heapq.heappush(busy, (span.end.timestamp(), lane))
    return lanes


def lane_count(lanes: Mapping[K, int]) -> int:
    """How many lanes an assignment uses."""
    return max(lanes.values(), default=-1) + 1


def max_overlap(spans: Sequence[Span[K]]) -> int:
    """The most spans that overlap at any moment (the lower bound for any lane assignment)."""
    events = sorted(
        [(span.start.timestamp(), 1) for span in spans] + [(span.end.timestamp(), -1) for span in spans]
    )  # at equal times an end (-1) sorts before a start (+1): half-open intervals
    current = peak = 0
    for _, change in events:
        current += change
        peak = max(peak, current)
    return peak
