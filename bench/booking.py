"""Benchmark of a release storm on the booking API, against a raw SQL ceiling (``make bench-booking``).

Setup, fixed before measuring (docs/appointments-bench.md):

* PostgreSQL only: ``DATABASE_URL`` (default ``postgres://postgres@127.0.0.1:5432/bench_booking``) names the
  benchmark's own database, dropped, created and migrated each run.
* One Kreis, three towns with one office each. The storm office has 15 counters in one service group with
  30 % kept for walk-ins (10 bookable per cell), a 10-minute grid and a 10-minute service, open Monday to
  Saturday 08:00–12:00 and 13:00–15:40 (40 cells a day). Its capacity is released with the real
  ``booking.release_capacity`` day by day from tomorrow until 2,000 single-cell slots are out (five
  open days). The two other offices release their whole eight-week window, so the cell table is not
  trivially small.
* The real ASGI server (uvicorn, ``WORKERS`` processes) on a free loopback port, started here and always
  stopped. Settings on top of the project's: every per-client rate limit off (all clients are
  127.0.0.1), ALTCHA on at the smallest difficulty; one challenge per booking attempt is fetched and
  solved before the storm (``GET /api/appointments/challenge``), outside the timed part.
* The storm: ``CLIENTS`` asyncio clients over ``CONNECTIONS`` keep-alive connections. Each client, again
  and again until nothing is left: GET the office's free days, GET the slots of the earliest or a random
  day, POST a booking for a random free slot (a new e-mail each time), and on 409 take a random offered
  alternative (at most ``ATTEMPTS`` tries). Bounded by ``MAX_REQUESTS`` and ``STORM_SECONDS``.
* Afterwards the ledger is checked in SQL: cells with ``booked > bookable``, cells where the BOOKED/HELD
  appointments overlapping them exceed ``bookable``, and the sum of ``booked`` against the cells the
  appointments cover. ``double_bookings`` counts the first two.
* The ceiling, same run, same database: the storm's appointments are deleted and the cells reset, then a
  psycopg loop does in SQL what one booking does (BEGIN; SELECT the cells FOR UPDATE; UPDATE booked =
  booked + 1 WHERE booked < bookable; INSERT the appointment; COMMIT) for the same 2,000 slots, on one
  connection (the ratio uses this one) and on four.

Targets (reported, not asserted): availability p95 < 50 ms, booking p95 < 150 ms, app bookings/s at
least a third of the single-connection raw SQL rate. The last line is ``RESULT {...}`` (JSON).
"""

from __future__ import annotations

import asyncio
import json
import os
import random
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from datetime import time as clock
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "src"))
sys.path.insert(0, str(ROOT))  # tests.harness.ports, tests.appointments.altcha_helpers

from stats import percentile  # noqa: E402  (bench/, the script's folder)
from tests.harness.ports import free_port  # noqa: E402

DEFAULT_URL = "postgres://postgres@127.0.0.1:5432/bench_booking"
SLOTS = 2000
COUNTERS = 15
WALK_IN_PERCENT = 30  # 15 counters → 10 bookable per cell
GRID = 10
HOURS = ((clock(8), clock(12)), (clock(13), clock(15, 40)))  # 24 + 16 cells
CLIENTS = 200
CONNECTIONS = int(os.environ.get("BENCH_CONNECTIONS", "8"))
WORKERS = int(os.environ.get("BENCH_WORKERS", "2"))
ATTEMPTS = 3  # a 409 is followed by at most two alternatives
MAX_REQUESTS = 20_000
STORM_SECONDS = float(os.environ.get("BENCH_STORM_SECONDS", "75"))
ALTCHA_MAX_NUMBER = 10  # the smallest difficulty that is still a real challenge
PRESOLVED_PER_SLOT = 2.5  # every booking POST uses one, also those answered 409
RAW_CONNECTIONS = 4
SEED = 20261117
TARGETS = {"availability_p95_ms": 50.0, "booking_p95_ms": 150.0, "ratio": 1 / 3}
SETTINGS_MODULE = "bench_booking_settings"
SERVER_LOG = ROOT / "var" / "bench-booking-server.log"  # kept after the run


# -- database and settings ----------------------------------------------------------------------


def configure_database() -> str:
    """Recreate the benchmark database; return its URL (also set as ``DATABASE_URL`` for the server)."""
    import psycopg

    url = os.environ.get("DATABASE_URL") or DEFAULT_URL
    parts = urlsplit(url)
    if not parts.scheme.startswith("postgres"):
        raise SystemExit("bench-booking needs PostgreSQL: set DATABASE_URL=postgres://…")
    name = parts.path.lstrip("/") or "bench_booking"
    with psycopg.connect(urlunsplit(parts._replace(path="/postgres")), autocommit=True) as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')  # our own, recreated each run
        admin.execute(f'CREATE DATABASE "{name}"')
    url = urlunsplit(parts._replace(path=f"/{name}"))
    os.environ["DATABASE_URL"] = url
    return url


def configure_server_env() -> tuple[int, str]:
    """The production recommendations, through the project's own settings (inherited by the server):
    Django's connection pool with one connection per client connection (``BENCH_DB_POOL=0``: none)
    and Redis as the cache (``BENCH_CACHE_URL``; empty: the database cache). Returns both."""
    pool = CONNECTIONS if os.environ.get("BENCH_DB_POOL", "1") != "0" else 0
    os.environ["DB_POOL_MAX_SIZE"] = str(pool)
    os.environ["DB_CONN_MAX_AGE"] = "0"
    os.environ["CACHE_URL"] = os.environ.get("BENCH_CACHE_URL", "redis://127.0.0.1:6379/0")
    return pool, os.environ["CACHE_URL"]


def write_settings(folder: Path) -> None:
    """The project's settings plus the benchmark's: rate limits off, ALTCHA at its smallest difficulty."""
    lines = [
        "from buergerbuero.config.settings import *  # noqa: F403",
        "APPOINTMENTS_RATE_LIMITS = {scope: (0, 60) for scope in "
        "('reserve', 'availability', 'book', 'waitlist', 'lottery')}",
        f"ALTCHA_MAX_NUMBER = {ALTCHA_MAX_NUMBER}",
    ]
    (folder / f"{SETTINGS_MODULE}.py").write_text("\n".join(lines) + "\n")


# -- seed ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Storm:
    office_pk: int
    office_id: str  # public_id, as the API names offices
    group_pk: int
    service_slug: str
    first: datetime  # the first bookable cell start (tomorrow, Berlin)
    slots: int
    days: int


def seed() -> Storm:
    from django.core.management import call_command
    from django.db.models import Sum
    from django.utils import timezone

    from buergerbuero.appointments.models import BookingPolicy, CapacityCell, ServiceGroup
    from buergerbuero.appointments.services.booking import release_capacity
    from buergerbuero.catalog.models import Service
    from buergerbuero.core.tenancy import scopes_disabled
    from buergerbuero.tenants.models import Counter, District, Municipality, Office, OpeningHours

    call_command("migrate", verbosity=0)
    call_command("createcachetable", verbosity=0)  # for the database cache, when BENCH_CACHE_URL is empty
    district = District.objects.create(name="Rhein-Kreis Neuss", ars="05162", slug="rhein-kreis-neuss")
    service = Service.objects.create(
        slug="personalausweis", leika_key="99000000000000", name_de="Personalausweis beantragen", counter_minutes=10
    )
    towns = [("Neuss", "neuss", "05162024"), ("Kaarst", "kaarst", "05162016"), ("Dormagen", "dormagen", "05162004")]
    offices = []
    with scopes_disabled():
        for n, (name, slug, ags) in enumerate(towns):
            town = Municipality.objects.create(
                district=district, name=name, slug=slug, ags=ags, ars=f"{ags[:5]}0{ags[5:]}{ags[5:]}"
            )
            office = Office.objects.create(
                municipality=town,
                name=f"Bürgerbüro {name}",
                slug="rathaus",
                street="Markt",
                house_number="1",
                postcode="41460",
                city=name,
            )
            OpeningHours.objects.bulk_create(
                OpeningHours(office=office, weekday=weekday, opens=opens, closes=closes)
                for weekday in range(6)
                for opens, closes in HOURS
            )
            counters = COUNTERS if n == 0 else 4
            Counter.objects.bulk_create(Counter(office=office, name=f"Platz {c}") for c in range(1, counters + 1))
            BookingPolicy.objects.create(office=office, grid_minutes=GRID, walk_in_percent=WALK_IN_PERCENT)
            group = ServiceGroup.objects.create(office=office, key="buergerdienste", name="Bürgerdienste")
            group.counters.set(Counter.objects.filter(office=office))
            group.services.set([service])
            offices.append((office, group))
        for office, _group in offices[1:]:
            release_capacity(office)
        office, group = offices[0]
        first = timezone.localtime(timezone.now()).date() + timedelta(days=1)
        start = datetime.combine(first, clock(0), timezone.get_current_timezone())
        cells = CapacityCell.objects.filter(group=group, starts_at__gte=start)
        last, released = first, 0
        while released < SLOTS:  # day by day, so holidays and Sundays simply add a day
            release_capacity(office, through=last)
            released = cells.aggregate(total=Sum("bookable"))["total"] or 0
            last += timedelta(days=1)
        days = len({timezone.localtime(at).date() for at in cells.values_list("starts_at", flat=True)})
    return Storm(office.pk, str(office.public_id), group.pk, service.slug, start, released, days)


# -- the server -----------------------------------------------------------------------------------


@contextmanager
def running_server(port: int, settings_dir: Path, log: Path) -> Iterator[None]:
    import httpx

    env = dict(os.environ)
    env["DJANGO_SETTINGS_MODULE"] = SETTINGS_MODULE
    paths = [str(ROOT / "src"), str(settings_dir), os.environ.get("PYTHONPATH", "")]
    env["PYTHONPATH"] = os.pathsep.join(filter(None, paths))
    log.parent.mkdir(exist_ok=True)
    with log.open("wb") as output:
        server = subprocess.Popen(
            [sys.executable, "-m", "uvicorn", "buergerbuero.config.asgi:application",
             "--host", "127.0.0.1", "--port", str(port), "--workers", str(WORKERS),
             "--no-access-log", "--log-level", "warning"],
            env=env, stdout=output, stderr=subprocess.STDOUT,
        )  # fmt: skip
    try:
        deadline = time.monotonic() + 60
        while True:
            if server.poll() is not None:
                raise SystemExit(f"the server exited with {server.returncode}:\n{log.read_text()[-3000:]}")
            try:
                if httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if time.monotonic() > deadline:
                raise SystemExit("the server did not start in time")
            time.sleep(0.2)
        yield
    finally:
        server.terminate()
        try:
            server.wait(timeout=10)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()


# -- the storm ------------------------------------------------------------------------------------


@dataclass
class StormStats:
    availability_ms: list[float] = field(default_factory=list)  # on the wire, after a connection was free
    booking_ms: list[float] = field(default_factory=list)
    availability_queued_ms: list[float] = field(default_factory=list)  # including the wait for a connection
    booking_queued_ms: list[float] = field(default_factory=list)
    statuses: dict[str, int] = field(default_factory=dict)
    booked: int = 0
    taken: int = 0
    errors: int = 0
    rate_limited: int = 0
    requests: int = 0
    first_booking: float = 0.0
    last_booking: float = 0.0
    seconds: float = 0.0
    sold_out: bool = False
    extra_challenges: int = 0  # solved during the storm because the pre-solved pool ran dry


def days_of(payload: Any) -> list[str]:
    days = payload.get("days", []) if isinstance(payload, dict) else payload
    return [day if isinstance(day, str) else day.get("date", "") for day in days]


async def run_storm(base: str, storm: Storm, challenges: list[str], rng: random.Random) -> StormStats:
    import httpx
    from tests.appointments.altcha_helpers import solved

    stats = StormStats()
    connections = asyncio.Semaphore(CONNECTIONS)
    started = time.perf_counter()
    deadline = started + STORM_SECONDS
    done = asyncio.Event()
    serial = iter(range(10**9))
    services = storm.service_slug
    limits = httpx.Limits(max_connections=CONNECTIONS, max_keepalive_connections=CONNECTIONS)

    async with httpx.AsyncClient(base_url=base, limits=limits, timeout=httpx.Timeout(15.0)) as http:

        async def call(method: str, url: str, kind: str, **kwargs: Any) -> httpx.Response | None:
            if stats.requests >= MAX_REQUESTS or time.perf_counter() > deadline:
                done.set()
                return None
            stats.requests += 1
            queued = time.perf_counter()
            async with connections:
                sent = time.perf_counter()
                try:
                    response = await http.request(method, url, **kwargs)
                except httpx.HTTPError as error:
                    stats.errors += 1
                    stats.statuses[type(error).__name__] = stats.statuses.get(type(error).__name__, 0) + 1
                    return None
                answered = time.perf_counter()
            status = str(response.status_code)
            stats.statuses[status] = stats.statuses.get(status, 0) + 1
            if response.status_code >= 500:
                stats.errors += 1
            if response.status_code == 429:
                stats.rate_limited += 1
            wire, total = (answered - sent) * 1000, (answered - queued) * 1000
            if kind == "booking":
                stats.booking_ms.append(wire)
                stats.booking_queued_ms.append(total)
            else:
                stats.availability_ms.append(wire)
                stats.availability_queued_ms.append(total)
            return response

        async def book(start: str) -> httpx.Response | None:
            number = next(serial)
            if number < len(challenges):
                altcha = challenges[number]
            elif challenges:  # the pool ran dry: fetch and solve one more, outside the timings
                stats.extra_challenges += 1
                altcha = solved((await http.get("/api/appointments/challenge")).json())
            else:
                altcha = ""
            return await call(
                "POST",
                "/api/appointments/bookings",
                "booking",
                json={
                    "office": storm.office_id,
                    "services": [services],
                    "start": start,
                    "name": f"Storm Client {number}",
                    "email": f"storm{number}@example.org",
                    "altcha": altcha,
                    "idempotency_key": f"storm-{number}",
                },
            )

        async def client() -> None:
            while not done.is_set():
                answer = await call(
                    "GET", f"/api/appointments/offices/{storm.office_id}/days?services={services}", "days"
                )
                if answer is None or answer.status_code != 200:
                    await asyncio.sleep(0.05)
                    continue
                days = days_of(answer.json())
                if not days:
                    stats.sold_out = True
                    done.set()
                    return
                day = days[0] if rng.random() < 0.5 else rng.choice(days)
                answer = await call(
                    "GET", f"/api/appointments/offices/{storm.office_id}/slots?services={services}&date={day}", "slots"
                )
                if answer is None or answer.status_code != 200:
                    continue
                slots = answer.json().get("slots", [])
                if not slots:
                    continue
                start = rng.choice(slots)["start"]
                for _attempt in range(ATTEMPTS):
                    answer = await book(start)
                    if answer is None:
                        break
                    if answer.status_code == 201:
                        stats.booked += 1
                        stats.last_booking = time.perf_counter()
                        stats.first_booking = stats.first_booking or stats.last_booking
                        break
                    if answer.status_code != 409:
                        break
                    stats.taken += 1
                    offered = answer.json().get("alternatives", [])
                    if not offered:
                        break
                    start = rng.choice(offered)["start"]

        await asyncio.gather(*(client() for _ in range(CLIENTS)))
    stats.seconds = time.perf_counter() - started
    return stats


def presolved_challenges(base: str, count: int) -> list[str]:
    """``count`` ALTCHA payloads, each a real challenge of the server solved here, before the storm
    (with the tests' solver, ``tests/appointments/altcha_helpers.solved``); empty without ALTCHA."""
    import httpx

    try:
        from tests.appointments.altcha_helpers import solved
    except ImportError:
        return []
    with httpx.Client(base_url=base, timeout=10) as http:
        if http.get("/api/appointments/challenge").status_code != 200:
            return []
        return [solved(http.get("/api/appointments/challenge").json()) for _ in range(count)]


# -- the ledger -------------------------------------------------------------------------------------


def ledger(group_pk: int) -> dict[str, int]:
    """Double bookings and the agreement of cells and appointments, for one group, in SQL."""
    from django.db import connection

    queries = {
        "overbooked_cells": "SELECT count(*) FROM appointments_capacitycell WHERE group_id = %s AND booked > bookable",
        "cells_over_by_appointments": """
            SELECT count(*) FROM (
                SELECT c.id FROM appointments_capacitycell c
                JOIN appointments_appointment a ON a.group_id = c.group_id AND a.state IN ('booked', 'held')
                    AND a.starts_at < c.ends_at AND a.ends_at > c.starts_at
                WHERE c.group_id = %s GROUP BY c.id, c.bookable HAVING count(*) > c.bookable
            ) over_cells""",
        "booked_appointments": "SELECT count(*) FROM appointments_appointment WHERE group_id = %s AND state = 'booked'",
        "held_appointments": "SELECT count(*) FROM appointments_appointment WHERE group_id = %s AND state = 'held'",
        "cells_booked_sum": "SELECT coalesce(sum(booked), 0) FROM appointments_capacitycell WHERE group_id = %s",
        "appointment_cells_sum": """
            SELECT count(*) FROM appointments_capacitycell c
            JOIN appointments_appointment a ON a.group_id = c.group_id AND a.state IN ('booked', 'held')
                AND a.starts_at < c.ends_at AND a.ends_at > c.starts_at
            WHERE c.group_id = %s""",
    }
    found = {}
    with connection.cursor() as cursor:
        for name, sql in queries.items():
            cursor.execute(sql, [group_pk])
            found[name] = int(cursor.fetchone()[0])
    found["double_bookings"] = found["overbooked_cells"] + found["cells_over_by_appointments"]
    found["ledger_mismatch"] = abs(found["cells_booked_sum"] - found["appointment_cells_sum"])
    return found


# -- the raw SQL ceiling ------------------------------------------------------------------------------

RAW_CELLS = """
    SELECT id, booked, bookable FROM appointments_capacitycell
    WHERE group_id = %s AND starts_at >= %s AND starts_at < %s ORDER BY starts_at FOR UPDATE"""
RAW_CLAIM = "UPDATE appointments_capacitycell SET booked = booked + 1 WHERE id = ANY(%s) AND booked < bookable"
RAW_INSERT = """
    INSERT INTO appointments_appointment (
        public_id, code, office_id, group_id, starts_at, ends_at, state, channel, name, email, phone, person_key,
        needs_accessibility, note, manage_token_hash, created_at, confirmed_at, cancel_reason
    ) VALUES (%s, %s, %s, %s, %s, %s, 'booked', 'api', %s, %s, '', %s, false, '', %s, now(), now(), '')"""


def reset_cells(storm: Storm) -> None:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(
            "DELETE FROM appointments_appointment_services WHERE appointment_id IN "
            "(SELECT id FROM appointments_appointment WHERE group_id = %s)",
            [storm.group_pk],
        )
        cursor.execute("DELETE FROM appointments_appointment WHERE group_id = %s", [storm.group_pk])
        cursor.execute("UPDATE appointments_capacitycell SET booked = 0 WHERE group_id = %s", [storm.group_pk])


def slot_list(storm: Storm, rng: random.Random) -> list[tuple[datetime, datetime]]:
    """Every single-cell slot of the storm once (a cell with room for 10 appears 10 times), shuffled."""
    from buergerbuero.appointments.models import CapacityCell
    from buergerbuero.core.tenancy import scopes_disabled

    with scopes_disabled():
        cells = CapacityCell.objects.filter(group_id=storm.group_pk, starts_at__gte=storm.first)
        slots = [(c.starts_at, c.ends_at) for c in cells for _ in range(c.bookable)]
    rng.shuffle(slots)
    return slots


def raw_loop(url: str, storm: Storm, slots: list[tuple[datetime, datetime]], connections: int) -> tuple[float, int]:
    """Book every slot in plain SQL over ``connections`` connections; (bookings per second, refused)."""
    import psycopg

    queue = list(slots)
    lock = threading.Lock()
    refused = [0]

    def worker() -> None:
        with psycopg.connect(url) as conn:
            while True:
                with lock:
                    if not queue:
                        return
                    starts_at, ends_at = queue.pop()
                with conn.transaction():
                    cells = conn.execute(RAW_CELLS, (storm.group_pk, starts_at, ends_at)).fetchall()
                    ids = [row[0] for row in cells]
                    if conn.execute(RAW_CLAIM, (ids,)).rowcount != len(ids) or not ids:
                        refused[0] += 1
                        raise psycopg.Rollback()
                    key = uuid.uuid4()
                    conn.execute(
                        RAW_INSERT,
                        (key, f"R-{key.hex[:10]}", storm.office_pk, storm.group_pk, starts_at, ends_at,
                         "Raw Client", f"{key.hex}@example.org", key.hex, key.hex),
                    )  # fmt: skip

    threads = [threading.Thread(target=worker) for _ in range(connections)]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    elapsed = time.perf_counter() - started
    return (len(slots) - refused[0]) / elapsed, refused[0]


def latency_row(name: str, values: list[float]) -> str:
    p50, p95, p99 = (percentile(values, q) for q in (0.5, 0.95, 0.99))
    return f"{name:<40}{len(values):>7}{p50:>9.1f}{p95:>9.1f}{p99:>9.1f}{max(values or [0]):>9.1f}"


def verdict(met: bool) -> str:
    return "PASS" if met else "MISS"


def main() -> None:
    rng = random.Random(SEED)
    os.environ.setdefault("SECRET_KEY", "bench-booking-only")
    os.environ["DEBUG"] = "false"
    os.environ["STATIC_MANIFEST"] = "false"
    os.environ["LOG_FORMAT"] = "plain"
    os.environ.setdefault("LOG_LEVEL", "WARNING")  # one log line per request would drown the table
    load = os.getloadavg()
    url = configure_database()
    print(f"Booking benchmark on {urlsplit(url).path.lstrip('/')} (PostgreSQL); load average before: {load[0]:.2f}.")
    print("The machine's two cores are shared (other processes, and this client); compare runs on an idle machine.")

    with tempfile.TemporaryDirectory(prefix="bench-booking-") as folder:
        settings_dir = Path(folder)
        sys.path.insert(0, str(settings_dir))
        os.environ["DJANGO_SETTINGS_MODULE"] = SETTINGS_MODULE
        pool, cache_url = configure_server_env()
        write_settings(settings_dir)
        import django

        django.setup()
        started = time.perf_counter()
        storm = seed()
        print(
            f"Seeded and released in {time.perf_counter() - started:.1f} s: {storm.slots} slots "
            f"({storm.days} days × 40 cells × 10 bookable) at one office, 2 more offices with 8 weeks each."
        )
        print(
            f"Server: uvicorn, {WORKERS} workers. Clients: {CLIENTS} over {CONNECTIONS} connections. "
            "Per-client rate limits: OFF (all clients are 127.0.0.1)."
        )
        print(
            "Database connections: "
            + (
                f"Django's psycopg pool (at most {pool} per worker)."
                if pool
                else "one per request (DB_CONN_MAX_AGE=0, BENCH_DB_POOL=0)."
            )
        )
        print(
            "Cache (used ALTCHA solutions): "
            + (
                f"Redis at {cache_url}, as recommended for production."
                if cache_url
                else "the database cache (BENCH_CACHE_URL empty; production should use Redis)."
            )
        )

        port = free_port()
        base = f"http://127.0.0.1:{port}"
        with running_server(port, settings_dir, SERVER_LOG):
            presolve_started = time.perf_counter()
            challenges = presolved_challenges(base, int(SLOTS * PRESOLVED_PER_SLOT))
            altcha = f"ON, max number {ALTCHA_MAX_NUMBER}, {len(challenges)} pre-solved" if challenges else "OFF"
            print(f"ALTCHA: {altcha} (in {time.perf_counter() - presolve_started:.1f} s, before the storm).")
            stats = asyncio.run(run_storm(base, storm, challenges, rng))

        storm_ledger = ledger(storm.group_pk)
        booking_window = max(stats.last_booking - stats.first_booking, 1e-9)
        bookings_per_s = stats.booked / booking_window

        reset_cells(storm)
        slots = slot_list(storm, rng)
        raw_per_s, raw_refused = raw_loop(url, storm, slots, 1)
        raw_ledger = ledger(storm.group_pk)
        reset_cells(storm)
        raw4_per_s, raw4_refused = raw_loop(url, storm, slots, RAW_CONNECTIONS)
        raw4_ledger = ledger(storm.group_pk)

    ratio = bookings_per_s / raw_per_s if raw_per_s else 0.0
    availability = stats.availability_ms
    result = {
        "name": "booking",
        "double_bookings": storm_ledger["double_bookings"],
        "availability_p95_ms": round(percentile(availability, 0.95), 1),
        "booking_p95_ms": round(percentile(stats.booking_ms, 0.95), 1),
        "bookings_per_s": round(bookings_per_s, 1),
        "raw_sql_per_s": round(raw_per_s, 1),
        "ratio": round(ratio, 3),
    }

    print(f"\n{'latency (ms)':<40}{'count':>7}{'p50':>9}{'p95':>9}{'p99':>9}{'max':>9}")
    print(latency_row("availability (days + slots GETs)", availability))
    print(latency_row("booking POST", stats.booking_ms))
    print(latency_row("availability incl. wait for a connection", stats.availability_queued_ms))
    print(latency_row("booking incl. wait for a connection", stats.booking_queued_ms))

    print(f"\n{'storm':<40}{'value':>12}")
    rows = [
        ("slots released", storm.slots),
        ("booked (201)", stats.booked),
        ("taken (409)", stats.taken),
        ("errors (5xx, timeouts)", stats.errors),
        ("rate limited (429)", stats.rate_limited),
        ("ALTCHA solved during the storm", stats.extra_challenges),
        ("requests", stats.requests),
        ("sold out", "yes" if stats.sold_out else "no"),
        ("storm seconds", f"{stats.seconds:.1f}"),
        ("bookings/s (first to last 201)", f"{bookings_per_s:.1f}"),
        ("statuses", ", ".join(f"{k}: {v}" for k, v in sorted(stats.statuses.items()))),
    ]
    rows += [(f"ledger: {k.replace('_', ' ')}", v) for k, v in storm_ledger.items()]
    for name, value in rows:
        print(f"{name:<40}{value!s:>12}")

    print(f"\n{'raw SQL ceiling':<40}{'per s':>12}{'refused':>9}{'double':>8}")
    single = "1 connection (the ratio uses this)"
    print(f"{single:<40}{raw_per_s:>12.1f}{raw_refused:>9}{raw_ledger['double_bookings']:>8}")
    print(
        f"{f'{RAW_CONNECTIONS} connections':<40}{raw4_per_s:>12.1f}{raw4_refused:>9}{raw4_ledger['double_bookings']:>8}"
    )

    print(f"\n{'target':<40}{'value':>12}{'goal':>12}{'':>6}")
    checks = [
        ("double bookings", result["double_bookings"], "0", result["double_bookings"] == 0),
        ("availability p95 (ms)", result["availability_p95_ms"], "< 50", result["availability_p95_ms"] < 50),
        ("booking p95 (ms)", result["booking_p95_ms"], "< 150", result["booking_p95_ms"] < 150),
        ("app / raw SQL (1 connection)", result["ratio"], ">= 0.333", ratio >= TARGETS["ratio"]),
    ]  # fmt: skip
    for name, value, goal, met in checks:
        print(f"{name:<40}{value!s:>12}{goal:>12}{verdict(bool(met)):>6}")
    print("RESULT " + json.dumps(result))


if __name__ == "__main__":
    main()
