"""``staff_client(user)``: a test client signed in to the back office the real way.

It posts the password to the login page and then a TOTP code computed from the user's device
(created and confirmed through the services if the user has none), so every staff test also
exercises the sign-in and its second factor. Never ``force_login`` for staff.
"""

from __future__ import annotations

import time
from collections.abc import Callable

import pytest
from django.test import Client
from django.urls import reverse
from django_otp.oath import TOTP
from django_otp.plugins.otp_totp.models import TOTPDevice

from buergerbuero.accounts.models import User
from buergerbuero.accounts.services import confirm_totp_device, enrol_totp_device
from tests.accounts.factories import STAFF_PASSWORD

StaffClient = Callable[[User], Client]


def current_code(device: TOTPDevice) -> str:
    """The code the staff member's app shows now; a later one if now's was already used (no replay)."""
    totp = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift)
    totp.time = time.time()
    if totp.t() <= device.last_t:
        totp.time = (device.last_t + 1) * device.step + device.t0
    return f"{totp.token():0{device.digits}d}"


def confirmed_device(user: User) -> TOTPDevice:
    """The user's confirmed TOTP device, enrolled through the services if they have none yet."""
    device = TOTPDevice.objects.filter(user=user, confirmed=True).order_by("id").first()
    if device is None:
        device = enrol_totp_device(user=user, actor=user)
        assert confirm_totp_device(device=device, token=current_code(device), actor=user)
        device.refresh_from_db()
    return device


def sign_in(client: Client, user: User, *, password: str = STAFF_PASSWORD) -> Client:
    response = client.post(reverse("backoffice:login"), {"username": user.username, "password": password})
    assert response.status_code == 302, response.content.decode()[:2000]
    assert response["Location"].startswith(reverse("backoffice:otp_verify")), response["Location"]
    device = TOTPDevice.objects.get(pk=confirmed_device(user).pk)
    response = client.post(response["Location"], {"token": current_code(device)})
    assert response.status_code == 302, response.content.decode()[:2000]
    assert response["Location"] == reverse("backoffice:start")
    return client


@pytest.fixture
def staff_client(db: None) -> StaffClient:
    """``staff_client(clerk_a)`` returns a new client signed in as ``clerk_a`` with password and TOTP code."""

    def make(user: User) -> Client:
        confirmed_device(user)
        return sign_in(Client(), user)

    return make
