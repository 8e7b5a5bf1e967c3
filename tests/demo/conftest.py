"""The demo, loaded once per test module that asks for it, instead of once per test.

``load_demo`` takes most of a minute; a module-scoped fixture loads it inside one transaction that
is rolled back after the module's last test. Each ``django_db`` test of the module runs in a savepoint
inside it, so the tests see the loaded demo and cannot change it for each other.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.db import transaction
from pytest_django import DjangoDbBlocker

from buergerbuero.core.tenancy import scopes_disabled
from buergerbuero.demo.loader import load_demo
from buergerbuero.tenants.models import District

#: A Tuesday morning: every demo office is open, so the demo also loads today's live queue.
DURING_OPENING = dt.datetime(2026, 11, 17, 10, 15, tzinfo=ZoneInfo("Europe/Berlin"))


@pytest.fixture(scope="module")
def demo_during_opening(django_db_setup: None, django_db_blocker: DjangoDbBlocker) -> Iterator[District]:
    """The demo loaded at ``DURING_OPENING`` (the clock keeps ticking from there for the module's
    tests); scopes are disabled, as in the loader."""
    with (
        django_db_blocker.unblock(),
        time_machine.travel(DURING_OPENING, tick=True),
        scopes_disabled(),
        transaction.atomic(),
    ):
        yield load_demo()
        transaction.set_rollback(True)
