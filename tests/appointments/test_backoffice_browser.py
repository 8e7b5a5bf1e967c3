"""The staff pages of appointments in a real Chromium: accessible (axe), and usable without script."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
from playwright.sync_api import Page, expect

from buergerbuero.accounts.models import User
from buergerbuero.appointments.models import Appointment, ServiceGroup
from buergerbuero.appointments.services.booking import book
from buergerbuero.core.tenancy import scopes_disabled
from buergerbuero.tenants.models import Office
from tests.appointments.factories import bookable_office
from tests.catalog.test_backoffice_browser import sign_in
from tests.harness.axe import assert_no_axe_violations
from tests.harness.browser import DESKTOP

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

BERLIN = ZoneInfo("Europe/Berlin")


@pytest.fixture
def viewport() -> object:
    return DESKTOP  # the day view is a desk tool


@pytest.fixture
def tomorrow_booked(office_a: Office) -> tuple[ServiceGroup, Appointment, dt.date]:
    group = bookable_office(office_a)
    tomorrow = dt.datetime.now(BERLIN).date() + dt.timedelta(days=1)
    while tomorrow.weekday() >= 5:  # the office opens Monday to Friday
        tomorrow += dt.timedelta(days=1)
    with scopes_disabled():
        services = list(group.services.all())
        start = dt.datetime.combine(tomorrow, dt.time(10), BERLIN)
        appointment = book(
            office_a, services, start, name="Erika Mustermann", email="erika@example.org", ignore_window=True
        ).appointment
    return group, appointment, tomorrow


def test_the_day_view_booking_and_capacity_pages_are_accessible(
    axe_page: Page, admin_a: User, office_a: Office, tomorrow_booked: tuple[ServiceGroup, Appointment, dt.date]
) -> None:
    group, appointment, day = tomorrow_booked
    page = axe_page
    sign_in(page, admin_a)
    base = f"/backoffice/{office_a.municipality.slug}/termine/{office_a.slug}"

    page.goto(f"{base}/{day:%Y-%m-%d}/")
    expect(page.locator(f"#appointment-{appointment.code}")).to_contain_text("Erika Mustermann")
    assert_no_axe_violations(page)

    page.goto(f"{base}/woche/{day:%Y-%m-%d}/")
    assert_no_axe_violations(page)

    # Book for a caller, no script needed: services and day, then a time and the name.
    page.goto(f"{base}/buchen/")
    with scopes_disabled():
        service = group.services.get()
    page.locator(f'input[name="leistung"][value="{service.slug}"]').check()
    page.locator("#id_tag").fill(f"{day:%Y-%m-%d}")
    page.locator("#search-form button[type=submit]").click()
    assert_no_axe_violations(page)
    page.locator("#caller-form button[type=submit]").click()  # nothing chosen: the error summary gets focus
    expect(page.locator("[data-error-summary]")).to_be_focused()
    assert_no_axe_violations(page)
    page.locator('input[name="beginn"]').first.check()
    page.locator("#id_name").fill("Karl Anrufer")
    page.locator("#caller-form button[type=submit]").click()
    expect(page.locator("#booked-code")).to_have_text(page.locator("#appointment-code").inner_text())
    assert page.locator("#booked-code").inner_text().startswith("T-")
    assert_no_axe_violations(page)

    page.goto(f"{base}/kapazitaet/")
    assert_no_axe_violations(page)
