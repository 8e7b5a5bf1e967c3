"""Logging in, in a real Chromium: a citizen through the identity provider, a clerk with a TOTP code."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from playwright.sync_api import Page, expect
from pytest_django import Settings

from buergerbuero.accounts.models import User
from buergerbuero.tenants.models import Office
from tests.accounts.factories import STAFF_PASSWORD
from tests.harness.axe import assert_no_axe_violations
from tests.harness.staff import confirmed_device, current_code

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def portal_at_live_server(live_server: object, use_oidc_provider: str, settings: Settings) -> Iterator[str]:
    """The provider sends citizens back to SITE_URL: point it at the live server."""
    settings.SITE_URL = live_server.url  # type: ignore[attr-defined]
    yield use_oidc_provider


def citizen_round_trip(page: Page, sub: str) -> None:
    page.goto("/konto/anmelden/")
    page.get_by_role("button", name="Mit BundID anmelden").click()
    # Now at the identity provider, on its own origin: choose the demo person.
    page.get_by_role("button", name=sub).click()
    page.wait_for_url("**/konto/")


def test_a_citizen_logs_in_through_the_provider_and_sees_their_level(
    page: Page, portal_at_live_server: str, district: object
) -> None:
    citizen_round_trip(page, "jonas.schmitz")

    expect(page.get_by_role("heading", level=1)).to_contain_text("Mein Bürgerbüro")
    expect(page.locator("main")).to_contain_text("substanziell", ignore_case=True)
    expect(page.locator("main")).to_contain_text("Jonas")
    # The login passed the strict CSP (the browser checks the redirect to the provider too).
    expect(page.locator("main").get_by_role("button", name="Abmelden")).to_be_visible()


def test_the_citizen_login_pages_have_no_accessibility_violations(
    axe_page: Page, portal_at_live_server: str, district: object
) -> None:
    axe_page.goto("/konto/anmelden/")
    assert_no_axe_violations(axe_page)
    citizen_round_trip(axe_page, "fatma.yilmaz")
    expect(axe_page.locator("main")).to_contain_text("hoch", ignore_case=True)
    assert_no_axe_violations(axe_page)


def test_a_clerk_logs_in_with_password_and_totp_code(
    axe_page: Page, clerk_a: User, office_a: Office, settings: Settings
) -> None:
    device = confirmed_device(clerk_a)
    page = axe_page
    page.goto("/backoffice/")
    page.wait_for_url("**/backoffice/anmelden/**")
    assert_no_axe_violations(page)

    page.get_by_label("Benutzername").fill("clerk_a")
    page.get_by_label("Passwort").fill(STAFF_PASSWORD)
    page.get_by_role("button", name="Anmelden", exact=True).click()
    expect(page.get_by_label("Bestätigungscode")).to_be_visible()
    assert_no_axe_violations(page)

    device.refresh_from_db()
    page.get_by_label("Bestätigungscode").fill(current_code(device))
    page.get_by_role("button", name="Bestätigen").click()

    page.wait_for_url("**/backoffice/")
    expect(page.locator("main")).to_contain_text("Kaarst")
    assert_no_axe_violations(page)
    page.goto("/backoffice/kaarst/")
    expect(page.locator("main")).to_contain_text("Bürgerbüro Kaarst")
    assert_no_axe_violations(page)
