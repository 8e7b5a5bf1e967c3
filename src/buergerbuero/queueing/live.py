"""The live state of an office, once per process, for every display and phone that watches it.

One ``OfficeHub`` per office and event loop: ONE event-bus subscription however many browsers
watch. On an event the hub rebuilds the state once (``selectors.office_live_state`` in a thread),
serialises it once into an SSE message and wakes every watcher. Watchers only ever need the latest
state, so the hub keeps one "latest bytes" slot and one wake-up future per waiting watcher: a watcher
costs no queue, and a slow client never makes the server hold more than that one message for it.

Bursts coalesce: events that arrive while a rebuild runs cause exactly one more rebuild. A
``resync`` from the bus (the listener reconnected) is just another reason to rebuild. The hub
is dropped when its last watcher leaves.
"""

from __future__ import annotations

import asyncio
import contextvars
import json
import logging
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from typing import Any

from asgiref.sync import sync_to_async
from django.core.serializers.json import DjangoJSONEncoder
from django.db import connections

from buergerbuero.core import events

from .events import office_channel

logger = logging.getLogger(__name__)

StateBuilder = Callable[[int], dict[str, Any]]

#: Seconds to wait before trying again when a rebuild failed (the database was away).
REBUILD_RETRY_SECONDS = 1.0


def default_state(office_id: int) -> dict[str, Any]:
    from .selectors import office_live_state

    return office_live_state(office_id)


def _releasing(build: StateBuilder) -> StateBuilder:
    """``build`` that gives its thread's database connection back afterwards: rebuilds run in a shared
    thread pool that no request ends, so a kept connection would stay checked out for good."""

    def run(office_id: int) -> dict[str, Any]:
        try:
            return build(office_id)
        finally:
            connections.close_all()

    return run


def sse_message(state: dict[str, Any]) -> bytes:
    """``id: <version>``, ``event: state`` and the state as one line of JSON."""
    data = json.dumps(state, cls=DjangoJSONEncoder, separators=(",", ":"), ensure_ascii=False)
    return f"id: {state.get('version', '')}\nevent: state\ndata: {data}\n\n".encode()


class OfficeHub:
    """The shared live state of one office in one event loop."""

    def __init__(self, office_id: int, build: StateBuilder) -> None:
        self.office_id = office_id
        self._build = sync_to_async(_releasing(build), thread_sensitive=False)
        self.loop = asyncio.get_running_loop()
        self.watchers = 0
        self.latest: bytes = b""
        self.version: Any = None
        self.rebuilds = 0
        self.ready: asyncio.Future[None] = self.loop.create_future()
        # One future per waiting watcher, all resolved on a change: a watcher that leaves cancels only
        # its own (a shared future would be cancelled with the first watcher's task).
        self._waiters: set[asyncio.Future[None]] = set()
        self._dirty = asyncio.Event()
        # A fresh context: the hub outlives the request that started it, so it must not inherit that
        # request's thread-sensitive executor (asgiref) or its tenant scope.
        self.task = self.loop.create_task(self._run(), context=contextvars.Context())

    async def _run(self) -> None:
        try:
            async with events.subscribe(office_channel(self.office_id)) as subscription:
                await self._rebuild()  # after subscribing: nothing falls between the read and the stream
                if not self.ready.done():
                    self.ready.set_result(None)
                rebuilding = self.loop.create_task(self._rebuild_when_dirty())
                try:
                    async for _event in subscription:
                        self._dirty.set()  # any event, "resync" included, means: read the state again
                finally:
                    rebuilding.cancel()
        except asyncio.CancelledError:
            raise
        except Exception as error:
            logger.exception("live hub of office %s failed", self.office_id)
            if not self.ready.done():
                self.ready.set_exception(error)
            raise

    async def _rebuild_when_dirty(self) -> None:
        while True:
            await self._dirty.wait()
            self._dirty.clear()  # events from now on cause one more rebuild after this one
            try:
                await self._rebuild()
            except Exception:
                logger.exception("rebuilding the live state of office %s failed; retrying", self.office_id)
                await asyncio.sleep(REBUILD_RETRY_SECONDS)
                self._dirty.set()

    async def _rebuild(self) -> None:
        state = await self._build(self.office_id)
        self.rebuilds += 1
        message = sse_message(state)
        if message == self.latest:
            return
        self.latest, self.version = message, state.get("version")
        waiters, self._waiters = self._waiters, set()
        for waiter in waiters:  # wakes every watcher at once
            if not waiter.done():
                waiter.set_result(None)

    async def next_change(self, seen: bytes, timeout: float) -> bytes | None:
        """The latest message once it differs from ``seen``; ``None`` after ``timeout`` seconds."""
        if self.latest is not seen:
            return self.latest
        # Not asyncio.wait on one shared future: that costs a waiter future, a callback on the shared
        # future and a timeout per wake-up, and each heartbeat timeout removes its callback from a list
        # as long as the number of watchers. Here: one future and one timer per wake-up.
        waiter = self.loop.create_future()
        self._waiters.add(waiter)
        timer = self.loop.call_later(timeout, _wake, waiter)
        try:
            await waiter
        finally:
            timer.cancel()
            self._waiters.discard(waiter)
        return self.latest if self.latest is not seen else None


def _wake(waiter: asyncio.Future[None]) -> None:
    if not waiter.done():
        waiter.set_result(None)


_hubs: dict[tuple[asyncio.AbstractEventLoop, int], OfficeHub] = {}


def hub_count() -> int:
    return len(_hubs)


def hub_of(office_id: int) -> OfficeHub | None:
    return _hubs.get((asyncio.get_running_loop(), office_id))


@asynccontextmanager
async def watch(office_id: int, build: StateBuilder = default_state) -> AsyncIterator[OfficeHub]:
    """Join the office's hub (starting it if needed) until the block is left; the first state is ready."""
    key = (asyncio.get_running_loop(), office_id)
    hub = _hubs.get(key)
    if hub is None or hub.task.done():
        hub = _hubs[key] = OfficeHub(office_id, build)
    hub.watchers += 1
    try:
        await asyncio.shield(hub.ready)
        yield hub
    finally:
        hub.watchers -= 1
        if hub.watchers == 0 and _hubs.get(key) is hub:
            del _hubs[key]
            hub.task.cancel()
