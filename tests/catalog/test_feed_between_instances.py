"""Two installations linked by the catalogue feed: B follows A's changes over real HTTP.

Instance A is a real uvicorn process on a free loopback port with its own SQLite file;
it is written to by ``manage.py shell -c`` subprocesses against that file. Instance B is
the test's database, syncing with ``manage.py sync_catalog_feed``.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time
from collections.abc import Iterator
from dataclasses import dataclass
from io import StringIO
from pathlib import Path

import httpx
import pytest
from django.core.management import call_command

from buergerbuero.catalog.models import CatalogChange, FeedSource, ServiceOffering
from buergerbuero.catalog.models import Service as CatalogService
from buergerbuero.core.tenancy import scopes_disabled
from buergerbuero.tenants.models import Municipality, Office
from tests.harness.ports import free_port

pytestmark = pytest.mark.django_db

ROOT = Path(__file__).resolve().parents[2]
SKIP_ENV = {"DATABASE_URL", "DJANGO_ALLOW_ASYNC_UNSAFE", "STATIC_MANIFEST", "SQLITE_NAME", "VAR_DIR"}


@dataclass
class Instance:
    url: str
    env: dict[str, str]

    def shell(self, code: str) -> str:
        """Run ``code`` in a Django shell against A's database (Kreis-wide)."""
        script = "from buergerbuero.core.tenancy import scopes_disabled\nwith scopes_disabled():\n" + textwrap.indent(
            textwrap.dedent(code), "    "
        )
        done = subprocess.run(
            [sys.executable, str(ROOT / "manage.py"), "shell", "-c", script],
            cwd=ROOT,
            env=self.env,
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert done.returncode == 0, done.stderr
        return done.stdout


def _bind(port: int) -> list[str]:
    return ["--host", "127.0.0.1", "--port", str(port), "--no-access-log"]


@pytest.fixture
def instance_a(tmp_path: Path) -> Iterator[Instance]:
    env = {k: v for k, v in os.environ.items() if k not in SKIP_ENV}
    env.update(
        VAR_DIR=str(tmp_path),
        SQLITE_NAME="instance-a.sqlite3",
        SECRET_KEY="instance-a-secret",
        STATIC_MANIFEST="false",
        LOG_LEVEL="WARNING",
        PYTHONPATH=str(ROOT / "src"),
        PYTHONUNBUFFERED="1",
    )
    migrate = subprocess.run(
        [sys.executable, str(ROOT / "manage.py"), "migrate", "--noinput"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert migrate.returncode == 0, migrate.stderr
    port = free_port()
    log = tmp_path / "uvicorn.log"
    with log.open("wb") as out:
        server = subprocess.Popen(
            [sys.executable, "-m", "uvicorn", "buergerbuero.config.asgi:application", *_bind(port)],
            cwd=ROOT,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    try:
        url = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 60
        while True:
            assert server.poll() is None, log.read_text(errors="replace")
            assert time.monotonic() < deadline, log.read_text(errors="replace")
            try:
                if httpx.get(f"{url}/healthz", timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                time.sleep(0.2)
        yield Instance(url=url, env=env)
    finally:
        server.send_signal(signal.SIGTERM)
        try:
            server.wait(timeout=15)
        except subprocess.TimeoutExpired:
            os.killpg(server.pid, signal.SIGKILL)
            server.wait(timeout=15)


SEED_A = """
import datetime as dt
from buergerbuero.catalog.models import Service, ServiceOffering, DocumentRequirement, Category
from buergerbuero.tenants.models import District, Municipality, Office, OpeningHours
district = District.objects.create(name="Kreis Mettmann", ars="05158", slug="kreis-mettmann")
hilden = Municipality.objects.create(
    district=district, name="Hilden", slug="hilden", ags="05158016", ars="051580016016", primary_color="#123456"
)
kaarst = Municipality.objects.create(
    district=district, name="Kaarst", slug="kaarst", ags="05162016", ars="051620016016"
)
office = Office.objects.create(
    municipality=hilden, name="Bürgerbüro Hilden", slug="rathaus", street="Am Rathaus", house_number="1",
    postcode="40721", city="Hilden",
)
OpeningHours.objects.create(office=office, weekday=0, opens=dt.time(8), closes=dt.time(12))
dogs = Service.objects.create(
    slug="hundesteuer", leika_key="99018001000000", name_de="Hund anmelden", summary_de="Alt.",
    fee={"kind": "free"},
)
DocumentRequirement.objects.create(service=dogs, name_de="Nachweis der Haftpflicht", position=1)
dogs.categories.add(Category.objects.create(slug="tiere", name_de="Tiere"))
bulky = Service.objects.create(
    slug="sperrmuell", leika_key="99121001000000", name_de="Sperrmüll anmelden", summary_de="Abholung."
)
offering = ServiceOffering.objects.create(municipality=hilden, service=dogs, note_de="Nur mit Termin")
offering.offices.add(office)
ServiceOffering.objects.create(municipality=kaarst, service=bulky)
"""

CHANGE_A = """
import datetime as dt
from buergerbuero.catalog.models import Service
from buergerbuero.tenants.models import Office, OpeningHours
dogs = Service.objects.get(slug="hundesteuer")
dogs.summary_de = "Neu: Hunde meldet man online an."
dogs.save()
Service.objects.get(slug="sperrmuell").delete()
office = Office.objects.get(slug="rathaus")
OpeningHours.objects.create(office=office, weekday=2, opens=dt.time(14), closes=dt.time(18))
"""


def sync(url: str) -> str:
    out = StringIO()
    call_command("sync_catalog_feed", "--url", url, "--name", "Kreis Mettmann", "--limit", "2", stdout=out)
    return out.getvalue()


def state() -> dict[str, object]:
    with scopes_disabled():
        return {
            "services": sorted(CatalogService.objects.values_list("slug", "summary_de", "origin_url")),
            "municipalities": sorted(Municipality.objects.values_list("ags", "name", "district__ars")),
            "offices": sorted(
                (o.municipality.ags, o.slug, tuple(o.opening_hours.values_list("weekday", flat=True)))
                for o in Office.objects.all()
            ),
            "offerings": sorted(
                ServiceOffering.objects.values_list("municipality__ags", "service__slug", "note_de", "offices__slug")
            ),
        }


def test_it_converges_on_the_other_installations_catalogue(instance_a: Instance, municipality_a: Municipality) -> None:
    instance_a.shell(SEED_A)
    output = sync(instance_a.url)
    assert "page 1" in output and "applied" in output

    first = state()
    assert first["services"] == [
        ("hundesteuer", "Alt.", f"{instance_a.url}/leistungen/hundesteuer/"),
        ("sperrmuell", "Abholung.", f"{instance_a.url}/leistungen/sperrmuell/"),
    ]
    # Hilden is new here and joins this Kreis; Kaarst (same AGS) is our own and stays as it is.
    assert first["municipalities"] == [("05158016", "Hilden", "05162"), ("05162016", "Kaarst", "05162")]
    assert first["offices"] == [("05158016", "rathaus", (0,))]
    assert first["offerings"] == [
        ("05158016", "hundesteuer", "Nur mit Termin", "rathaus"),
        ("05162016", "sperrmuell", "", None),
    ]
    with scopes_disabled():
        assert [r.name_de for r in CatalogService.objects.get(slug="hundesteuer").requirements.all()] == [
            "Nachweis der Haftpflicht"
        ]

    instance_a.shell(CHANGE_A)
    sync(instance_a.url)
    second = state()
    assert second["services"] == [
        ("hundesteuer", "Neu: Hunde meldet man online an.", f"{instance_a.url}/leistungen/hundesteuer/")
    ]
    assert second["offices"] == [("05158016", "rathaus", (0, 2))]
    assert second["offerings"] == [("05158016", "hundesteuer", "Nur mit Termin", "rathaus")]

    # Nothing new at A: syncing twice more changes nothing and duplicates nothing.
    changes = CatalogChange.objects.count()
    for _ in range(2):
        assert "0 applied, 0 unchanged, 0 deleted" in sync(instance_a.url)
        assert state() == second
    assert CatalogChange.objects.count() == changes, "imported rows stay out of B's own feed"
    source = FeedSource.objects.get()
    assert source.url == instance_a.url and source.last_error == ""
