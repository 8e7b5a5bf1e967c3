"""The event bus: small JSON events from sync code to async subscribers, in every server process.

Publishers are sync code (views in threads, services, tasks, management commands); subscribers are
async code in the ASGI event loop (the live queue's SSE streams)::

    events.publish("queue.office.7", {"kind": "called", "ticket": "A012"})   # delivered after commit

    async with events.subscribe("queue.office.7") as subscription:
        async for event in subscription:   # {"kind": "called", ...} or {"type": "resync"}
            ...

Guarantees:

* **After commit.** An event published inside a transaction is delivered when it commits and never
  if it rolls back; outside a transaction at once.
* **Every process.** Every subscriber of the channel in every process receives it, its own process
  included, exactly once per delivery path.
* **Small JSON.** The payload is encoded once (``DjangoJSONEncoder``: dates, UUIDs, decimals); more
  than ``MAX_PAYLOAD_BYTES`` is refused with ``ValueError`` (PostgreSQL's NOTIFY limit is 8000 bytes).
  Subscribers receive the decoded dict; treat it as read-only (subscribers of one process share it).
* **Possibly missed events are announced.** A subscriber that may have missed events receives
  ``{"type": "resync"}`` and should rebuild its state from the database: after the PostgreSQL
  listener reconnected, or when a subscriber fell more than ``MAX_PENDING`` events behind (its
  backlog is dropped, so a stalled subscriber never grows memory).
* **Subscribed means listening.** ``subscribe`` returns once events published from then on will
  arrive, so read the state after subscribing and nothing falls between the read and the stream.

Backends, chosen by the ``EVENT_BUS`` setting:

* ``memory`` — in-process fan-out through ``transaction.on_commit``; for SQLite and a single server
  process. Events from other processes (``manage.py``, task workers) do not arrive.
* ``postgres`` — ``SELECT pg_notify('buergerbuero_events', …)`` on Django's connection, inside the
  publisher's transaction (PostgreSQL delivers NOTIFY at commit and drops it on rollback). Each event
  loop that has subscribers keeps ONE async psycopg connection (autocommit) that LISTENs and fans out
  to its local subscribers; after a drop it reconnects with exponential backoff and sends ``resync``.
  It checks the connection when nothing arrived for ``LISTEN_IDLE_CHECK_SECONDS``.
* ``auto`` (default) — ``postgres`` when the default database is PostgreSQL, else ``memory``.
"""

from __future__ import annotations

import asyncio
import contextvars
import json
import logging
import random
import threading
import weakref
from collections import deque
from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager
from typing import Any

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.core.serializers.json import DjangoJSONEncoder
from django.db import connection, transaction

logger = logging.getLogger(__name__)

#: The one PostgreSQL NOTIFY channel; the bus's own channel name travels inside the message.
PG_CHANNEL = "buergerbuero_events"
#: PostgreSQL refuses NOTIFY payloads of 8000 bytes and more; the envelope needs a little room.
MAX_PAYLOAD_BYTES = 7000
#: Events a subscriber may have waiting before its backlog is replaced by one ``resync``.
MAX_PENDING = 256
#: Seconds without a notification after which the listener checks that its connection is alive.
LISTEN_IDLE_CHECK_SECONDS = 30.0
#: Seconds ``subscribe`` waits for the listener to be connected before it gives up.
SUBSCRIBE_TIMEOUT_SECONDS = 10.0
RECONNECT_FIRST_DELAY = 0.1
RECONNECT_MAX_DELAY = 5.0
#: ``application_name`` of the listener's connections (visible in ``pg_stat_activity``).
LISTENER_APPLICATION_NAME = "buergerbuero-events"

Event = Mapping[str, Any]

RESYNC: Event = {"type": "resync"}


# -- subscriptions ----------------------------------------------------------------------------------


class Subscription:
    """One subscriber's events, in order; bounded. Iterate it with ``async for``."""

    def __init__(self, channel: str, loop: asyncio.AbstractEventLoop) -> None:
        self.channel = channel
        self.loop = loop
        self._pending: deque[Event] = deque()
        self._waiter: asyncio.Future[None] | None = None
        self.closed = False

    def _put(self, event: Mapping[str, Any]) -> None:
        """Queue ``event``; only ever called in the subscription's own event loop."""
        if self.closed:
            return
        if len(self._pending) >= MAX_PENDING:
            self._pending.clear()
            event = RESYNC
        self._pending.append(event)
        waiter = self._waiter
        if waiter is not None and not waiter.done():
            waiter.set_result(None)

    def deliver_threadsafe(self, event: Mapping[str, Any]) -> None:
        """Queue ``event`` from any thread."""
        try:
            self.loop.call_soon_threadsafe(self._put, event)
        except RuntimeError:  # the loop is closed: nobody is listening any more
            self.closed = True

    def pending(self) -> int:
        return len(self._pending)

    def __aiter__(self) -> Subscription:
        return self

    async def __anext__(self) -> Event:
        while not self._pending:
            self._waiter = self.loop.create_future()
            try:
                await self._waiter
            finally:
                self._waiter = None
        return self._pending.popleft()


class _Registry:
    """The subscriptions of this process, by channel; publishers read it from any thread."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._by_channel: dict[str, set[Subscription]] = {}

    def add(self, subscription: Subscription) -> None:
        with self._lock:
            self._by_channel.setdefault(subscription.channel, set()).add(subscription)

    def remove(self, subscription: Subscription) -> None:
        subscription.closed = True
        with self._lock:
            subscribers = self._by_channel.get(subscription.channel)
            if subscribers is not None:
                subscribers.discard(subscription)
                if not subscribers:
                    del self._by_channel[subscription.channel]

    def of(self, channel: str) -> list[Subscription]:
        with self._lock:
            return list(self._by_channel.get(channel, ()))

    def all(self) -> list[Subscription]:
        with self._lock:
            return [subscription for group in self._by_channel.values() for subscription in group]

    def count(self, loop: asyncio.AbstractEventLoop | None = None) -> int:
        return sum(1 for subscription in self.all() if loop is None or subscription.loop is loop)


_registry = _Registry()


def subscriber_count() -> int:
    """Subscriptions open in this process (for tests and metrics)."""
    return _registry.count()


# -- publishing ---------------------------------------------------------------------------------------


def backend_name() -> str:
    """``memory`` or ``postgres``, from ``EVENT_BUS`` and the default database."""
    chosen = getattr(settings, "EVENT_BUS", "auto")
    if chosen == "auto":
        return "postgres" if connection.vendor == "postgresql" else "memory"
    if chosen not in ("memory", "postgres"):
        raise ImproperlyConfigured(f"EVENT_BUS must be auto, memory or postgres, got {chosen!r}")
    if chosen == "postgres" and connection.vendor != "postgresql":
        raise ImproperlyConfigured("EVENT_BUS=postgres needs PostgreSQL as the default database")
    return str(chosen)


def encode(channel: str, payload: Mapping[str, Any]) -> str:
    """The message on the wire: ``{"c": channel, "p": payload}``; ValueError when too large."""
    message = json.dumps({"c": channel, "p": dict(payload)}, cls=DjangoJSONEncoder, separators=(",", ":"))
    if len(message.encode()) > MAX_PAYLOAD_BYTES:
        raise ValueError(f"event on {channel!r} is {len(message.encode())} bytes, more than {MAX_PAYLOAD_BYTES}")
    return message


def publish(channel: str, payload: Mapping[str, Any]) -> None:
    """Deliver ``payload`` to every subscriber of ``channel`` in every process once the current
    transaction commits (at once outside a transaction; never when it rolls back)."""
    message = encode(channel, payload)
    if backend_name() == "postgres":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_notify(%s, %s)", [PG_CHANNEL, message])
    else:
        transaction.on_commit(lambda: _fan_out_threadsafe(message), robust=True)


def _fan_out_threadsafe(message: str) -> None:
    decoded = json.loads(message)
    for subscription in _registry.of(decoded["c"]):
        subscription.deliver_threadsafe(decoded["p"])


# -- subscribing ---------------------------------------------------------------------------------------


@asynccontextmanager
async def subscribe(channel: str) -> AsyncIterator[Subscription]:
    """Events of ``channel`` from now on, until the block is left (or the task cancelled)."""
    loop = asyncio.get_running_loop()
    subscription = Subscription(channel, loop)
    _registry.add(subscription)
    try:
        if backend_name() == "postgres":
            await _listener_for(loop).wait_listening()
        yield subscription
    finally:
        _registry.remove(subscription)
        if backend_name() == "postgres" and not _registry.count(loop):
            _stop_listener(loop)


# -- the PostgreSQL listener ---------------------------------------------------------------------------------

_listeners: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, _Listener] = weakref.WeakKeyDictionary()


def _listener_for(loop: asyncio.AbstractEventLoop) -> _Listener:
    listener = _listeners.get(loop)
    if listener is None or listener.task.done():
        listener = _Listener(loop, _listener_params())
        _listeners[loop] = listener
    return listener


def _stop_listener(loop: asyncio.AbstractEventLoop) -> None:
    listener = _listeners.pop(loop, None)
    if listener is not None:
        listener.task.cancel()


def _listener_params() -> dict[str, Any]:
    """Django's connection parameters for psycopg, less what only its sync cursors use."""
    params = dict(connection.get_connection_params())
    for key in ("cursor_factory", "context", "prepare_threshold"):
        params.pop(key, None)
    params["application_name"] = LISTENER_APPLICATION_NAME
    return params


def listener_backend_pid(loop: asyncio.AbstractEventLoop | None = None) -> int | None:
    """The server process id of this loop's listener connection (tests and diagnostics)."""
    listener = _listeners.get(loop or asyncio.get_running_loop())
    return listener.backend_pid if listener is not None else None


class _Listener:
    """ONE async connection per event loop that LISTENs and hands notifications to local subscribers."""

    def __init__(self, loop: asyncio.AbstractEventLoop, params: dict[str, Any]) -> None:
        self.loop = loop
        self.params = params
        self.listening = asyncio.Event()
        self.backend_pid: int | None = None
        self.reconnects = 0
        # A fresh context: the listener outlives the request that started it and must not run in its
        # thread-sensitive context (asgiref) or its tenant scope.
        self.task = loop.create_task(self._run(), context=contextvars.Context())

    async def wait_listening(self) -> None:
        async with asyncio.timeout(SUBSCRIBE_TIMEOUT_SECONDS):
            await self.listening.wait()

    async def _run(self) -> None:
        import psycopg

        delay = RECONNECT_FIRST_DELAY
        connected_before = False
        while True:
            try:
                conn = await psycopg.AsyncConnection.connect(**self.params, autocommit=True)
            except (psycopg.Error, OSError) as error:
                logger.warning("event bus: cannot connect to listen (%s); retrying in %.1f s", error, delay)
                await asyncio.sleep(delay * random.uniform(0.8, 1.2))  # noqa: S311  (jitter, not security)
                delay = min(delay * 2, RECONNECT_MAX_DELAY)
                continue
            try:
                await conn.execute(f"LISTEN {PG_CHANNEL}")
                self.backend_pid = conn.info.backend_pid
                self.listening.set()
                delay = RECONNECT_FIRST_DELAY
                if connected_before:
                    self.reconnects += 1
                    logger.info("event bus: listening again; telling %d subscribers to resync", _registry.count())
                    for subscription in _registry.all():
                        if subscription.loop is self.loop:
                            subscription._put(RESYNC)
                connected_before = True
                while True:
                    async for notify in conn.notifies(timeout=LISTEN_IDLE_CHECK_SECONDS):
                        self._fan_out(notify.payload)
                    await conn.execute("SELECT 1")  # idle: is the connection still alive?
            except (psycopg.Error, OSError) as error:
                self.listening.clear()
                self.backend_pid = None
                logger.warning("event bus: the listening connection dropped (%s); reconnecting", error)
            finally:
                await conn.close()

    def _fan_out(self, message: str) -> None:
        try:
            decoded = json.loads(message)
            channel, payload = decoded["c"], decoded["p"]
        except (ValueError, KeyError, TypeError):
            logger.warning("event bus: ignoring a malformed notification")
            return
        for subscription in _registry.of(channel):
            if subscription.loop is self.loop:
                subscription._put(payload)
