"""Per-process caches start empty in every test.

A test's data lives in a transaction that is rolled back, so the commit that would start a new
generation of the booking setup (``appointments.setup_cache``) never happens; copies made in one test
must not be served to the next, whose rows may even reuse the same primary keys (SQLite).
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from buergerbuero.appointments import setup_cache


@pytest.fixture(autouse=True)
def fresh_setup_copies() -> Iterator[None]:
    setup_cache.clear_local()
    yield
    setup_cache.clear_local()
