"""The live stream of an office: one hub per office, one rebuild per burst, and nothing left behind.

The hub tests use a state function of their own (it reads the office from the database and counts
its calls); the stream tests drive both entry points with hand-made ASGI messages, disconnect included:
the project's application (``config.asgi``, which serves the stream directly on ASGI) and Django's own
ASGI handler with its middleware (the view behind the route), each with the lead's ``office_live_state``.
"""

from __future__ import annotations

import asyncio
import json
import threading
from collections.abc import Awaitable, Callable, Iterator, Mapping
from typing import Any

import pytest
from django.core.handlers.asgi import ASGIHandler
from django.core.signals import request_started
from django.db import connections, transaction
from django.urls import include, path

from buergerbuero.config import asgi as project_asgi
from buergerbuero.config import urls as project_urls
from buergerbuero.core import events
from buergerbuero.core.tenancy import scopes_disabled
from buergerbuero.queueing import live
from buergerbuero.queueing.events import announce
from buergerbuero.queueing.views import stream
from buergerbuero.tenants.models import Office
from tests.harness.loops import run_in_own_loop

pytestmark = pytest.mark.django_db(transaction=True)

# The stream's routes in front of the project's (whose error pages link to the portal).
urlpatterns = [
    path("warteschlange/", include(("buergerbuero.queueing.urls_live", "queueing"))),
    *project_urls.urlpatterns,
]


@pytest.fixture(autouse=True)
def memory_bus(settings: Any) -> Iterator[None]:
    settings.EVENT_BUS = "memory"  # the bus itself is tested on both backends in tests/core/test_events.py
    yield
    assert live.hub_count() == 0, "a hub was left behind"
    assert events.subscriber_count() == 0, "a bus subscription was left behind"


class CountingState:
    """The office's name from the database, a version that grows, and how often it was built."""

    def __init__(self, hold_second_call: threading.Event | None = None) -> None:
        self.calls = 0
        self.hold_second_call = hold_second_call
        self._lock = threading.Lock()

    def __call__(self, office_id: int) -> dict[str, Any]:
        try:
            with scopes_disabled():
                name = Office.objects.get(pk=office_id).name
            with self._lock:
                self.calls += 1
                version = self.calls
            if version == 2 and self.hold_second_call is not None:
                self.hold_second_call.wait(10)  # a slow rebuild, for as long as the test wants
            return {"version": version, "office": name}
        finally:
            connections.close_all()


async def in_thread(publish: Callable[[], None]) -> None:
    def run() -> None:
        try:
            publish()
        finally:
            connections.close_all()

    await asyncio.to_thread(run)


def run(scenario: Callable[[], Awaitable[None]]) -> None:
    run_in_own_loop(scenario)


def test_it_shares_one_subscription_and_one_rebuild_among_all_watchers(office_a: Office) -> None:
    state = CountingState()

    async def scenario() -> None:
        async with live.watch(office_a.pk, state) as hub:
            others = [live.watch(office_a.pk, state) for _ in range(99)]
            hubs = [await watcher.__aenter__() for watcher in others]
            assert all(other is hub for other in hubs)
            assert events.subscriber_count() == 1
            first = hub.latest
            assert first.startswith(b"id: 1\nevent: state\ndata: ")
            assert json.loads(first.split(b"data: ")[1]) == {"version": 1, "office": "Bürgerbüro Kaarst"}

            await in_thread(lambda: announce(office_a.pk, "called", ticket="A001"))
            async with asyncio.timeout(5):
                received = await asyncio.gather(*(hub.next_change(first, timeout=5) for _ in range(100)))
            assert all(message is not None and message.startswith(b"id: 2\n") for message in received)
            assert state.calls == 2  # once at the start, once for the event: not once per watcher
            for watcher in others:
                await watcher.__aexit__(None, None, None)
            assert live.hub_count() == 1
        assert live.hub_count() == 0

    run(scenario)


def test_it_coalesces_a_burst_into_one_more_rebuild(office_a: Office) -> None:
    release = threading.Event()
    state = CountingState(hold_second_call=release)

    async def scenario() -> None:
        async with live.watch(office_a.pk, state) as hub:

            def burst() -> None:
                with transaction.atomic():  # twenty events, delivered together at commit
                    for n in range(20):
                        announce(office_a.pk, "drawn", n=n)

            await in_thread(burst)
            (subscription,) = events._registry.all()
            async with asyncio.timeout(10):  # the first event's rebuild runs; the other 19 arrive meanwhile
                while state.calls < 2 or subscription.pending():
                    await asyncio.sleep(0.01)
            release.set()
            async with asyncio.timeout(10):
                while state.calls < 3:
                    await asyncio.sleep(0.01)
            await asyncio.sleep(0.5)  # room for more rebuilds, were the burst not coalesced
            assert state.calls == 3  # the start, the first event, ONE for the 19 that came during it
            assert hub.version == 3


def test_it_rebuilds_on_resync(office_a: Office) -> None:
    state = CountingState()

    async def scenario() -> None:
        async with live.watch(office_a.pk, state) as hub:
            seen = hub.latest
            for subscription in events._registry.all():  # what the listener does after a reconnect
                subscription._put(events.RESYNC)
            assert await hub.next_change(seen, timeout=5) is not None
            assert state.calls == 2

    run(scenario)


# -- the stream through Django's ASGI handler ------------------------------------------------------


Application = Callable[..., Awaitable[None]]


@pytest.fixture(params=["project", "django"])
def application(request: pytest.FixtureRequest) -> Application:
    """The project's entry point (direct stream) and Django's handler (the view) behind it."""
    if request.param == "project":
        return project_asgi.application
    return ASGIHandler()


class Browser:
    """One SSE client on an ASGI application: the request, what came back, and a disconnect."""

    def __init__(self, path: str, application: Application) -> None:
        self.path = path
        self.application = application
        self.start: Mapping[str, Any] = {}
        self.chunks: asyncio.Queue[bytes] = asyncio.Queue()
        self._gone = asyncio.Event()
        self._sent_request = False
        self.task: asyncio.Task[None] | None = None

    async def open(self) -> None:
        scope = {
            "type": "http",
            "asgi": {"version": "3.0"},
            "http_version": "1.1",
            "method": "GET",
            "scheme": "http",
            "path": self.path,
            "raw_path": self.path.encode(),
            "query_string": b"",
            "root_path": "",
            "headers": [(b"host", b"127.0.0.1"), (b"accept", b"text/event-stream")],
            "client": ("127.0.0.1", 50000),
            "server": ("127.0.0.1", 8000),
        }
        self.task = asyncio.create_task(self.application(scope, self._receive, self._send))

    async def _receive(self) -> dict[str, Any]:
        if not self._sent_request:
            self._sent_request = True
            return {"type": "http.request", "body": b"", "more_body": False}
        await self._gone.wait()
        return {"type": "http.disconnect"}

    async def _send(self, message: Mapping[str, Any]) -> None:
        if message["type"] == "http.response.start":
            self.start = message
        elif message.get("body"):
            await self.chunks.put(message["body"])

    async def read(self, timeout: float = 5.0) -> bytes:
        async with asyncio.timeout(timeout):
            return await self.chunks.get()

    def headers(self) -> dict[str, str]:
        return {key.decode().lower(): value.decode() for key, value in self.start["headers"]}

    async def disconnect(self) -> None:
        self._gone.set()
        assert self.task is not None
        async with asyncio.timeout(5):
            await self.task


def data_of(message: bytes) -> dict[str, Any]:
    lines = dict(line.split(": ", 1) for line in message.decode().strip().split("\n"))
    assert lines["event"] == "state"
    state: dict[str, Any] = json.loads(lines["data"])
    assert lines["id"] == str(state["version"])
    return state


@pytest.mark.urls(__name__)
def test_it_streams_the_current_state_then_every_change_and_leaves_nothing_after_a_disconnect(
    office_a: Office, application: Application
) -> None:
    async def scenario() -> None:
        browsers = [Browser("/warteschlange/kaarst/rathaus/live/", application) for _ in range(3)]
        for browser in browsers:
            await browser.open()
        for browser in browsers:
            assert await browser.read() == b"retry: 3000\n\n"
            first = data_of(await browser.read())
            assert first["office"]["name"] == "Bürgerbüro Kaarst"
        assert browsers[0].start["status"] == 200
        headers = browsers[0].headers()
        assert headers["content-type"].startswith("text/event-stream")
        assert headers["cache-control"] == "no-cache"
        assert headers["x-accel-buffering"] == "no"
        assert live.hub_count() == 1
        assert events.subscriber_count() == 1

        await in_thread(lambda: announce(office_a.pk, "called", ticket="A001"))
        for browser in browsers:
            assert data_of(await browser.read())["version"] > first["version"]

        await browsers[0].disconnect()
        assert live.hub_count() == 1  # two still watch
        for browser in browsers[1:]:
            await browser.disconnect()
        assert live.hub_count() == 0
        assert events.subscriber_count() == 0

    run(scenario)


@pytest.mark.urls(__name__)
def test_it_sends_a_heartbeat_when_nothing_happens(
    office_a: Office, application: Application, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(stream, "HEARTBEAT_SECONDS", 0.2)

    async def scenario() -> None:
        browser = Browser("/warteschlange/kaarst/rathaus/live/", application)
        await browser.open()
        await browser.read()
        await browser.read()
        assert await browser.read(timeout=2) == b"event: heartbeat\ndata: \n\n"
        await browser.disconnect()

    run(scenario)


@pytest.mark.urls(__name__)
def test_it_answers_404_for_an_unknown_office(office_a: Office, office_b: Office, application: Application) -> None:
    async def scenario() -> None:
        for unknown in ("/warteschlange/kaarst/nirgendwo/live/", "/warteschlange/juechen-x/rathaus/live/"):
            browser = Browser(unknown, application)
            await browser.open()
            assert browser.task is not None
            async with asyncio.timeout(5):
                await browser.task
            assert browser.start["status"] == 404

    run(scenario)


@pytest.mark.urls(__name__)
def test_it_serves_the_stream_of_the_project_application_without_django_s_request_cycle(office_a: Office) -> None:
    started: list[object] = []

    def count(sender: object, **kwargs: object) -> None:
        started.append(sender)

    async def scenario() -> None:
        browser = Browser("/warteschlange/kaarst/rathaus/live/", project_asgi.application)
        await browser.open()
        assert await browser.read() == b"retry: 3000\n\n"
        assert data_of(await browser.read())["office"]["name"] == "Bürgerbüro Kaarst"
        headers = browser.headers()
        assert headers["x-content-type-options"] == "nosniff"
        assert "default-src" in headers["content-security-policy"]
        await browser.disconnect()
        assert started == []  # no Django request: no middleware, no request thread per stream
        unknown = Browser("/warteschlange/kaarst/nirgendwo/live/", project_asgi.application)
        await unknown.open()
        assert unknown.task is not None
        async with asyncio.timeout(5):
            await unknown.task
        assert unknown.start["status"] == 404
        assert len(started) == 1  # everything else is Django's

    request_started.connect(count)
    try:
        run(scenario)
    finally:
        request_started.disconnect(count)
