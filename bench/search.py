"""Benchmark of the Kreis-wide service search over HTTP (``make bench-search``).

Setup, fixed before measuring:

* Its own database: SQLite ``var/bench-search.sqlite3`` (recreated each run), or, when
  ``DATABASE_URL`` points at PostgreSQL, a dedicated database ``<name>_bench_search`` next to it.
* 6,000 services: the 132 real service titles of ``leika_services_reference.csv`` (Munich's catalogue,
  keys and titles used as facts) and German names composed from word lists ("Hundesteuer –
  Ermäßigung", "Baumfällgenehmigung beantragen" …), with summaries, search words, 8 categories and
  10 life situations; 8 municipalities (the towns of the Rhein-Kreis Neuss), each offering every
  service (48,000 offerings, some with a local name). All written with ``bulk_create``.
* The real ASGI server (uvicorn, one process, as ``make demo`` runs it) on 127.0.0.1 on a free port.
* Warm-up (the first request builds the index), then ``REQUESTS`` search requests from ``CLIENTS``
  concurrent keep-alive clients: exact names, prefixes, typos, synonyms, umlaut spellings and
  multi-word queries, on the Kreis page, a municipality's page and the API. ``/healthz`` is measured
  in the same run as the baseline of a trivial request.

The last line is ``RESULT {...}`` (JSON). Target: p95 below 50 ms.
"""

from __future__ import annotations

import csv
import http.client
import json
import os
import random
import statistics
import subprocess
import sys
import threading
import time
from pathlib import Path
from urllib.parse import quote, urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "src"))
sys.path.insert(0, str(ROOT))  # tests.harness.ports

from stats import percentile  # noqa: E402  (bench/, the script's folder)
from tests.harness.ports import free_port  # noqa: E402

SERVICES = 6000
REQUESTS = 2000
BASELINE_REQUESTS = 400
CLIENTS = 4
WORKERS = 2  # uvicorn processes; each builds its own index, kept current by the version check
SEED = 20240611
TARGET_P95_MS = 50.0
REFERENCE_CSV = Path("/work/shared/data/catalog/leika_services_reference.csv")


def words(text: str) -> list[str]:
    return text.split()


MUNICIPALITIES = [  # name, slug, AGS (Destatis)
    ("Dormagen", "dormagen", "05162004"),
    ("Grevenbroich", "grevenbroich", "05162008"),
    ("Jüchen", "juechen", "05162012"),
    ("Kaarst", "kaarst", "05162016"),
    ("Korschenbroich", "korschenbroich", "05162020"),
    ("Meerbusch", "meerbusch", "05162022"),
    ("Neuss", "neuss", "05162024"),
    ("Rommerskirchen", "rommerskirchen", "05162028"),
]
SUBJECTS = words(
    "Hundesteuer Hund Baum Grab Gewerbe Gaststätte Fahrzeug Wohnsitz Straße Sondernutzung Markt Kita Schule "
    "Wohngeld Elterngeld Führerschein Parkausweis Sperrmüll Abfall Biotonne Grundsteuer Bauantrag "
    "Brandschutz Spielhalle Veranstaltung Plakat Feuerwerk Lärmschutz Brunnen Kleingarten Friedhof Urne Taxi "
    "Fischerei Jagd Waffe Sprengstoff Schornstein Denkmal Garage Carport Zaun Werbeanlage Baustelle Kran "
    "Container Gerüst Tiefgarage Wasser Abwasser Stellplatz Ehrenamt Jugendschutz Pflegegeld Reisegewerbe "
    "Pfandleihe Bewachung Makler Versteigerung Heilpraktiker Tierhaltung Imkerei Pferd Schaustellerei Kirmes "
    "Flohmarkt"
)
ACTIONS = words(
    "Anmeldung Abmeldung Ummeldung Genehmigung Erlaubnis Befreiung Ermäßigung Bescheinigung Auskunft Antrag "
    "Verlängerung Änderung Widerspruch Erstattung Zuschuss Beratung Prüfung Abnahme Anzeige Registrierung"
)
QUALIFIERS = ["", "für Privatpersonen", "für Unternehmen", "im Eilverfahren", "für Vereine"]
VERBS = ["beantragen", "anzeigen", "melden", "verlängern", "einreichen"]

QUERIES = {
    "exact": ["Personalausweis", "Reisepass", "Hundesteuer Anmeldung", "Meldebescheinigung", "Gewerbe Anzeige"],
    "prefix": ["Perso", "Reisep", "Hundest", "Sondernutz", "Baumf"],
    "typo": ["Persnalausweis", "Reisepas", "Furherschein", "Hundestuer", "Gaststäte Erlaubniss"],
    "synonym": ["Ummelden", "Gewerbeschein", "Auto anmelden", "Heiraten", "Kfz zulassen"],
    "umlaut": ["Fuehrerschein", "Strasse Sondernutzung", "Gaststaette", "Ermaessigung Hundesteuer", "Aenderung"],
    "words": ["Wohngeld beantragen", "Baum fällen Genehmigung", "Parkausweis für Unternehmen", "Grab verlängern"],
}


def reference_titles() -> list[tuple[str, str, int]]:
    with REFERENCE_CSV.open(encoding="utf-8") as handle:
        rows = [(r["leika_key"], r["name_munich"], int(r["duration_min"])) for r in csv.DictReader(handle)]
    return list({name: (key, name, minutes) for key, name, minutes in rows}.values())


def generated_names(count: int, rng: random.Random) -> list[str]:
    names: list[str] = []
    seen: set[str] = set()
    for subject in SUBJECTS:
        for action in ACTIONS:
            for qualifier in QUALIFIERS:
                style = rng.random()
                if style < 0.4:
                    name = f"{subject} – {action}"
                elif style < 0.7:
                    name = f"{subject}{action.lower()}"
                else:
                    name = f"{subject} {rng.choice(VERBS)}"
                    name = f"{action} {subject}" if name in seen else name
                name = f"{name} {qualifier}".strip()
                if name not in seen:
                    seen.add(name)
                    names.append(name)
    rng.shuffle(names)
    return names[:count]


def configure_database() -> str:
    """Point the settings at the benchmark's own database; return a description."""
    url = os.environ.get("DATABASE_URL", "")
    if not url:
        var = ROOT / "var"
        var.mkdir(exist_ok=True)
        for suffix in ("", "-wal", "-shm"):
            (var / f"bench-search.sqlite3{suffix}").unlink(missing_ok=True)
        os.environ["SQLITE_NAME"] = "bench-search.sqlite3"
        return f"SQLite {var / 'bench-search.sqlite3'}"
    import psycopg

    parts = urlsplit(url)
    name = f"{parts.path.lstrip('/') or 'buergerbuero'}_bench_search"
    admin = urlunsplit(parts._replace(path="/postgres"))
    with psycopg.connect(admin, autocommit=True) as connection:
        connection.execute(f'DROP DATABASE IF EXISTS "{name}"')  # our own, recreated each run
        connection.execute(f'CREATE DATABASE "{name}"')
    os.environ["DATABASE_URL"] = urlunsplit(parts._replace(path=f"/{name}"))
    return f"PostgreSQL database {name}"


def load(rng: random.Random) -> None:
    from django.core.management import call_command
    from django.utils.text import slugify

    from buergerbuero.catalog.constants import Level
    from buergerbuero.catalog.models import Category, LifeSituation, Service, ServiceOffering
    from buergerbuero.core.tenancy import scopes_disabled
    from buergerbuero.tenants.models import District, Municipality, Office

    call_command("migrate", verbosity=0)
    district = District.objects.create(name="Rhein-Kreis Neuss", ars="05162", slug="rhein-kreis-neuss")
    municipalities = Municipality.objects.bulk_create(
        Municipality(district=district, name=name, slug=slug, ags=ags, ars=f"{ags[:5]}0{ags[5:]}{ags[5:]}")
        for name, slug, ags in MUNICIPALITIES
    )
    with scopes_disabled():
        Office.objects.bulk_create(
            Office(
                municipality=m,
                name=f"Bürgerbüro {m.name}",
                slug="rathaus",
                street="Rathausplatz",
                house_number="1",
                postcode="41564",
                city=m.name,
            )
            for m in municipalities
        )
    categories = Category.objects.bulk_create(
        Category(slug=slugify(name), name_de=name, position=n)
        for n, name in enumerate(
            [
                "Ausweise und Pässe",
                "Meldewesen",
                "Gewerbe",
                "Kfz und Führerschein",
                "Familie und Personenstand",
                "Ordnung und Verkehr",
                "Bauen und Wohnen",
                "Steuern und Abgaben",
            ]
        )
    )
    situations = LifeSituation.objects.bulk_create(
        LifeSituation(slug=slugify(name), name_de=name, position=n)
        for n, name in enumerate(
            [
                "Umzug",
                "Gewerbe gründen",
                "Kind geboren",
                "Heiraten",
                "Auto kaufen",
                "Reisen ins Ausland",
                "Nach Deutschland ziehen",
                "Todesfall",
                "Bauen",
                "Haustier",
            ]
        )
    )
    real = reference_titles()
    names = [(key, name, minutes) for key, name, minutes in real]
    names += [("99000000000000", name, 15) for name in generated_names(SERVICES - len(real), rng)]
    services = []
    for n, (key, name, minutes) in enumerate(names):
        words = name.replace("–", " ").split()
        services.append(
            Service(
                slug=f"{slugify(name)[:100]}-{n}",
                leika_key=key if key.startswith("99") and len(key) == 14 else "99000000000000",
                name_de=name,
                summary_de=(
                    f"Hier beantragen Sie {name}. Die Leistung betrifft {words[0]} und wird von Ihrer Stadt "
                    f"oder Gemeinde bearbeitet; bringen Sie die nötigen Unterlagen mit."
                ),
                keywords=", ".join(rng.sample(SUBJECTS, 2)),
                fee={"kind": "fixed", "amount": "10.00"},
                level=Level.DISTRICT if n % 17 == 0 else Level.MUNICIPALITY,
                counter_minutes=minutes,
                walk_in=n % 3 == 0,
                online_application=n % 4 == 0,
            )
        )
    services = Service.objects.bulk_create(services, batch_size=1000)
    Service.categories.through.objects.bulk_create(
        [Service.categories.through(service_id=s.pk, category_id=categories[n % 8].pk) for n, s in enumerate(services)],
        batch_size=5000,
    )
    Service.life_situations.through.objects.bulk_create(
        [
            Service.life_situations.through(service_id=s.pk, lifesituation_id=situations[n % 10].pk)
            for n, s in enumerate(services)
            if n % 3
        ],
        batch_size=5000,
    )
    with scopes_disabled():
        ServiceOffering.objects.bulk_create(
            (
                ServiceOffering(
                    municipality=m,
                    service=s,
                    name_de=f"{s.name_de} ({m.name})" if (n + i) % 50 == 0 else "",
                )
                for i, m in enumerate(municipalities)
                for n, s in enumerate(services)
            ),
            batch_size=5000,
        )


def wait_until_up(port: int, server: subprocess.Popen[bytes], timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise SystemExit(f"the server exited with {server.returncode}")
        try:
            connection = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
            connection.request("GET", "/healthz")
            if connection.getresponse().status == 200:
                return
        except OSError:
            time.sleep(0.2)
    raise SystemExit("the server did not start in time")


def paths(rng: random.Random, count: int) -> list[tuple[str, str]]:
    """(kind, path) pairs: every query kind on the Kreis page, a municipality's page and the API."""
    chosen = []
    kinds = list(QUERIES)
    for n in range(count):
        kind = kinds[n % len(kinds)]
        q = quote(rng.choice(QUERIES[kind]))
        slug = rng.choice(MUNICIPALITIES)[1]
        place = n % 3
        if place == 0:
            chosen.append((kind, f"/leistungen/suche/?q={q}"))
        elif place == 1:
            chosen.append((kind, f"/{slug}/leistungen/suche/?q={q}"))
        else:
            chosen.append((kind, f"/api/services?q={q}&municipality={slug}"))
    rng.shuffle(chosen)
    return chosen


def run(port: int, work: list[tuple[str, str]], clients: int) -> tuple[list[tuple[str, str, float]], int]:
    """Issue ``work`` from ``clients`` keep-alive connections; (kind, path, ms) per answer, and the error count."""
    timings: list[tuple[str, str, float]] = []
    errors = [0]
    lock = threading.Lock()
    queue = list(reversed(work))

    def client() -> None:
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        while True:
            with lock:
                if not queue:
                    break
                kind, path = queue.pop()
            started = time.perf_counter()
            try:
                connection.request("GET", path, headers={"Accept-Language": "de"})
                response = connection.getresponse()
                response.read()
                ok = response.status == 200
            except OSError:
                ok = False
                connection.close()
                connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
            elapsed = (time.perf_counter() - started) * 1000
            with lock:
                timings.append((kind, path, elapsed))
                if not ok:
                    errors[0] += 1
        connection.close()

    threads = [threading.Thread(target=client) for _ in range(clients)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return timings, errors[0]


def main() -> None:
    rng = random.Random(SEED)
    os.environ.setdefault("SECRET_KEY", "bench-search-only")
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "buergerbuero.config.settings")
    os.environ["DEBUG"] = "false"
    os.environ["STATIC_MANIFEST"] = "false"
    os.environ["LOG_FORMAT"] = "plain"
    os.environ.setdefault("LOG_LEVEL", "WARNING")  # one log line per request would drown the table
    where = configure_database()
    print(f"Search benchmark: {SERVICES} services × {len(MUNICIPALITIES)} municipalities, {where}.")

    import django

    django.setup()
    started = time.perf_counter()
    load(rng)
    print(f"Loaded in {time.perf_counter() - started:.1f} s.")

    from buergerbuero.catalog.models import Service, ServiceOffering
    from buergerbuero.catalog.selectors import build_search_catalog
    from buergerbuero.core.tenancy import scopes_disabled

    with scopes_disabled():
        counts = (Service.objects.count(), ServiceOffering.objects.count())
    builds = [build_search_catalog(0).build_ms for _ in range(3)]
    index_build_ms = statistics.median(builds)
    print(f"{counts[0]} services, {counts[1]} offerings; index build (median of 3) {index_build_ms:.0f} ms.")

    port = free_port()
    env = dict(os.environ)
    server = subprocess.Popen(
        [sys.executable, "-m", "uvicorn", "buergerbuero.config.asgi:application", "--app-dir", str(ROOT / "src"),
         "--host", "127.0.0.1", "--port", str(port), "--workers", str(WORKERS),
         "--no-access-log", "--log-level", "warning"],
        env=env,
    )  # fmt: skip
    try:
        wait_until_up(port, server)
        warm_started = time.perf_counter()
        # The first request of each worker builds its index: warm up until a whole round is quick.
        warm_rng = random.Random(1)
        for _round in range(20):
            warmed, _errors = run(port, paths(warm_rng, 40), CLIENTS)
            if max(ms for _kind, _path, ms in warmed) < 300:
                break
        print(f"Warm-up in {time.perf_counter() - warm_started:.1f} s.")
        baseline, baseline_errors = run(port, [("healthz", "/healthz")] * BASELINE_REQUESTS, CLIENTS)
        timings, errors = run(port, paths(rng, REQUESTS), CLIENTS)
    finally:
        server.terminate()
        try:
            server.wait(timeout=10)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()

    print(f"\n{'requests':<22}{'count':>7}{'p50 ms':>9}{'p95 ms':>9}{'max ms':>9}")
    groups: dict[str, list[float]] = {}
    for kind, path, ms in timings:
        groups.setdefault(kind, []).append(ms)
        where_ = (
            "api" if path.startswith("/api/") else ("kreis page" if path.startswith("/leistungen/") else "town page")
        )
        groups.setdefault(where_, []).append(ms)
    groups["all search"] = [ms for _kind, _path, ms in timings]
    groups["/healthz (baseline)"] = [ms for _kind, _path, ms in baseline]
    for name, values in groups.items():
        print(
            f"{name:<22}{len(values):>7}{percentile(values, 0.5):>9.1f}{percentile(values, 0.95):>9.1f}"
            f"{max(values):>9.1f}"
        )
    all_ms = groups["all search"]
    p95 = percentile(all_ms, 0.95)
    verdict = "met" if p95 < TARGET_P95_MS else "MISSED"
    print(f"\n{CLIENTS} clients, {WORKERS} server processes; target p95 < {TARGET_P95_MS:.0f} ms: {verdict}.")
    result = {
        "name": "search",
        "p50_ms": round(percentile(all_ms, 0.5), 2),
        "p95_ms": round(p95, 2),
        "requests": len(all_ms),
        "errors": errors + baseline_errors,
        "services": counts[0],
        "municipalities": len(MUNICIPALITIES),
        "offerings": counts[1],
        "clients": CLIENTS,
        "workers": WORKERS,
        "index_build_ms": round(index_build_ms, 1),
        "baseline_p95_ms": round(percentile(groups["/healthz (baseline)"], 0.95), 2),
        "database": "postgresql" if os.environ.get("DATABASE_URL") else "sqlite",
    }
    print("RESULT " + json.dumps(result, ensure_ascii=False))


if __name__ == "__main__":
    main()
