from __future__ import annotations

import pytest
from django.contrib.auth import SESSION_KEY
from django.test import Client
from django.urls import reverse
from pytest_django.fixtures import Settings as SettingsWrapper

from buergerbuero.accounts.constants import UserKind
from buergerbuero.accounts.models import User
from buergerbuero.tenants.models import Municipality
from tests.accounts.factories import STAFF_PASSWORD
from tests.harness.staff import StaffClient, confirmed_device, current_code

LOGIN = reverse("backoffice:login")
START = reverse("backoffice:start")


def post_password(client: Client, user: User, password: str = STAFF_PASSWORD, **extra: str) -> str:
    response = client.post(LOGIN, {"username": user.username, "password": password, **extra})
    assert response.status_code == 302
    return str(response["Location"])


def test_it_signs_staff_in_with_password_and_totp_code(clerk_a: User, municipality_a: Municipality) -> None:
    device = confirmed_device(clerk_a)
    client = Client()

    code_url = post_password(client, clerk_a)
    assert code_url.startswith(reverse("backoffice:otp_verify"))
    assert SESSION_KEY not in client.session  # nobody is signed in on a password alone
    assert client.get(START)["Location"].startswith(LOGIN)

    device.refresh_from_db()
    response = client.post(code_url, {"token": current_code(device)})
    assert response.status_code == 302
    assert response["Location"] == START

    page = client.get(START)
    assert page.status_code == 200
    assert municipality_a.name in page.content.decode()
    assert reverse("backoffice:municipality", args=[municipality_a.slug]) in page.content.decode()


def test_it_refuses_a_wrong_password(clerk_a: User) -> None:
    client = Client()
    response = client.post(LOGIN, {"username": "clerk_a", "password": "not-the-password"})
    assert response.status_code == 200
    assert response.context["form"].non_field_errors()
    assert SESSION_KEY not in client.session


def test_it_asks_for_the_code_of_an_existing_device_even_when_not_required(
    clerk_a: User, settings: SettingsWrapper
) -> None:
    settings.STAFF_OTP_REQUIRED = False
    confirmed_device(clerk_a)
    client = Client()
    assert post_password(client, clerk_a).startswith(reverse("backoffice:otp_verify"))
    assert client.get(START)["Location"].startswith(LOGIN)


def test_it_signs_in_with_the_password_alone_when_not_required_and_without_device(
    clerk_a: User, settings: SettingsWrapper
) -> None:
    settings.STAFF_OTP_REQUIRED = False
    client = Client()
    assert post_password(client, clerk_a) == START
    page = client.get(START)
    assert page.status_code == 200
    assert page.context["can_enrol"] is True


def test_it_requires_the_second_factor_for_a_session_signed_in_without_it(clerk_a: User) -> None:
    confirmed_device(clerk_a)
    client = Client()
    client.force_login(clerk_a)  # e.g. a session from before STAFF_OTP_REQUIRED was switched on
    response = client.get(START)
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("backoffice:otp_verify"))


def test_it_leads_a_member_without_device_to_enrolment_when_required(clerk_a: User) -> None:
    client = Client()
    client.force_login(clerk_a)
    response = client.get(START)
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("backoffice:otp_enrol"))


def test_it_never_lets_citizens_into_the_back_office(db: None, settings: SettingsWrapper, citizen_low: Client) -> None:
    settings.STAFF_OTP_REQUIRED = False
    citizen = User.objects.create_user(
        username="buergerin", password=STAFF_PASSWORD, kind=UserKind.CITIZEN, oidc_subject="sub-1"
    )
    client = Client()
    response = client.post(LOGIN, {"username": "buergerin", "password": STAFF_PASSWORD})
    assert response.status_code == 200
    assert SESSION_KEY not in client.session

    assert citizen.pk  # a citizen account with a password is still no staff account
    # A citizen logged in through the identity provider finds nothing here either.
    assert citizen_low.get(START).status_code == 404


def test_it_redirects_anonymous_visitors_to_the_login_page_and_back(clerk_a: User) -> None:
    confirmed_device(clerk_a)
    target = reverse("backoffice:municipality", args=["kaarst"])
    client = Client()
    response = client.get(target)
    assert response.status_code == 302
    assert response["Location"] == f"{LOGIN}?next={target}"

    code_url = post_password(client, clerk_a, next=target)
    response = client.post(code_url, {"token": current_code(confirmed_device(clerk_a))})
    assert response["Location"] == target


def test_it_ignores_a_next_url_on_another_site(clerk_a: User, settings: SettingsWrapper) -> None:
    settings.STAFF_OTP_REQUIRED = False
    assert post_password(Client(), clerk_a, next="https://evil.example/") == START


def test_it_forgets_a_password_step_that_was_never_finished(clerk_a: User, clock) -> None:  # type: ignore[no-untyped-def]
    device = confirmed_device(clerk_a)
    client = Client()
    code_url = post_password(client, clerk_a)
    clock.shift(11 * 60)
    device.refresh_from_db()
    response = client.post(code_url, {"token": current_code(device)})
    assert response.status_code == 302
    assert response["Location"].startswith(LOGIN)
    assert SESSION_KEY not in client.session


def test_it_signs_out_by_post_only(clerk_a: User, staff_client: StaffClient) -> None:
    client = staff_client(clerk_a)
    assert client.get(reverse("backoffice:logout")).status_code == 405
    assert client.get(START).status_code == 200

    response = client.post(reverse("backoffice:logout"))
    assert response.status_code == 302
    assert client.get(START)["Location"].startswith(LOGIN)


@pytest.mark.parametrize("who", ["clerk_a", "kreis_admin"])
def test_it_lists_the_municipalities_of_the_staff_member(
    who: str,
    request: pytest.FixtureRequest,
    staff_client: StaffClient,
    municipality_a: Municipality,
    municipality_b: Municipality,
) -> None:
    user = request.getfixturevalue(who)
    listed = list(staff_client(user).get(START).context["municipalities"])
    assert listed == ([municipality_b, municipality_a] if who == "kreis_admin" else [municipality_a])
