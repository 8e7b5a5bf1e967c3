"""free_starts: runs of consecutive cells with room, checked against a brute-force definition."""

from __future__ import annotations

import datetime as dt

from hypothesis import given
from hypothesis import strategies as st

from buergerbuero.appointments.slots import Cell, free_starts

T0 = dt.datetime(2026, 11, 18, 8, tzinfo=dt.UTC)
GRID = dt.timedelta(minutes=5)


def cells_from(pattern: list[tuple[int, bool]]) -> list[Cell]:
    """(free, gap before) per cell: a gap skips one grid step, like a lunch break."""
    cells, at = [], T0
    for free, gap in pattern:
        if gap:
            at += GRID
        cells.append(Cell(starts_at=at, ends_at=at + GRID, free=free))
        at += GRID
    return cells


def test_it_finds_runs_and_stops_at_breaks() -> None:
    cells = cells_from([(1, False), (1, False), (0, False), (1, False), (1, True), (2, False)])
    assert free_starts(cells, 2, after=T0 - GRID) == [cells[0].starts_at, cells[4].starts_at]
    assert free_starts(cells, 1, after=T0) == [c.starts_at for c in cells if c.free and c.starts_at > T0]


@given(st.lists(st.tuples(st.integers(0, 2), st.booleans()), max_size=40), st.integers(1, 4))
def test_it_matches_the_definition(pattern: list[tuple[int, bool]], needed: int) -> None:
    cells = cells_from(pattern)
    expected = [
        cells[i].starts_at
        for i in range(len(cells) - needed + 1)
        if all(c.free > 0 for c in cells[i : i + needed])
        and all(cells[j].ends_at == cells[j + 1].starts_at for j in range(i, i + needed - 1))
    ]
    assert free_starts(cells, needed, after=T0 - GRID) == expected
