from __future__ import annotations

import datetime as dt

import time_machine
from django.contrib.auth import SESSION_KEY
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from pytest_django.fixtures import Settings as SettingsWrapper

from buergerbuero.accounts.models import User
from tests.accounts.factories import STAFF_PASSWORD
from tests.harness.clock import FIXED_NOW
from tests.harness.staff import confirmed_device, current_code

LOGIN = reverse("backoffice:login")
START = reverse("backoffice:start")
ATTEMPTS = 3
IP_ATTEMPTS = 5
WINDOW = dt.timedelta(minutes=15)


def throttle_settings(settings: SettingsWrapper) -> None:
    settings.LOGIN_THROTTLE_ATTEMPTS = ATTEMPTS
    settings.LOGIN_THROTTLE_IP_ATTEMPTS = IP_ATTEMPTS
    settings.LOGIN_THROTTLE_WINDOW_SECONDS = int(WINDOW.total_seconds())


def attempt(client: Client, username: str, password: str, ip: str = "192.0.2.10"):  # type: ignore[no-untyped-def]
    return client.post(LOGIN, {"username": username, "password": password}, REMOTE_ADDR=ip)


def test_it_refuses_attempts_after_too_many_failures_for_a_username(
    clerk_a: User, settings: SettingsWrapper, clock: time_machine.Coordinates
) -> None:
    throttle_settings(settings)
    client = Client()
    for n in range(ATTEMPTS):
        clock.shift(dt.timedelta(seconds=10))
        response = attempt(client, "clerk_a", f"wrong-{n}", ip=f"192.0.2.{n}")
    # The last failure already says when to come back.
    assert response.status_code == 429
    first_failure = FIXED_NOW + dt.timedelta(seconds=10)
    assert response.context["retry_at"] == first_failure + WINDOW

    # Even the right password is refused now, from yet another address, without being checked.
    response = attempt(client, "clerk_a", STAFF_PASSWORD, ip="198.51.100.7")
    assert response.status_code == 429
    assert int(response["Retry-After"]) > 0
    assert "09:46" in response.content.decode()  # 09:45:10, rounded up to the minute
    assert SESSION_KEY not in client.session
    clerk_a.refresh_from_db()
    assert clerk_a.last_login is None


def test_it_refuses_attempts_after_too_many_failures_from_one_address(
    clerk_a: User, clerk_b: User, settings: SettingsWrapper, clock: time_machine.Coordinates
) -> None:
    throttle_settings(settings)
    client = Client()
    for n in range(IP_ATTEMPTS - 1):
        attempt(client, f"guess-{n}", "wrong", ip="203.0.113.9")
    # More failures than one user may have, but a shared town-hall address gets more room.
    assert attempt(client, "clerk_a", STAFF_PASSWORD, ip="203.0.113.9").status_code == 302
    client = Client()
    attempt(client, "guess-last", "wrong", ip="203.0.113.9")

    assert attempt(client, "clerk_b", STAFF_PASSWORD, ip="203.0.113.9").status_code == 429
    assert attempt(client, "clerk_b", STAFF_PASSWORD, ip="203.0.113.10").status_code == 302


def test_it_counts_the_client_behind_a_trusted_proxy_not_the_proxy(
    clerk_b: User, settings: SettingsWrapper, clock: time_machine.Coordinates
) -> None:
    throttle_settings(settings)
    settings.TRUSTED_PROXY_COUNT = 1
    client = Client()
    proxy = "10.0.0.2"
    for n in range(IP_ATTEMPTS):
        # A forged left-most entry must not let the attacker spread failures over many addresses.
        client.post(
            LOGIN,
            {"username": f"guess-{n}", "password": "wrong"},
            REMOTE_ADDR=proxy,
            HTTP_X_FORWARDED_FOR=f"192.0.2.{n}, 203.0.113.9",
        )

    blocked = client.post(
        LOGIN,
        {"username": "clerk_b", "password": STAFF_PASSWORD},
        REMOTE_ADDR=proxy,
        HTTP_X_FORWARDED_FOR="203.0.113.9",
    )
    other = client.post(
        LOGIN,
        {"username": "clerk_b", "password": STAFF_PASSWORD},
        REMOTE_ADDR=proxy,
        HTTP_X_FORWARDED_FOR="198.51.100.1",
    )
    assert blocked.status_code == 429
    assert other.status_code == 302


def test_it_accepts_attempts_again_after_the_window(
    clerk_a: User, settings: SettingsWrapper, clock: time_machine.Coordinates
) -> None:
    throttle_settings(settings)
    settings.STAFF_OTP_REQUIRED = False
    client = Client()
    for _ in range(ATTEMPTS):
        attempt(client, "clerk_a", "wrong")
    assert attempt(client, "clerk_a", STAFF_PASSWORD).status_code == 429

    clock.shift(WINDOW - dt.timedelta(seconds=5))
    assert attempt(client, "clerk_a", STAFF_PASSWORD).status_code == 429
    clock.shift(dt.timedelta(seconds=6))
    response = attempt(client, "clerk_a", STAFF_PASSWORD)
    assert response.status_code == 302
    assert client.get(START).status_code == 200


def test_it_forgets_a_username_s_failures_after_a_success(
    clerk_a: User, settings: SettingsWrapper, clock: time_machine.Coordinates
) -> None:
    throttle_settings(settings)
    settings.STAFF_OTP_REQUIRED = False
    for _ in range(ATTEMPTS - 1):
        attempt(Client(), "clerk_a", "wrong", ip="192.0.2.1")
    assert attempt(Client(), "clerk_a", STAFF_PASSWORD, ip="192.0.2.2").status_code == 302
    for _ in range(ATTEMPTS - 1):
        attempt(Client(), "clerk_a", "wrong", ip="192.0.2.3")
    assert attempt(Client(), "clerk_a", STAFF_PASSWORD, ip="192.0.2.4").status_code == 302


def test_it_throttles_wrong_totp_codes_the_same_way(
    clerk_a: User, settings: SettingsWrapper, clock: time_machine.Coordinates
) -> None:
    throttle_settings(settings)
    device = confirmed_device(clerk_a)
    client = Client()
    code_url = attempt(client, "clerk_a", STAFF_PASSWORD)["Location"]
    for n in range(ATTEMPTS):
        clock.shift(dt.timedelta(seconds=30))  # past django-otp's own growing back-off
        response = client.post(code_url, {"token": f"{n:06d}"}, REMOTE_ADDR="192.0.2.10")
    assert response.status_code == 429

    device.refresh_from_db()
    right = client.post(code_url, {"token": current_code(device)}, REMOTE_ADDR="192.0.2.10")
    assert right.status_code == 429
    assert right.context["retry_at"] > timezone.now()
    assert SESSION_KEY not in client.session

    clock.shift(WINDOW)
    code_url = attempt(client, "clerk_a", STAFF_PASSWORD)["Location"]  # the password step has expired meanwhile
    device.refresh_from_db()
    response = client.post(code_url, {"token": current_code(device)}, REMOTE_ADDR="192.0.2.10")
    assert response.status_code == 302
    assert client.get(START).status_code == 200
