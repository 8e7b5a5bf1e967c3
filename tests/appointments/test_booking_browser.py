"""A citizen books in Chromium from the service list to the confirmation, reads the e-mail, opens its
calendar file and manage link, cancels, and sees the time come back only after the return delay.
axe-core checks every page on the way (zero violations)."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

import pytest
from django.core import mail
from django.utils import timezone
from icalendar import Calendar
from playwright.sync_api import Page, expect

from buergerbuero.appointments.constants import AppointmentState
from buergerbuero.appointments.models import Appointment
from buergerbuero.appointments.services import booking
from buergerbuero.core.outbox import dispatch_due
from buergerbuero.core.tenancy import scopes_disabled
from buergerbuero.tenants.models import Office
from tests.appointments.factories import bookable_office
from tests.catalog.factories import ServiceFactory
from tests.harness.axe import assert_no_axe_violations

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture(autouse=True)
def quick_proof_of_work(settings: Any) -> None:
    settings.ALTCHA_MAX_NUMBER = 5_000
    settings.APPOINTMENTS_RATE_LIMITS = {"reserve": (100, 60)}
    settings.SITE_URL = "https://termine.example.org"


def test_it_books_mails_and_cancels_an_appointment_accessibly(axe_page: Page, office_a: Office) -> None:
    page = axe_page
    service = ServiceFactory(counter_minutes=10, slug="personalausweis", name_de="Personalausweis beantragen")
    # One counter: a booked time is full, so the test sees it leave and come back.
    bookable_office(office_a, services=[service], counters=1, return_delay_minutes=15)

    page.goto("/termine/")
    assert_no_axe_violations(page)
    page.get_by_label(re.compile("Personalausweis beantragen")).check()
    page.locator("button[name=weiter]").click()

    page.wait_for_url(re.compile(r"/termine/standorte/\?"))
    expect(page.locator("#earliest-title")).to_be_visible()
    assert_no_axe_violations(page)
    page.locator(f"a[href^='/termine/standorte/{office_a.public_id}/?']").click()

    page.wait_for_url(re.compile(rf"/termine/standorte/{office_a.public_id}/\?"))
    assert_no_axe_violations(page)
    page.locator("a[data-day]").first.click()

    page.wait_for_url(re.compile(r"/termine/standorte/.+/\d{4}-\d{2}-\d{2}/"))
    times_url = page.url
    assert_no_axe_violations(page)
    first_time = page.locator("button.booking-slot").first
    chosen = first_time.get_attribute("value")
    assert chosen
    first_time.click()  # pow.js finishes the security check, then sends the pressed button

    page.wait_for_url(re.compile(r"/termine/reservierung/"))
    page.locator("form.booking-form button[type=submit]").click()  # nothing filled in yet
    expect(page.locator(".error-summary")).to_be_focused()
    assert_no_axe_violations(page)
    page.locator("#id_name").fill("Erika Mustermann")
    page.locator("#id_email").fill("erika@example.org")
    page.locator("#id_needs_accessibility").check()
    page.locator("form.booking-form button[type=submit]").click()

    page.wait_for_url(re.compile(r"/termine/bestaetigt/"))
    assert_no_axe_violations(page)
    with scopes_disabled():
        appointment = Appointment.objects.get(state=AppointmentState.BOOKED)
    expect(page.locator("[data-booking-code]")).to_have_text(appointment.code)
    assert appointment.starts_at == dt.datetime.fromisoformat(chosen)

    # The e-mail, captured: its calendar file and its manage link.
    dispatch_due()
    (message,) = mail.outbox
    ics = next(content for name, content, _kind in message.attachments if name.endswith(".ics"))
    event = Calendar.from_ical(ics).walk("VEVENT")[0]
    assert event.decoded("dtstart") == appointment.starts_at
    assert str(event["uid"]) == f"{appointment.public_id}@termine.example.org"
    assert office_a.address in str(event["location"])
    manage_path = re.search(r"https://termine\.example\.org(/termine/verwalten/\S+/)", message.body)[1]  # type: ignore[index]

    page.goto(manage_path)
    assert_no_axe_violations(page)
    page.locator(f"a[href='{manage_path}absagen/']").click()
    page.wait_for_url(re.compile(r"/absagen/$"))
    assert_no_axe_violations(page)
    page.locator("main form button[type=submit]").click()
    page.wait_for_url(re.compile(r"/termine/verwalten/.+/[^/]+/$"))
    expect(page.locator("[data-state=cancelled]")).to_be_visible()
    assert_no_axe_violations(page)

    # The cancelled time is not offered before the return delay has passed ...
    page.goto(times_url)
    expect(page.locator(f"button.booking-slot[value='{chosen}']")).to_have_count(0)
    with scopes_disabled():
        booking.return_due_capacity(now=timezone.now() + dt.timedelta(minutes=14))
    page.reload()
    expect(page.locator(f"button.booking-slot[value='{chosen}']")).to_have_count(0)
    # ... and is offered again after it.
    with scopes_disabled():
        booking.return_due_capacity(now=timezone.now() + dt.timedelta(minutes=15))
    page.reload()
    expect(page.locator(f"button.booking-slot[value='{chosen}']")).to_have_count(1)
