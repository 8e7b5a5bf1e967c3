"""A fixed clock instead of now(): Tuesday, 17 November 2026, 09:30 in Neuss."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from zoneinfo import ZoneInfo

import pytest
import time_machine

FIXED_NOW = dt.datetime(2026, 11, 17, 9, 30, tzinfo=ZoneInfo("Europe/Berlin"))


@pytest.fixture
def clock() -> Iterator[time_machine.Coordinates]:
    """Freeze time at ``FIXED_NOW``; ``clock.shift(...)`` / ``clock.move_to(...)`` move it."""
    with time_machine.travel(FIXED_NOW, tick=False) as traveller:
        yield traveller
