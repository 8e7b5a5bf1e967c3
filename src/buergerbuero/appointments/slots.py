"""Free appointment starts from released capacity cells: pure functions, no database."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

__all__ = ["Cell", "free_starts"]


@dataclass(frozen=True)
class Cell:
    """One released grid cell of one group with the appointments it can still take."""

    starts_at: datetime
    ends_at: datetime
    free: int


def free_starts(cells: Sequence[Cell], cells_needed: int, *, after: datetime) -> list[datetime]:
    """The starts of every run of ``cells_needed`` consecutive cells that all have room, later than
    ``after``. ``cells`` are one group's cells ordered by start; a gap between two cells (a break, the
    closing time, a day) ends a run.
    """
    if cells_needed <= 0:
        raise ValueError("an appointment covers at least one cell")
    starts: list[datetime] = []
    run = 0  # cells with room ending at index i, contiguous
    for i, cell in enumerate(cells):
        contiguous = i > 0 and cells[i - 1].ends_at == cell.starts_at
        run = (run + 1 if contiguous else 1) if cell.free > 0 else 0
        if run >= cells_needed:
            first = cells[i - cells_needed + 1]
            if first.starts_at > after:
                starts.append(first.starts_at)
    return starts
