"""Days an office is closed as a whole: public holidays of its Land plus local closures."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date

import holidays

__all__ = ["closed_dates"]


def closed_dates(state_code: str, start: date, end: date, local_closures: Iterable[date] = ()) -> frozenset[date]:
    """Public holidays of the German Land ``state_code`` (ISO 3166-2 suffix, e.g. ``"NW"``) and the
    ``local_closures`` (staff outing, Rosenmontag) between ``start`` and ``end``, both inclusive.

    Sundays and other weekly closing days are not listed: the weekly opening hours cover them.
    """
    if end < start:
        return frozenset()
    public = holidays.country_holidays("DE", subdiv=state_code, years=range(start.year, end.year + 1))
    days = {day for day in public if start <= day <= end}
    days.update(day for day in local_closures if start <= day <= end)
    return frozenset(days)
