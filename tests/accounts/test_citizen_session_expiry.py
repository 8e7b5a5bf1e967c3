"""A citizen's login ends after 30 idle minutes, and after CITIZEN_SESSION_MAX_SECONDS however active they are."""

from __future__ import annotations

import datetime as dt
from urllib.parse import parse_qs, urlsplit

import pytest
import time_machine
from pytest_django import Settings

from tests.harness.oidc import CitizenLogin


@pytest.fixture
def clock_at_real_time(clock: time_machine.Coordinates) -> time_machine.Coordinates:
    """The fixed clock, moved to the real time: the provider runs in its own process and signs real times."""
    clock.move_to(dt.datetime.fromtimestamp(time_machine.escape_hatch.time.time(), tz=dt.UTC))
    return clock


def test_it_logs_an_active_citizen_out_after_the_maximum_login_time(
    clock_at_real_time: time_machine.Coordinates, citizen_login: CitizenLogin, settings: Settings
) -> None:
    settings.CITIZEN_SESSION_MAX_SECONDS = 2 * 60 * 60
    client = citizen_login("jonas.schmitz")
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"

    for _ in range(5):  # busy every 20 minutes: 1 h 40 min after the login, still logged in
        clock_at_real_time.shift(dt.timedelta(minutes=20))
        assert client.get("/konto/").status_code == 200
    clock_at_real_time.shift(dt.timedelta(minutes=20, seconds=1))
    response = client.get("/konto/")

    assert response.status_code == 302
    target = urlsplit(response["Location"])
    assert (target.path, parse_qs(target.query)["next"]) == ("/konto/anmelden/", ["/konto/"])
    assert "_auth_user_id" not in client.session
    login_page = client.get(response["Location"]).content.decode()
    assert "Your login has expired" in login_page


def test_it_logs_an_idle_citizen_out_after_half_an_hour(
    clock_at_real_time: time_machine.Coordinates, citizen_login: CitizenLogin
) -> None:
    client = citizen_login("jonas.schmitz")

    clock_at_real_time.shift(dt.timedelta(minutes=29))
    assert client.get("/konto/").status_code == 200
    clock_at_real_time.shift(dt.timedelta(minutes=31))

    assert client.get("/konto/").status_code == 302


def test_it_ends_an_old_login_on_public_pages_too(
    clock_at_real_time: time_machine.Coordinates, citizen_login: CitizenLogin, settings: Settings, district: object
) -> None:
    settings.CITIZEN_SESSION_MAX_SECONDS = 40 * 60
    client = citizen_login("jonas.schmitz")
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"
    clock_at_real_time.shift(dt.timedelta(minutes=25))
    assert client.get("/").status_code == 200
    assert "_auth_user_id" in client.session

    clock_at_real_time.shift(dt.timedelta(minutes=20))  # within the idle limit, past the maximum
    page = client.get("/").content.decode()

    assert "_auth_user_id" not in client.session
    assert "Your login has expired" in page
