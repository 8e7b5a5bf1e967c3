"""Fan-out of an office's live state to 5,000 SSE subscribers of one server process (``make bench-fanout``).

Method (docs/live-queue-bench.md):

* PostgreSQL only: ``DATABASE_URL`` (default ``postgres://postgres@127.0.0.1:5432/bench_fanout``) names the
  benchmark's own database, dropped, created and migrated each run, and dropped at the end.
* One office with one line and one counter, ``TICKETS`` waiting tickets drawn through the real
  ``tickets.draw_ticket`` and a clerk signed in with ``counters.open_session``.
* ONE uvicorn process (``--workers 1``, uvloop, httptools) on a free 127.0.0.1 port, ``EVENT_BUS=postgres``.
* ``SUBSCRIBERS`` raw-asyncio SSE clients (a ``Protocol`` each, no HTTP library) open the office's stream
  in batches; the server's VmRSS is read before (after one warm-up stream came and went) and once every
  client has its first state: ``kib_per_connection`` is the difference over the subscribers.
* ``CALLS`` times, a few hundred ms apart: the bench process calls the real ``counters.call_next`` (its own
  Django setup on the same database, so the event crosses processes through LISTEN/NOTIFY) and measures for
  every subscriber the time from just before ``call_next`` to the receipt of the first state whose version
  is newer than every version seen before the call.

Client and server share the machine (two shared cores): the client's own parsing of 5,000 messages is part
of each figure. The last line is ``RESULT {...}``.
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from collections.abc import Coroutine, Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "src"))
sys.path.insert(0, str(ROOT))  # tests.harness.ports

from stats import percentile  # noqa: E402  (bench/, the script's folder)
from tests.harness.ports import free_port  # noqa: E402

DEFAULT_URL = "postgres://postgres@127.0.0.1:5432/bench_fanout"
SUBSCRIBERS = int(os.environ.get("BENCH_SUBSCRIBERS", "5000"))
CALLS = int(os.environ.get("BENCH_CALLS", "20"))
TICKETS = CALLS + 5
BATCH = 250  # connections opened at once
PAUSE_SECONDS = 0.3  # between two calls, after every subscriber had the last one
ROUND_TIMEOUT = 10.0
CONNECT_TIMEOUT = 60.0
# The whole run stays under three minutes: no new connections after CONNECT_BUDGET seconds of connecting,
# no new call after RUN_BUDGET seconds since the start (the figures then say how many were measured).
CONNECT_BUDGET = 90.0
RUN_BUDGET = 160.0
STARTED = time.monotonic()
TARGET_P99_MS = 500.0
SERVER_LOG = ROOT / "var" / "bench-fanout-server.log"  # kept after the run


# -- database ------------------------------------------------------------------------------------------


def configure_database() -> tuple[str, str]:
    """Recreate the benchmark database; return its URL and the admin URL (to drop it at the end)."""
    import psycopg

    url = os.environ.get("DATABASE_URL") or DEFAULT_URL
    parts = urlsplit(url)
    if not parts.scheme.startswith("postgres"):
        raise SystemExit("bench-fanout needs PostgreSQL: set DATABASE_URL=postgres://…")
    name = parts.path.lstrip("/") or "bench_fanout"
    admin = urlunsplit(parts._replace(path="/postgres"))
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')  # our own, recreated each run
        conn.execute(f'CREATE DATABASE "{name}"')
    url = urlunsplit(parts._replace(path=f"/{name}"))
    os.environ["DATABASE_URL"] = url
    return url, admin


def drop_database(admin: str, url: str) -> None:
    import psycopg

    name = urlsplit(url).path.lstrip("/")
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def seed() -> tuple[Any, str]:
    """One office open all day every day, one line, one counter with a signed-in clerk, waiting tickets."""
    from datetime import time as clock

    from django.core.management import call_command

    from buergerbuero.accounts.models import User
    from buergerbuero.appointments.models import ServiceGroup
    from buergerbuero.catalog.models import Service
    from buergerbuero.core.tenancy import scopes_disabled
    from buergerbuero.queueing.constants import TicketSource
    from buergerbuero.queueing.services import counters, tickets
    from buergerbuero.tenants.models import Counter, District, Municipality, Office, OpeningHours

    call_command("migrate", verbosity=0)
    call_command("createcachetable", verbosity=0)
    district = District.objects.create(name="Rhein-Kreis Neuss", ars="05162", slug="rhein-kreis-neuss")
    service = Service.objects.create(
        slug="personalausweis", leika_key="99000000000000", name_de="Personalausweis beantragen", counter_minutes=10
    )
    clerk = User.objects.create_user(username="bench-clerk", password="bench-only-password")  # noqa: S106
    with scopes_disabled():
        town = Municipality.objects.create(
            district=district, name="Kaarst", slug="kaarst", ags="05162016", ars="051620016016"
        )
        office = Office.objects.create(
            municipality=town, name="Bürgerbüro Kaarst", slug="rathaus", street="Am Neumarkt",
            house_number="2", postcode="41564", city="Kaarst",
        )  # fmt: skip
        OpeningHours.objects.bulk_create(
            OpeningHours(office=office, weekday=weekday, opens=clock(0, 0), closes=clock(23, 59))
            for weekday in range(7)
        )
        counter = Counter.objects.create(office=office, name="Platz 1")
        group = ServiceGroup.objects.create(
            office=office, key="buergerdienste", name="Bürgerdienste", ticket_prefix="A"
        )
        group.counters.set([counter])
        group.services.set([service])
        for _ in range(TICKETS):
            tickets.draw_ticket(office, group, source=TicketSource.KIOSK, service=service)
        session = counters.open_session(counter, clerk, [group])
    return session, f"/warteschlange/{town.slug}/{office.slug}/live/"


def write_settings(folder: Path) -> str:
    """The project's settings with the stream's routes wired in, whether or not queueing/urls.py has them yet."""
    (folder / "bench_fanout_urls.py").write_text(
        "from django.urls import include, path\n"
        "from buergerbuero.config.urls import urlpatterns as project\n"
        "urlpatterns = [path('warteschlange/', include(('buergerbuero.queueing.urls_live', 'queueing'))), *project]\n"
    )
    (folder / "bench_fanout_settings.py").write_text(
        "from buergerbuero.config.settings import *  # noqa: F403\nROOT_URLCONF = 'bench_fanout_urls'\n"
    )
    return "bench_fanout_settings"


# -- the server ----------------------------------------------------------------------------------------------


@contextlib.contextmanager
def running_server(port: int, settings_dir: Path, settings_module: str) -> Iterator[subprocess.Popen[bytes]]:
    import httpx

    env = dict(os.environ)
    env["DJANGO_SETTINGS_MODULE"] = settings_module
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT / "src"), str(settings_dir), env.get("PYTHONPATH")]))
    loop = "uvloop"
    try:
        import uvloop  # noqa: F401
    except ImportError:
        loop = "asyncio"
    SERVER_LOG.parent.mkdir(exist_ok=True)
    with SERVER_LOG.open("wb") as output:
        server = subprocess.Popen(
            [sys.executable, "-m", "uvicorn", "buergerbuero.config.asgi:application",
             "--host", "127.0.0.1", "--port", str(port), "--workers", "1", "--loop", loop,
             "--http", "httptools", "--backlog", "4096", "--no-access-log", "--log-level", "warning"],
            env=env, stdout=output, stderr=subprocess.STDOUT,
        )  # fmt: skip
    try:
        deadline = time.monotonic() + 60
        while True:
            if server.poll() is not None:
                raise SystemExit(f"the server exited with {server.returncode}:\n{SERVER_LOG.read_text()[-3000:]}")
            with contextlib.suppress(httpx.HTTPError):
                if httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=2).status_code == 200:
                    break
            if time.monotonic() > deadline:
                raise SystemExit("the server did not start in time")
            time.sleep(0.2)
        yield server
    finally:
        server.terminate()
        try:
            server.wait(timeout=15)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()


def cpu_seconds(pid: int) -> float:
    """User + system CPU time a process has used so far, from /proc/<pid>/stat."""
    fields = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def proc_status(pid: int) -> dict[str, int]:
    """VmRSS (KiB) and Threads of a process, from /proc."""
    found = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        key, _, value = line.partition(":")
        if key in ("VmRSS", "Threads"):
            found[key] = int(value.split()[0])
    return found


all_latencies: list[float] = []  # every receipt of every call (ms)
missing: list[int] = []  # per call: subscribers that had not received it after ROUND_TIMEOUT


# -- the subscribers ----------------------------------------------------------------------------------------------


class Round:
    """The call being measured: when it started and the newest version every subscriber had before it."""

    index = -1
    started = 0.0
    base_version = 0
    latencies: list[float] = []
    received = 0
    expected = SUBSCRIBERS
    done: asyncio.Event | None = None


class Subscriber(asyncio.Protocol):
    def __init__(self, request: bytes, connected: asyncio.Future[None]) -> None:
        self.request = request
        self.connected = connected
        self.buffer = b""
        self.headers_done = False
        self.version = 0
        self.answered_round = -1
        self.transport: asyncio.Transport | None = None
        self.lost = False

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        # uvloop's transports are not subclasses of asyncio.Transport, so no isinstance check here.
        self.transport = transport  # type: ignore[assignment]
        transport.write(self.request)  # type: ignore[attr-defined]

    def data_received(self, data: bytes) -> None:
        now = time.perf_counter()
        self.buffer += data
        if not self.headers_done:
            head, sep, rest = self.buffer.partition(b"\r\n\r\n")
            if not sep:
                return
            if not head.startswith(b"HTTP/1.1 200"):
                self.connected.set_exception(RuntimeError(head.split(b"\r\n")[0].decode()))
                return
            self.headers_done, self.buffer = True, rest
        # Chunked transfer encoding: every SSE message the server sends is one chunk, "id: " starts it.
        while True:
            start = self.buffer.find(b"id: ")
            if start < 0:
                self.buffer = self.buffer[-8:]
                return
            end = self.buffer.find(b"\n", start)
            if end < 0:
                self.buffer = self.buffer[start:]
                return
            version = int(self.buffer[start + 4 : end])
            self.buffer = self.buffer[end:]
            self.on_version(version, now)

    def on_version(self, version: int, now: float) -> None:
        if not self.connected.done():
            self.connected.set_result(None)
        self.version = max(self.version, version)
        if Round.index >= 0 and self.answered_round != Round.index and version > Round.base_version:
            self.answered_round = Round.index
            Round.latencies.append((now - Round.started) * 1000)
            Round.received += 1
            if Round.received >= Round.expected and Round.done is not None:
                Round.done.set()

    def connection_lost(self, exc: Exception | None) -> None:
        self.lost = True
        if not self.connected.done():
            self.connected.set_exception(ConnectionError("closed before the first state"))


async def open_subscribers(port: int, path: str) -> list[Subscriber]:
    loop = asyncio.get_running_loop()
    request = (
        f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nAccept: text/event-stream\r\nConnection: keep-alive\r\n\r\n"
    ).encode()
    subscribers: list[Subscriber] = []
    started = time.monotonic()
    for first in range(0, SUBSCRIBERS, BATCH):
        if time.monotonic() - started > CONNECT_BUDGET:
            print(f"connect budget of {CONNECT_BUDGET:.0f} s spent: measuring with {len(subscribers)} subscribers")
            break
        batch = []
        for _ in range(min(BATCH, SUBSCRIBERS - first)):
            connected: asyncio.Future[None] = loop.create_future()
            _transport, protocol = await loop.create_connection(
                lambda c=connected: Subscriber(request, c),  # type: ignore[misc]
                "127.0.0.1",
                port,
            )
            batch.append(protocol)
        async with asyncio.timeout(CONNECT_TIMEOUT):
            await asyncio.gather(*(s.connected for s in batch))
        subscribers += batch
    return subscribers


async def measure(port: int, path: str, server_pid: int, session: Any) -> dict[str, Any]:
    from asgiref.sync import sync_to_async
    from django.db import connections

    from buergerbuero.queueing.services import counters

    def call_next() -> Any:
        try:
            return counters.call_next(session)
        finally:
            connections.close_all()

    # Warm-up: one stream comes and goes, so the baseline includes the code every stream needs.
    loop = asyncio.get_running_loop()
    warm: asyncio.Future[None] = loop.create_future()
    request = f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n\r\n".encode()
    transport, _protocol = await loop.create_connection(lambda: Subscriber(request, warm), "127.0.0.1", port)
    await asyncio.wait_for(warm, 30)
    transport.close()
    await asyncio.sleep(1.0)
    before = proc_status(server_pid)

    started = time.perf_counter()
    subscribers = await open_subscribers(port, path)
    connect_seconds = time.perf_counter() - started
    await asyncio.sleep(1.0)
    after = proc_status(server_pid)
    print(
        f"{len(subscribers)} subscribers connected in {connect_seconds:.1f} s; server VmRSS {before['VmRSS']} → "
        f"{after['VmRSS']} KiB, threads {before['Threads']} → {after['Threads']}."
    )

    # The client's own garbage collections would count as latency: its 5,000 subscribers are long-lived,
    # so freeze them out of the collector and collect the young generation rarely (the server does the same
    # in config/asgi.py).
    gc.collect()
    gc.freeze()
    gc.set_threshold(50_000, 20, 100)
    per_call: list[tuple[float, float, int]] = []
    Round.expected = len(subscribers)
    cpu_started = (time.perf_counter(), cpu_seconds(os.getpid()), cpu_seconds(server_pid))
    for index in range(CALLS):
        if time.monotonic() - STARTED > RUN_BUDGET:
            print(f"run budget of {RUN_BUDGET:.0f} s spent after {index} calls")
            break
        Round.latencies, Round.received, Round.done = [], 0, asyncio.Event()
        Round.base_version = max(s.version for s in subscribers)
        Round.started = time.perf_counter()
        Round.index = index
        ticket = await sync_to_async(call_next, thread_sensitive=False)()
        if ticket is None:
            print("nobody left to call")
            break
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(ROUND_TIMEOUT):
                await Round.done.wait()
        lat = Round.latencies
        per_call.append((percentile(lat, 0.5), max(lat or [float("nan")]), len(lat)))
        all_latencies.extend(lat)
        missing.append(len(subscribers) - len(lat))
        await asyncio.sleep(PAUSE_SECONDS)
    Round.index = -1
    wall, client_cpu, server_cpu = (
        now - then
        for now, then in zip(
            (time.perf_counter(), cpu_seconds(os.getpid()), cpu_seconds(server_pid)), cpu_started, strict=True
        )
    )
    lost = sum(1 for s in subscribers if s.lost)
    for s in subscribers:
        if s.transport is not None:
            s.transport.close()
    await asyncio.sleep(0.5)
    return {
        "before": before,
        "after": after,
        "per_call": per_call,
        "lost": lost,
        "connect_seconds": connect_seconds,
        "subscribers": len(subscribers),
        "cpu": (wall, client_cpu, server_cpu),
    }


def run_fast(coroutine: Coroutine[Any, Any, dict[str, Any]]) -> dict[str, Any]:
    """Run the client on uvloop when it is installed, like the server."""
    try:
        import uvloop
    except ImportError:
        return asyncio.run(coroutine)
    return uvloop.run(coroutine)


def main() -> None:
    _soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))  # the server inherits it
    if hard < SUBSCRIBERS * 2 + 100:
        raise SystemExit(f"RLIMIT_NOFILE hard limit {hard} is too low for {SUBSCRIBERS} subscribers")
    os.environ.setdefault("SECRET_KEY", "bench-fanout-only")
    os.environ.update(
        DEBUG="false",
        STATIC_MANIFEST="false",
        LOG_FORMAT="plain",
        LOG_LEVEL=os.environ.get("LOG_LEVEL", "WARNING"),
        EVENT_BUS="postgres",
        DB_CONN_MAX_AGE="0",
        DB_POOL_MAX_SIZE="4",
        CACHE_URL="",
    )
    load = os.getloadavg()
    url, admin = configure_database()
    print(f"Fan-out benchmark on {urlsplit(url).path.lstrip('/')} (PostgreSQL); load average before: {load[0]:.2f}.")
    try:
        with tempfile.TemporaryDirectory(prefix="bench-fanout-") as folder:
            settings_dir = Path(folder)
            sys.path.insert(0, str(settings_dir))
            settings_module = write_settings(settings_dir)
            os.environ["DJANGO_SETTINGS_MODULE"] = settings_module
            import django

            django.setup()
            session, path = seed()
            from django.db import connections

            connections.close_all()
            port = free_port()
            print(f"Server: uvicorn, 1 worker, uvloop, httptools on 127.0.0.1:{port}; stream {path}.")
            with running_server(port, settings_dir, settings_module) as server:
                figures = run_fast(measure(port, path, server.pid, session))
    finally:
        from django.db import connections

        connections.close_all()
        drop_database(admin, url)

    before, after = figures["before"], figures["after"]
    connected = figures["subscribers"]
    kib = (after["VmRSS"] - before["VmRSS"]) / max(connected, 1)
    threads = after["Threads"] - before["Threads"]
    p50, p99 = percentile(all_latencies, 0.5), percentile(all_latencies, 0.99)
    print(f"\n{'call':>5}{'p50 ms':>10}{'max ms':>10}{'received':>10}")
    for n, (call_p50, call_max, received) in enumerate(figures["per_call"], 1):
        print(f"{n:>5}{call_p50:>10.1f}{call_max:>10.1f}{received:>10}")
    print(f"\n{'figure':<44}{'value':>12}")
    rows = [
        ("subscribers", connected),
        ("calls measured", len(figures["per_call"])),
        ("receipts (subscribers × calls)", len(all_latencies)),
        ("receipts missing after 10 s", sum(missing)),
        ("connections lost", figures["lost"]),
        ("p50 ms", f"{p50:.1f}"),
        ("p99 ms", f"{p99:.1f}"),
        ("max ms", f"{max(all_latencies or [float('nan')]):.1f}"),
        ("connect all (s)", f"{figures['connect_seconds']:.1f}"),
        ("server VmRSS before (KiB)", before["VmRSS"]),
        ("server VmRSS with subscribers (KiB)", after["VmRSS"]),
        ("KiB per connection", f"{kib:.1f}"),
        ("server threads added", threads),
        ("calls: wall time (s)", f"{figures['cpu'][0]:.1f}"),
        ("calls: client CPU (s, incl. call_next)", f"{figures['cpu'][1]:.1f}"),
        ("calls: server CPU (s)", f"{figures['cpu'][2]:.1f}"),
        ("load average after", f"{os.getloadavg()[0]:.2f}"),
        ("p99 < 500 ms", "PASS" if p99 < TARGET_P99_MS and not sum(missing) and connected == SUBSCRIBERS else "MISS"),
    ]
    for name, value in rows:
        print(f"{name:<44}{value!s:>12}")
    result = {
        "subscribers": connected,
        "p50_ms": round(p50, 1),
        "p99_ms": round(p99, 1),
        "kib_per_connection": round(kib, 1),
    }
    print("RESULT " + json.dumps(result))


if __name__ == "__main__":
    main()
