"""The real local identity provider, in its own process, and citizens logged in through it.

``oidc_provider`` starts ``manage.py run_idp`` once per test session on a free
loopback port and yields its issuer URL. ``use_oidc_provider`` points the
settings at it. ``citizen_login(sub)`` walks the whole redirect round trip the
way a browser would — Django's test client on our side, httpx on the
provider's — and returns the logged-in client; ``citizen_low``,
``citizen_substantial`` and ``citizen_high`` are the demo citizens at the three
levels of assurance.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from urllib.parse import urlencode, urlsplit

import httpx
import pytest
from django.http import HttpResponse
from django.test import Client
from pytest_django import Settings

from buergerbuero.accounts.constants import AssuranceLevel
from buergerbuero.accounts.devidp import DEMO_CITIZENS
from buergerbuero.accounts.oidc import clear_provider_cache

MANAGE = Path(__file__).resolve().parents[2] / "manage.py"
STARTUP_TIMEOUT_SECONDS = 30
_LISTENING = re.compile(r"Identity provider listening on (http://\S+)")


@pytest.fixture(scope="session")
def oidc_provider(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The issuer URL of a freshly started ``manage.py run_idp`` (stopped after the session)."""
    log = tmp_path_factory.mktemp("identity-provider") / "run_idp.log"
    with log.open("wb") as output:
        process = subprocess.Popen(
            [sys.executable, str(MANAGE), "run_idp", "--host", "127.0.0.1", "--port", "0"],
            stdout=output,
            stderr=subprocess.STDOUT,
            env={**os.environ, "PYTHONUNBUFFERED": "1"},
        )
    try:
        yield _wait_until_serving(process, log)
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def _wait_until_serving(process: subprocess.Popen[bytes], log: Path) -> str:
    deadline = time.monotonic() + STARTUP_TIMEOUT_SECONDS
    issuer = None
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(f"run_idp exited with {process.returncode}:\n{log.read_text(errors='replace')}")
        if issuer is None and (match := _LISTENING.search(log.read_text(errors="replace"))):
            issuer = match.group(1)
        if issuer is not None:
            try:
                if httpx.get(f"{issuer}/.well-known/openid-configuration", timeout=2).status_code == 200:
                    return issuer
            except httpx.HTTPError:
                pass
        time.sleep(0.1)
    process.kill()
    pytest.fail(f"run_idp did not answer within {STARTUP_TIMEOUT_SECONDS}s:\n{log.read_text(errors='replace')}")


@pytest.fixture
def use_oidc_provider(oidc_provider: str, settings: Settings) -> Iterator[str]:
    """Point ``OIDC_ISSUER`` at the local provider, with nothing cached from another test."""
    settings.OIDC_ISSUER = oidc_provider
    clear_provider_cache()
    yield oidc_provider
    clear_provider_cache()


# --- the browser's side of the round trip ----------------------------------------------------

_CSRF_INPUT = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')


def csrf_token(client: Client, page_url: str) -> str:
    """The CSRF token of the forms on ``page_url``, as a browser would send it back."""
    page = client.get(page_url)
    assert page.status_code == 200, page.content
    return _CSRF_INPUT.findall(page.content.decode())[-1]


def start_login(client: Client, *, next_url: str | None = None, acr_values: str | None = None) -> str:
    """Open our login page and press its button; the URL of the provider's authorization page."""
    query = {key: value for key, value in (("next", next_url), ("acr_values", acr_values)) if value}
    login_page = f"/konto/anmelden/?{urlencode(query)}" if query else "/konto/anmelden/"
    form = {"csrfmiddlewaretoken": csrf_token(client, login_page), **query}
    response = client.post("/konto/anmelden/", form)
    assert response.status_code == 302, response.content
    return str(response["Location"])


def authorize_at_provider(authorize_url: str, *, sub: str | None = None, deny: bool = False) -> str:
    """What the citizen does on the provider's page (pick a person, or deny); where it sends them back."""
    with httpx.Client(follow_redirects=False, timeout=10) as browser:
        page = browser.get(authorize_url)
        assert page.status_code == 200, page.text
        form = {"action": "deny"} if deny else {"sub": sub}
        response = browser.post(authorize_url, data=form)
    assert response.status_code == 302, response.text
    return response.headers["Location"]


def return_to_portal(client: Client, callback_url: str) -> HttpResponse:
    """Follow the provider's redirect back to our callback (same path and query, on the test server)."""
    parts = urlsplit(callback_url)
    assert parts.path == "/konto/oidc/callback/", callback_url
    return client.get(f"{parts.path}?{parts.query}")  # type: ignore[return-value]


CitizenLogin = Callable[..., Client]


@pytest.fixture
def citizen_login(db: None, use_oidc_provider: str) -> CitizenLogin:
    """``citizen_login(sub)``: a fresh client, logged in as ``sub`` through the whole redirect round trip."""

    def log_in(sub: str, *, client: Client | None = None, acr_values: str | None = None) -> Client:
        client = client or Client(enforce_csrf_checks=True)
        callback = authorize_at_provider(start_login(client, acr_values=acr_values), sub=sub)
        response = return_to_portal(client, callback)
        assert response.status_code == 302, response.content
        assert client.session.get("_auth_user_id"), "the round trip did not log the citizen in"
        return client

    return log_in


def _demo_sub(level: AssuranceLevel) -> str:
    return next(citizen.sub for citizen in DEMO_CITIZENS if citizen.level == level)


@pytest.fixture
def citizen_low(citizen_login: CitizenLogin) -> Client:
    return citizen_login(_demo_sub(AssuranceLevel.LOW))


@pytest.fixture
def citizen_substantial(citizen_login: CitizenLogin) -> Client:
    return citizen_login(_demo_sub(AssuranceLevel.SUBSTANTIAL))


@pytest.fixture
def citizen_high(citizen_login: CitizenLogin) -> Client:
    return citizen_login(_demo_sub(AssuranceLevel.HIGH))
