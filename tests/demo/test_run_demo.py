"""``make demo`` end to end: the launcher on a fresh database serves the portal, and the printed logins work.

Starts ``manage.py run_demo`` as a real process (web server, task worker and identity provider on
free loopback ports) and talks to it over HTTP, as a newcomer's browser would.
"""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from buergerbuero.demo.district import DEMO_PASSWORD
from tests.harness.ports import free_port

ROOT = Path(__file__).resolve().parents[2]
_CSRF = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, str]]:
    var_dir = tmp_path_factory.mktemp("demo-var")
    port, idp_port = free_port(), free_port()
    # What `make demo` sees: none of the test settings, no PostgreSQL (the demo is SQLite).
    skip = {"DATABASE_URL", "DJANGO_ALLOW_ASYNC_UNSAFE", "STAFF_OTP_REQUIRED", "EMAIL_BACKEND", "STATIC_MANIFEST"}
    env = {k: v for k, v in os.environ.items() if k not in skip}
    env.update(VAR_DIR=str(var_dir), SECRET_KEY="demo-test-secret", DEBUG="true", PYTHONUNBUFFERED="1")
    log = var_dir / "run_demo.log"
    with log.open("wb") as out:
        process = subprocess.Popen(
            [sys.executable, str(ROOT / "manage.py"), "run_demo", "--port", str(port), "--idp-port", str(idp_port)],
            cwd=ROOT,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    try:
        deadline = time.monotonic() + 120
        while "demo is running" not in log.read_text(errors="replace"):
            assert process.poll() is None, log.read_text(errors="replace")
            assert time.monotonic() < deadline, log.read_text(errors="replace")
            time.sleep(0.3)
        yield f"http://127.0.0.1:{port}", log.read_text()
    finally:
        # Only the launcher is told to stop (as a service manager would); it must stop its children.
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=30)
        finally:
            survivors = subprocess.run(["pgrep", "-g", str(process.pid)], capture_output=True, text=True).stdout
            if survivors.strip():
                os.killpg(process.pid, signal.SIGKILL)
        assert not survivors.strip(), f"run_demo left processes running: {survivors}"


def test_it_serves_the_kreis_home_kaarst_in_its_branding_and_a_healthy_status(demo: tuple[str, str]) -> None:
    site, _ = demo
    with httpx.Client(base_url=site, timeout=10) as http:
        assert http.get("/healthz").json()["status"] == "ok"
        home = http.get("/").text
        assert "Rhein-Kreis Neuss" in home
        for town in ["Dormagen", "Grevenbroich", "Jüchen", "Kaarst", "Korschenbroich", "Meerbusch", "Neuss"]:
            assert town in home
        kaarst = http.get("/kaarst/")
        assert kaarst.status_code == 200
        assert "Bürgerbüro Kaarst" in kaarst.text and "Am Neumarkt 2" in kaarst.text
        brand_css = re.search(r'href="(/kaarst/brand\.css[^"]*)"', kaarst.text)
        assert brand_css, "the Kaarst page links its branding"
        assert "#00629b" in http.get(brand_css.group(1).replace("&amp;", "&")).text


def test_it_prints_citizen_logins_that_work_through_the_identity_provider(demo: tuple[str, str]) -> None:
    site, output = demo
    assert "erika.mustermann" in output
    with httpx.Client(base_url=site, timeout=10) as http:
        token = _CSRF.search(http.get("/konto/anmelden/").text)
        assert token
        to_provider = http.post("/konto/anmelden/", data={"csrfmiddlewaretoken": token.group(1)})
        assert to_provider.status_code == 302
        with httpx.Client(timeout=10) as provider:
            authorize = to_provider.headers["Location"]
            provider.get(authorize)
            back = provider.post(authorize, data={"sub": "erika.mustermann"})
        assert back.status_code == 302
        callback = back.headers["Location"]
        assert callback.startswith(site)
        http.get(callback.removeprefix(site))
        my_office = http.get("/konto/").text
        assert "Mein Bürgerbüro" in my_office
        assert "Erika" in my_office
        assert "niedrig" in my_office.lower() or "normal" in my_office.lower()


def test_it_prints_staff_logins_that_work(demo: tuple[str, str]) -> None:
    site, output = demo
    assert DEMO_PASSWORD in output and "sb.kaarst" in output.replace("sb.<town>", "")
    with httpx.Client(base_url=site, timeout=10, follow_redirects=True) as http:
        token = _CSRF.search(http.get("/backoffice/anmelden/").text)
        assert token
        start = http.post(
            "/backoffice/anmelden/",
            data={"csrfmiddlewaretoken": token.group(1), "username": "sb.kaarst", "password": DEMO_PASSWORD},
        )
        assert start.url.path == "/backoffice/"
        assert "Kaarst" in start.text
        assert http.get("/backoffice/kaarst/").status_code == 200
        assert http.get("/backoffice/neuss/").status_code == 404
