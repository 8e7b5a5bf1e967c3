"""The event bus: after commit, never on rollback, in every process, and a resync after a lost connection.

Each test runs its async side in its own event loop (``asyncio.run`` in a thread of its own) and publishes from a thread
with its own database connection, as a view or task would. The memory backend runs on any database;
the PostgreSQL backend only when the tests run on PostgreSQL.
"""

from __future__ import annotations

import asyncio
import os
import sys
from collections.abc import Awaitable, Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from django.db import connection, connections, transaction

from buergerbuero.core import events
from tests.harness.loops import run_in_own_loop

ROOT = Path(__file__).resolve().parent.parent.parent

pytestmark = pytest.mark.django_db(transaction=True)

on_postgres = pytest.mark.skipif(
    os.environ.get("DATABASE_URL", "").split(":")[0] not in ("postgres", "postgresql"),
    reason="the PostgreSQL backend needs DATABASE_URL=postgres://…",
)


@pytest.fixture(params=["memory", pytest.param("postgres", marks=on_postgres)])
def bus(request: pytest.FixtureRequest, settings: Any) -> Iterator[str]:
    settings.EVENT_BUS = request.param
    yield request.param
    assert events.subscriber_count() == 0, "a subscription was left open"


async def in_thread(publish: Callable[[], None]) -> None:
    """Run ``publish`` in another thread with a database connection of its own, like a sync view."""

    def run() -> None:
        try:
            publish()
        finally:
            connections.close_all()

    await asyncio.to_thread(run)


async def next_event(subscription: events.Subscription, timeout: float = 5.0) -> events.Event:
    async with asyncio.timeout(timeout):
        return await anext(subscription)


def run(scenario: Callable[[], Awaitable[None]]) -> None:
    run_in_own_loop(scenario)


def test_it_delivers_after_commit_and_nothing_on_rollback(bus: str) -> None:
    async def scenario() -> None:
        async with events.subscribe("queue.office.1") as subscription:

            def rolled_back() -> None:
                with pytest.raises(RuntimeError), transaction.atomic():
                    events.publish("queue.office.1", {"kind": "rolled back"})
                    raise RuntimeError

            def committed() -> None:
                with transaction.atomic():
                    events.publish("queue.office.1", {"kind": "committed", "n": 1})
                    assert subscription.pending() == 0  # not before the commit

            await in_thread(rolled_back)
            await in_thread(committed)
            assert await next_event(subscription) == {"kind": "committed", "n": 1}
            await in_thread(lambda: events.publish("queue.office.1", {"kind": "outside a transaction"}))
            assert await next_event(subscription) == {"kind": "outside a transaction"}
            assert subscription.pending() == 0

    run(scenario)


def test_it_delivers_to_every_subscriber_of_the_channel_once_and_to_no_other(bus: str) -> None:
    async def scenario() -> None:
        async with (
            events.subscribe("queue.office.1") as first,
            events.subscribe("queue.office.1") as second,
            events.subscribe("queue.office.2") as other,
        ):
            assert events.subscriber_count() == 3
            await in_thread(lambda: events.publish("queue.office.1", {"kind": "called", "ticket": "A001"}))
            await in_thread(lambda: events.publish("queue.office.2", {"kind": "marker"}))
            assert await next_event(first) == {"kind": "called", "ticket": "A001"}
            assert await next_event(second) == {"kind": "called", "ticket": "A001"}
            assert await next_event(other) == {"kind": "marker"}  # the office-1 event never reached it
            await in_thread(lambda: events.publish("queue.office.1", {"kind": "marker"}))
            assert await next_event(first) == {"kind": "marker"}  # exactly once: no second copy before it
        assert events.subscriber_count() == 0

    run(scenario)


def test_it_unsubscribes_a_cancelled_subscriber(bus: str) -> None:
    async def scenario() -> None:
        entered = asyncio.Event()

        async def listen() -> None:
            async with events.subscribe("queue.office.1") as subscription:
                entered.set()
                await next_event(subscription, timeout=60)

        task = asyncio.create_task(listen())
        await entered.wait()
        assert events.subscriber_count() == 1
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
        assert events.subscriber_count() == 0

    run(scenario)


def test_it_refuses_payloads_larger_than_notify_allows(bus: str) -> None:
    with pytest.raises(ValueError, match="more than 7000"):
        events.publish("queue.office.1", {"blob": "x" * 7000})
    events.publish("queue.office.1", {"blob": "x" * 6000})  # small enough


def test_it_replaces_a_backlog_that_nobody_reads_with_one_resync(settings: Any) -> None:
    settings.EVENT_BUS = "memory"

    async def scenario() -> None:
        async with events.subscribe("queue.office.1") as subscription:

            def flood() -> None:
                for n in range(events.MAX_PENDING + 10):
                    events.publish("queue.office.1", {"n": n})

            await in_thread(flood)
            await asyncio.sleep(0.05)  # let the loop take every hand-over
            # The event that overflowed the backlog became the resync; the nine after it follow.
            assert subscription.pending() == 10
            assert await next_event(subscription) == {"type": "resync"}
            assert await next_event(subscription) == {"n": events.MAX_PENDING + 1}

    run(scenario)


def test_it_picks_the_backend_from_the_database(settings: Any) -> None:
    settings.EVENT_BUS = "auto"
    assert events.backend_name() == ("postgres" if connection.vendor == "postgresql" else "memory")


@on_postgres
def test_it_delivers_events_published_by_another_process(settings: Any) -> None:
    settings.EVENT_BUS = "postgres"
    database = connection.settings_dict["NAME"]
    url = os.environ["DATABASE_URL"].rsplit("/", 1)[0] + f"/{database}"
    env = {**os.environ, "DATABASE_URL": url, "DB_POOL_MAX_SIZE": "0", "PYTHONPATH": str(ROOT / "src")}
    code = "from buergerbuero.core import events; events.publish('queue.office.9', {'kind': 'from afar', 'pid': 1})"

    async def scenario() -> None:
        async with events.subscribe("queue.office.9") as subscription:
            process = await asyncio.create_subprocess_exec(
                sys.executable, str(ROOT / "manage.py"), "shell", "-c", code, env=env, cwd=ROOT
            )
            assert await process.wait() == 0
            assert await next_event(subscription, timeout=10) == {"kind": "from afar", "pid": 1}

    run(scenario)


@on_postgres
def test_it_reconnects_after_the_connection_drops_and_tells_subscribers_to_resync(settings: Any) -> None:
    settings.EVENT_BUS = "postgres"

    def kill(pid: int) -> None:
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_terminate_backend(%s)", [pid])

    async def scenario() -> None:
        async with events.subscribe("queue.office.1") as subscription:
            pid = events.listener_backend_pid()
            assert pid is not None
            await in_thread(lambda: kill(pid))
            assert await next_event(subscription, timeout=10) == {"type": "resync"}
            assert events.listener_backend_pid() not in (None, pid)
            await in_thread(lambda: events.publish("queue.office.1", {"kind": "after the drop"}))
            assert await next_event(subscription) == {"kind": "after the drop"}

    run(scenario)
