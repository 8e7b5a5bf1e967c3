from __future__ import annotations

import datetime as dt
from base64 import b32encode

import time_machine
from django.contrib.auth import SESSION_KEY
from django.test import Client
from django.urls import reverse
from django_otp.plugins.otp_totp.models import TOTPDevice
from pytest_django.fixtures import Settings as SettingsWrapper

from buergerbuero.accounts.models import User
from buergerbuero.core.models import AuditEntry
from buergerbuero.core.tenancy import scopes_disabled
from tests.accounts.factories import STAFF_PASSWORD, StaffFactory
from tests.harness.staff import StaffClient, confirmed_device, current_code

LOGIN = reverse("backoffice:login")
START = reverse("backoffice:start")


def password_step(client: Client, user: User) -> str:
    response = client.post(LOGIN, {"username": user.username, "password": STAFF_PASSWORD})
    assert response.status_code == 302
    return str(response["Location"])


def wrong(code: str) -> str:
    return f"{(int(code) + 1) % 1_000_000:06d}"


def test_it_refuses_a_wrong_code_and_accepts_the_right_one(clerk_a: User, clock: time_machine.Coordinates) -> None:
    device = confirmed_device(clerk_a)
    client = Client()
    code_url = password_step(client, clerk_a)
    device.refresh_from_db()
    code = current_code(device)

    response = client.post(code_url, {"token": wrong(code)})
    assert response.status_code == 200
    assert response.context["form"].errors["token"]
    assert SESSION_KEY not in client.session

    clock.shift(dt.timedelta(seconds=2))  # django-otp's own back-off after a failure: 1 s
    response = client.post(code_url, {"token": code})
    assert response.status_code == 302
    assert client.get(START).status_code == 200


def test_it_refuses_a_code_that_was_already_used(clerk_a: User, clock: time_machine.Coordinates) -> None:
    device = confirmed_device(clerk_a)
    client = Client()
    device.refresh_from_db()
    code = current_code(device)
    client.post(password_step(client, clerk_a), {"token": code})
    client.post(reverse("backoffice:logout"))

    response = client.post(password_step(client, clerk_a), {"token": code})
    assert response.status_code == 200
    assert SESSION_KEY not in client.session


def test_it_enrols_a_device_before_the_first_back_office_page(clerk_a: User, clock: time_machine.Coordinates) -> None:
    client = Client()
    enrol_url = password_step(client, clerk_a)
    assert enrol_url.startswith(reverse("backoffice:otp_enrol"))

    page = client.get(enrol_url)
    assert page.status_code == 200
    device = TOTPDevice.objects.get(user=clerk_a)
    assert device.confirmed is False
    html = page.content.decode()
    assert "<svg" in html  # the QR code, rendered on the server
    assert b32encode(device.bin_key).decode()[:4] in page.context["secret"]
    assert page.context["secret"].replace(" ", "") == b32encode(device.bin_key).decode().rstrip("=")
    assert client.get(enrol_url).context["secret"] == page.context["secret"]  # a reload keeps the key

    response = client.post(enrol_url, {"token": wrong(current_code(device))})
    assert response.status_code == 200
    device.refresh_from_db()
    assert device.confirmed is False

    clock.shift(dt.timedelta(seconds=2))
    response = client.post(enrol_url, {"token": current_code(device)})
    assert response.status_code == 302
    assert response["Location"] == START
    device.refresh_from_db()
    assert device.confirmed is True
    assert client.get(START).status_code == 200
    with scopes_disabled():
        assert list(AuditEntry.objects.filter(actor=clerk_a).values_list("action", flat=True)) == [
            "accounts.totp_device.confirmed",
            "accounts.totp_device.enrolled",
        ]


def test_it_does_not_let_a_password_alone_enrol_a_second_device(clerk_a: User) -> None:
    confirmed_device(clerk_a)
    client = Client()
    password_step(client, clerk_a)
    response = client.get(reverse("backoffice:otp_enrol"))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("backoffice:otp_verify"))
    assert TOTPDevice.objects.filter(user=clerk_a).count() == 1


def test_it_shows_the_code_pages_only_during_sign_in(db: None) -> None:
    client = Client()
    assert client.get(reverse("backoffice:otp_verify"))["Location"].startswith(LOGIN)
    assert client.get(reverse("backoffice:otp_enrol"))["Location"].startswith(LOGIN)


def superuser() -> User:
    user: User = StaffFactory(username="root", is_superuser=True, is_staff=True)
    return user


def test_it_admits_to_the_admin_only_superusers_with_a_verified_device(
    db: None, staff_client: StaffClient, clerk_a: User
) -> None:
    root = superuser()
    assert staff_client(root).get("/admin/").status_code == 200

    not_verified = Client()
    not_verified.force_login(root)
    response = not_verified.get("/admin/", follow=True)
    assert response.redirect_chain[-1][0].startswith(LOGIN)
    assert response.status_code == 200

    clerk = staff_client(clerk_a)
    assert clerk.get("/admin/").status_code == 302


def test_it_requires_the_admin_code_of_an_existing_device_even_when_not_required(
    db: None, settings: SettingsWrapper
) -> None:
    settings.STAFF_OTP_REQUIRED = False
    root = superuser()
    password_only = Client()
    password_only.force_login(root)
    assert password_only.get("/admin/").status_code == 200  # not required, no device

    confirmed_device(root)
    assert password_only.get("/admin/").status_code == 302


def test_it_sends_the_admin_login_to_the_back_office_sign_in(db: None) -> None:
    response = Client().get("/admin/login/?next=/admin/accounts/user/")
    assert response.status_code == 302
    assert response["Location"] == f"{LOGIN}?next=/admin/accounts/user/"
