"""Benchmark of the back office's inbox with 100,000 cases in the Kreis (``make bench-inbox``).

Setup, fixed before measuring (docs/applications-bench.md):

* PostgreSQL only: ``DATABASE_URL`` (default ``postgres://postgres@127.0.0.1:5432/bb_bench_inbox``) names the
  benchmark's own database, dropped, created and migrated each run. ``--reuse`` (or ``BENCH_REUSE=1``) keeps
  a database an earlier run seeded with the same ``BENCH_CASES`` (migrating it, not re-inserting the cases).
* One Kreis, the 8 towns of the Rhein-Kreis Neuss (Neuss, the largest, gets the most cases), 6 online
  services, 4 clerks per town. 100,000 cases written with ``bulk_create`` in batches of 5,000: two thirds
  decided or closed, the rest received / in review / waiting; 70 % of them assigned; deadlines 14 days
  after submission over the last two years, so a share of the open ones is overdue.
* Measured in-process with Django's test client through the whole middleware stack (session, tenant
  scope, second factor), signed in the real way (password and TOTP code) as a clerk of Neuss: the inbox
  page and the staff API under several filters, sorts and pages (page 1 to page 200), ``ROUNDS`` times
  each after a warm-up. Every request's queries are counted; the number must be the same for every
  page and filter.
* The raw SQL baseline, same run: the two queries one inbox page runs (counts per state and the rows),
  captured from the application and replayed with psycopg on one connection.

Target (reported, not asserted): inbox page and API p95 < 100 ms. The last line is ``RESULT {...}``.
"""

from __future__ import annotations

import json
import os
import random
import sys
import time
import uuid
from datetime import timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "src"))
sys.path.insert(0, str(ROOT))  # tests.harness.staff

from stats import percentile  # noqa: E402  (bench/, the script's folder)

DEFAULT_URL = "postgres://postgres@127.0.0.1:5432/bb_bench_inbox"
CASES = int(os.environ.get("BENCH_CASES", "100000"))
BATCH = 5000
ROUNDS = int(os.environ.get("BENCH_ROUNDS", "40"))
SEED = 20261117
TARGET_P95_MS = 100.0
TOWNS = [  # name, slug, AGS, share of the cases
    ("Neuss", "neuss", "05162024", 0.30),
    ("Dormagen", "dormagen", "05162004", 0.13),
    ("Grevenbroich", "grevenbroich", "05162008", 0.13),
    ("Meerbusch", "meerbusch", "05162022", 0.11),
    ("Kaarst", "kaarst", "05162016", 0.09),
    ("Korschenbroich", "korschenbroich", "05162020", 0.07),
    ("Jüchen", "juechen", "05162012", 0.05),
    ("Rommerskirchen", "rommerskirchen", "05162028", 0.12),
]
SERVICES = [
    ("gewerbe-anmeldung", "Gewerbe anmelden", 0.25),
    ("gewerbe-ummeldung", "Gewerbe ummelden", 0.08),
    ("gewerbe-abmeldung", "Gewerbe abmelden", 0.10),
    ("meldebescheinigung", "Meldebescheinigung beantragen", 0.27),
    ("bewohnerparkausweis", "Bewohnerparkausweis beantragen", 0.20),
    ("hundesteuer-anmeldung", "Hund zur Hundesteuer anmelden", 0.10),
]
STATES = [("closed", 0.45), ("decided", 0.20), ("received", 0.12), ("in_review", 0.15), ("waiting", 0.08)]
NAMES = ["Müller", "Schmidt", "Schneider", "Fischer", "Weber", "Meyer", "Wagner", "Becker", "Schulz", "Hoffmann"]
GIVEN = ["Anna", "Ben", "Clara", "David", "Emma", "Felix", "Greta", "Hannah", "Jonas", "Lea", "Mehmet", "Sofia"]


def configure_database(*, reuse: bool) -> tuple[str, bool]:
    """The benchmark database's URL, and whether it is an earlier run's (``reuse`` and it exists)."""
    import psycopg

    url = os.environ.get("DATABASE_URL") or DEFAULT_URL
    parts = urlsplit(url)
    if not parts.scheme.startswith("postgres"):
        raise SystemExit("bench-inbox needs PostgreSQL: set DATABASE_URL=postgres://…")
    name = parts.path.lstrip("/") or "bb_bench_inbox"
    with psycopg.connect(urlunsplit(parts._replace(path="/postgres")), autocommit=True) as admin:
        exists = admin.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone() is not None
        if not (reuse and exists):
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')  # our own, recreated each run
            admin.execute(f'CREATE DATABASE "{name}"')
    url = urlunsplit(parts._replace(path=f"/{name}"))
    os.environ["DATABASE_URL"] = url
    return url, reuse and exists


def reused() -> dict[str, Any] | None:
    """The town and clerk of an earlier run's data (migrated to now), or ``None`` when it is not complete."""
    from django.core.management import call_command

    from buergerbuero.accounts.models import User
    from buergerbuero.applications.models import Case
    from buergerbuero.core.tenancy import scopes_disabled
    from buergerbuero.tenants.models import Municipality

    call_command("migrate", verbosity=0)
    call_command("createcachetable", verbosity=0)
    slug = TOWNS[0][1]
    with scopes_disabled():
        town = Municipality.objects.filter(slug=slug).first()
        clerk = User.objects.filter(username=f"{slug}-0").first()
        if town is None or clerk is None or Case.objects.count() != CASES:
            return None
    return {"town": town, "clerk": clerk}


def pick(rng: random.Random, weighted: list[Any]) -> Any:
    return rng.choices(weighted, weights=[w[-1] for w in weighted])[0]


def seed(rng: random.Random) -> dict[str, Any]:
    """The Kreis, its towns, services, clerks and the cases; returns the clerk to sign in as."""
    from django.contrib.auth.hashers import make_password
    from django.core.management import call_command
    from django.db import connection
    from django.utils import timezone
    from tests.accounts.factories import STAFF_PASSWORD

    from buergerbuero.accounts.models import StaffRole, User
    from buergerbuero.applications.models import Case, FormDefinition
    from buergerbuero.catalog.models import Service
    from buergerbuero.core.tenancy import scopes_disabled
    from buergerbuero.tenants.models import District, Municipality

    call_command("migrate", verbosity=0)
    call_command("createcachetable", verbosity=0)
    district = District.objects.create(name="Rhein-Kreis Neuss", ars="05162", slug="rhein-kreis-neuss")
    services = []
    for slug, name, _share in SERVICES:
        service = Service.objects.create(slug=slug, leika_key="99050012104000", name_de=name, online_application=True)
        form = FormDefinition.objects.create(service=service, version=1, status="published", definition={})
        services.append((service, form))
    password = make_password(STAFF_PASSWORD)
    towns: list[tuple[Any, list[Any], float]] = []
    with scopes_disabled():
        for name, slug, ags, share in TOWNS:
            town = Municipality.objects.create(
                district=district, name=name, slug=slug, ags=ags, ars=f"{ags[:5]}0{ags[5:]}{ags[5:]}"
            )
            clerks = []
            for n in range(4):
                user = User.objects.create(
                    username=f"{slug}-{n}", first_name=rng.choice(GIVEN), last_name=rng.choice(NAMES),
                    password=password, kind="staff",
                )  # fmt: skip
                StaffRole.objects.create(user=user, role="clerk", municipality=town, district=district)
                clerks.append(user)
            towns.append((town, clerks, share))
        now = timezone.now()
        started = time.perf_counter()
        numbers = {"n": 0}
        batch: list[Case] = []
        for i in range(CASES):
            town, clerks, _share = pick(rng, towns)
            service, form = pick(rng, [(s, f, w) for (s, f), (_slug, _n, w) in zip(services, SERVICES, strict=True)])[
                :2
            ]
            state = pick(rng, STATES)[0]
            submitted = now - timedelta(minutes=rng.randint(0, 2 * 365 * 24 * 60))
            numbers["n"] += 1
            batch.append(
                Case(
                    municipality=town,
                    service=service,
                    form=form,
                    file_number=f"32.11/{submitted.year}/{numbers['n']:06d}",
                    draft_id=uuid.uuid4(),
                    applicant_name=f"{rng.choice(GIVEN)} {rng.choice(NAMES)}",
                    applicant_email=f"antrag{i}@example.org",
                    data={"n": i},
                    data_sha512="0" * 128,
                    state=state,
                    assignee=rng.choice(clerks) if rng.random() < 0.7 else None,
                    submitted_at=submitted,
                    due_at=submitted + timedelta(days=14),
                    decision="approved" if state in ("decided", "closed") else "",
                )
            )
            if len(batch) == BATCH:
                Case.objects.bulk_create(batch)
                batch.clear()
                print(f"  {i + 1:>7} cases ({time.perf_counter() - started:.0f} s)", flush=True)
        if batch:
            Case.objects.bulk_create(batch)
    with connection.cursor() as cursor:  # as autovacuum would: statistics, and the visibility map for index-only scans
        cursor.execute("VACUUM ANALYZE")
    return {"town": towns[0][0], "clerk": towns[0][1][0]}


#: CPU time (ms) of this process per request: the Python side of a request, which follows the machine's
#: load much less than the wall-clock timings do (the database's work is in its own processes).
CPU_MS: dict[str, list[float]] = {"page": [], "api": []}


def measure(
    client: Any, url: str, rounds: int, cpu: list[float] | None = None
) -> tuple[list[float], set[int], list[tuple[str, Any]]]:
    """Timings (ms) and query counts of ``rounds`` requests; the SQL of the last one. Appends each request's
    CPU time (ms) to ``cpu``."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    timings, counts = [], set()
    sql: list[tuple[str, Any]] = []
    client.get(url)  # warm-up
    for _ in range(rounds):
        with CaptureQueriesContext(connection) as queries:
            started, cpu_started = time.perf_counter(), time.process_time()
            response = client.get(url)
            timings.append((time.perf_counter() - started) * 1000)
            if cpu is not None:
                cpu.append((time.process_time() - cpu_started) * 1000)
        if response.status_code != 200:
            raise SystemExit(f"{url}: HTTP {response.status_code}")
        counts.add(len(queries))
        sql = [(q["sql"], None) for q in queries.captured_queries]
    return timings, counts, sql


def raw_baseline(url: str, statements: list[str], rounds: int) -> list[float]:
    """The inbox's own two queries, replayed with psycopg (no Django, no HTTP)."""
    import psycopg

    timings = []
    with psycopg.connect(url, autocommit=True) as conn:
        for statement in statements:
            conn.execute(statement).fetchall()  # warm-up
        for _ in range(rounds):
            started = time.perf_counter()
            for statement in statements:
                conn.execute(statement).fetchall()
            timings.append((time.perf_counter() - started) * 1000)
    return timings


def main() -> None:
    rng = random.Random(SEED)
    os.environ.setdefault("SECRET_KEY", "bench-inbox-only")
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "buergerbuero.config.settings")
    os.environ["DEBUG"] = "false"
    os.environ["STATIC_MANIFEST"] = "false"
    os.environ["LOG_FORMAT"] = "plain"
    os.environ.setdefault("LOG_LEVEL", "WARNING")
    os.environ["CACHE_URL"] = os.environ.get("BENCH_CACHE_URL", "")  # the database cache unless Redis is given
    reuse = "--reuse" in sys.argv[1:] or os.environ.get("BENCH_REUSE", "") not in ("", "0")
    url, existing = configure_database(reuse=reuse)
    print(f"Inbox benchmark: {CASES} cases in {len(TOWNS)} towns, {url.rsplit('@', 1)[-1]}.")

    import django

    django.setup()
    seeded = reused() if existing else None
    if seeded is None:
        if existing:
            where = url.rsplit("@", 1)[-1]
            raise SystemExit(f"{where} does not hold this benchmark's {CASES} cases: run it without --reuse")
        started = time.perf_counter()
        seeded = seed(rng)
        print(f"Loaded in {time.perf_counter() - started:.1f} s.")
    else:
        print("Reusing the seeded database (--reuse).")

    from django.test import Client
    from tests.harness.staff import confirmed_device, sign_in

    from buergerbuero.applications.models import Case
    from buergerbuero.core.tenancy import scopes_disabled

    town, clerk = seeded["town"], seeded["clerk"]
    with scopes_disabled():
        in_town = Case.objects.filter(municipality=town).count()
    print(f"{town.name}: {in_town} cases; signed in as {clerk.username}.")
    confirmed_device(clerk)
    client = sign_in(Client(HTTP_HOST="127.0.0.1"), clerk)
    base = f"/backoffice/{town.slug}/antraege/"
    api = f"/api/backoffice/{town.slug}/cases"
    pages = {
        "page 1": "",
        "page 200": "?seite=200",
        "open": "?status=open",
        "mine, by deadline": "?bearbeitung=me&sortierung=due",
        "overdue": "?frist=overdue&sortierung=-due",
        "service, page 20": "?leistung=meldebescheinigung&seite=20",
        "name search": "?suche=Weber",
        "file number, page 50": "?sortierung=file_number&seite=50",
    }
    apis = {
        "api page 1": "",
        "api page 200": "?page=200",
        "api open, mine": "?state=open&assignee=me",
        "api overdue": "?deadline=overdue&sort=due",
    }
    rows: list[tuple[str, list[float], set[int]]] = []
    page_ms: list[float] = []
    api_ms: list[float] = []
    page_counts: set[int] = set()
    api_counts: set[int] = set()
    inbox_sql: list[str] = []
    for name, query in pages.items():
        timings, counts, sql = measure(client, base + query, ROUNDS, CPU_MS["page"])
        rows.append((name, timings, counts))
        page_ms += timings
        page_counts |= counts
        if name == "page 200":
            inbox_sql = [s for s, _ in sql if '"applications_case"' in s]
    for name, query in apis.items():
        timings, counts, _sql = measure(client, api + query, ROUNDS, CPU_MS["api"])
        rows.append((name, timings, counts))
        api_ms += timings
        api_counts |= counts
    raw_ms = raw_baseline(url, inbox_sql, ROUNDS * 4)

    print(f"\n{'request':<24}{'n':>5}{'p50 ms':>9}{'p95 ms':>9}{'p99 ms':>9}{'queries':>9}")
    for name, timings, counts in [
        *rows,
        ("all inbox pages", page_ms, page_counts),
        ("all API calls", api_ms, api_counts),
        ("raw SQL (2 queries)", raw_ms, {len(inbox_sql)}),
    ]:
        print(
            f"{name:<24}{len(timings):>5}{percentile(timings, 0.5):>9.1f}{percentile(timings, 0.95):>9.1f}"
            f"{percentile(timings, 0.99):>9.1f}{'/'.join(map(str, sorted(counts))):>9}"
        )
    p95, api_p95 = percentile(page_ms, 0.95), percentile(api_ms, 0.95)
    pinned = len(page_counts) == 1 and len(api_counts) == 1
    verdict = "met" if p95 < TARGET_P95_MS and api_p95 < TARGET_P95_MS else "MISSED"
    load = os.getloadavg()
    print(
        f"\nCPU of this process per request, p50: page {percentile(CPU_MS['page'], 0.5):.1f} ms, "
        f"API {percentile(CPU_MS['api'], 0.5):.1f} ms. Load average {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}."
    )
    print(
        f"\nTarget p95 < {TARGET_P95_MS:.0f} ms: {verdict}. Queries per request "
        f"{'pinned' if pinned else 'NOT constant'}: page {sorted(page_counts)}, API {sorted(api_counts)}."
    )
    result = {
        "name": "inbox",
        "cases": CASES,
        "cases_in_town": in_town,
        "p50_ms": round(percentile(page_ms, 0.5), 2),
        "p95_ms": round(p95, 2),
        "p99_ms": round(percentile(page_ms, 0.99), 2),
        "api_p95_ms": round(api_p95, 2),
        "queries_per_page": max(page_counts),
        "api_queries_per_page": max(api_counts),
        "queries_pinned": pinned,
        "raw_sql_p95_ms": round(percentile(raw_ms, 0.95), 2),
        "page_cpu_p50_ms": round(percentile(CPU_MS["page"], 0.5), 2),
        "api_cpu_p50_ms": round(percentile(CPU_MS["api"], 0.5), 2),
        "load_average": round(load[0], 2),
    }
    print("RESULT " + json.dumps(result, ensure_ascii=False))


if __name__ == "__main__":
    main()
