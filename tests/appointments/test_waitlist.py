"""The waitlist: registering, freed times offered in turn, accepting, declining, expiring.

Kaarst's office has one counter and the service takes one 5-minute cell, so every time holds one
appointment and times do not overlap. The clock stands at Tuesday, 17 November 2026, 09:30;
Wednesday 18 November is the first bookable day. A fitting time that is free is offered at once on
registering, so most entries here wish for exactly a time that is booked.
"""

from __future__ import annotations

import datetime as dt
import re
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.test import Client
from django.urls import reverse

from buergerbuero.appointments import fairness, selectors
from buergerbuero.appointments.constants import AppointmentState, BookingChannel, WaitlistState
from buergerbuero.appointments.models import Appointment, ServiceGroup, WaitlistEntry
from buergerbuero.appointments.services import booking, waitlist
from buergerbuero.catalog.models import Service
from buergerbuero.core.models import OutboxMessage
from buergerbuero.core.tenancy import scopes_disabled
from buergerbuero.tenants.models import Office
from tests.appointments.altcha_helpers import solved
from tests.appointments.factories import bookable_office
from tests.catalog.factories import ServiceFactory
from tests.harness.clock import FIXED_NOW

pytestmark = pytest.mark.django_db

BERLIN = ZoneInfo("Europe/Berlin")
WEDNESDAY = dt.date(2026, 11, 18)
TEN = dt.datetime(2026, 11, 18, 10, 0, tzinfo=BERLIN)
AFTER_RETURN = FIXED_NOW + dt.timedelta(minutes=20)  # the default return delay is 15 minutes


@pytest.fixture
def passport(db: None) -> Service:
    return ServiceFactory(counter_minutes=5, slug="personalausweis")


@pytest.fixture
def kaarst(office_a: Office, passport: Service, clock: time_machine.Coordinates) -> ServiceGroup:
    return bookable_office(office_a, services=[passport], counters=1)


@pytest.fixture
def booked_at_ten(kaarst: ServiceGroup, office_a: Office, passport: Service) -> Appointment:
    with scopes_disabled():
        return booking.book(office_a, [passport], TEN, name="Erika Muster", email="erika@example.org").appointment


def wait_for_ten(office: Office, services: list[Service], email: str, **wish: object) -> WaitlistEntry:
    """A waitlist entry that fits only Wednesday 10:00 unless ``wish`` says otherwise."""
    values: dict[str, object] = {
        "weekdays": [2],
        "earliest_time": dt.time(10),
        "latest_time": dt.time(10),
        "until_date": WEDNESDAY,
    }
    values.update(wish)
    return waitlist.register(office, services, name=email.split("@")[0], email=email, **values).entry  # type: ignore[arg-type]


def state_of(entry: WaitlistEntry) -> str:
    with scopes_disabled():
        entry.refresh_from_db()
    return entry.state


def offer_mail(email: str) -> OutboxMessage:
    return OutboxMessage.objects.filter(dedupe_key__startswith="waitlist-offer:", payload__to=[email]).get()


def offer_token_from(message: OutboxMessage) -> str:
    match = re.search(r"/termine/warteliste/angebot/([^/\s]+)/", message.payload["body"])
    assert match, message.payload["body"]
    return match.group(1)


def cancel_and_return(appointment: Appointment) -> None:
    with scopes_disabled():
        booking.cancel(appointment)
        booking.return_due_capacity(now=AFTER_RETURN)


# -- pure matching --------------------------------------------------------------------------------


def test_it_matches_weekday_hours_and_dates_on_the_local_wall_clock() -> None:
    wish = waitlist.Wish(
        weekdays=frozenset({2}), earliest=dt.time(9), latest=dt.time(11), until_date=dt.date(2026, 11, 30)
    )
    assert waitlist.fits(wish, TEN)
    assert waitlist.fits(wish, TEN.astimezone(dt.UTC))  # 09:00 UTC is 10:00 in Neuss
    assert not waitlist.fits(wish, TEN + dt.timedelta(days=1))  # a Thursday
    assert not waitlist.fits(wish, TEN.replace(hour=8, minute=55))
    assert waitlist.fits(wish, TEN.replace(hour=11))  # "not after" is the latest start
    assert not waitlist.fits(wish, TEN.replace(hour=11, minute=5))
    assert not waitlist.fits(wish, TEN + dt.timedelta(days=14))  # after until_date
    assert waitlist.fits(waitlist.Wish(), TEN)  # no wishes: anything


# -- registering ------------------------------------------------------------------------------------


def register_page(office: Office, *services: Service) -> str:
    query = f"?buero={office.public_id}&leistungen={','.join(s.slug for s in services)}"
    return reverse("appointments:waitlist") + query


def form_data(**changes: str | list[str]) -> dict[str, str | list[str]]:
    data: dict[str, str | list[str]] = {
        "weekdays": ["2"],
        "earliest_time": "10:00",
        "latest_time": "10:00",
        "until_date": "2026-11-18",
        "name": "Max Muster",
        "email": "max@example.org",
        "altcha": solved(fairness.new_challenge()),
    }
    data.update(changes)
    return data


@pytest.fixture
def easy_pow(settings: object) -> None:
    settings.ALTCHA_MAX_NUMBER = 500  # type: ignore[attr-defined]


def test_it_registers_from_the_form_and_mails_a_withdraw_link(
    client: Client,
    kaarst: ServiceGroup,
    office_a: Office,
    passport: Service,
    booked_at_ten: Appointment,
    easy_pow: None,
) -> None:
    page = client.get(register_page(office_a, passport), HTTP_ACCEPT_LANGUAGE="en")
    assert page.status_code == 200
    assert b'data-altcha-challenge="' in page.content
    assert b'name="weekdays"' in page.content

    response = client.post(register_page(office_a, passport), form_data(), HTTP_ACCEPT_LANGUAGE="en")

    assert response.status_code == 302
    with scopes_disabled():
        entry = WaitlistEntry.objects.get()
        assert list(entry.services.all()) == [passport]
    assert (entry.state, entry.weekdays, entry.earliest_time, entry.until_date) == (
        WaitlistState.WAITING,
        [2],
        dt.time(10),
        WEDNESDAY,
    )
    assert response["Location"].startswith(f"/termine/warteliste/{entry.public_id}/")
    mail = OutboxMessage.objects.get(dedupe_key=f"waitlist-registered:{entry.pk}")
    assert response["Location"] in mail.payload["body"]
    assert mail.payload["to"] == ["max@example.org"]
    shown = client.get(response["Location"], HTTP_ACCEPT_LANGUAGE="en")
    assert b'data-state="waiting"' in shown.content


def test_it_shows_field_errors_and_registers_nothing(
    client: Client, kaarst: ServiceGroup, office_a: Office, passport: Service, easy_pow: None
) -> None:
    response = client.post(
        register_page(office_a, passport),
        form_data(email="not-an-address", earliest_time="12:00", latest_time="09:00", until_date="2026-11-01"),
        HTTP_ACCEPT_LANGUAGE="en",
    )

    assert response.status_code == 400
    content = response.content.decode()
    assert 'id="id_email_error"' in content
    assert 'id="id_latest_time_error"' in content
    assert 'id="id_until_date_error"' in content
    assert 'aria-describedby="id_email_help id_email_error"' in content
    assert 'class="error-summary"' in content
    with scopes_disabled():
        assert not WaitlistEntry.objects.exists()


def test_it_refuses_a_form_without_a_solved_security_check(
    client: Client, kaarst: ServiceGroup, office_a: Office, passport: Service
) -> None:
    response = client.post(register_page(office_a, passport), form_data(altcha=""), HTTP_ACCEPT_LANGUAGE="en")

    assert response.status_code == 400
    assert str(fairness.POW_REQUIRED_MESSAGE) in response.content.decode()
    with scopes_disabled():
        assert not WaitlistEntry.objects.exists()


def test_it_refuses_a_second_active_entry_for_the_same_services_with_a_message(
    client: Client,
    kaarst: ServiceGroup,
    office_a: Office,
    passport: Service,
    booked_at_ten: Appointment,
    easy_pow: None,
) -> None:
    assert client.post(register_page(office_a, passport), form_data()).status_code == 302

    again = client.post(
        register_page(office_a, passport), form_data(email="MAX@example.org "), HTTP_ACCEPT_LANGUAGE="en"
    )

    assert again.status_code == 400
    assert 'id="refusal"' in again.content.decode()
    assert "already on the waitlist" in again.content.decode()
    with scopes_disabled():
        assert WaitlistEntry.objects.count() == 1


def test_it_lets_the_same_person_wait_for_other_services_and_again_after_withdrawing(
    kaarst: ServiceGroup, office_a: Office, passport: Service, booked_at_ten: Appointment
) -> None:
    other = ServiceFactory(counter_minutes=5, slug="meldebescheinigung")
    with scopes_disabled():
        kaarst.services.add(other)
    first = wait_for_ten(office_a, [passport], "max@example.org")
    wait_for_ten(office_a, [passport, other], "max@example.org")
    with pytest.raises(waitlist.WaitlistRefused) as refused:
        wait_for_ten(office_a, [passport], "max@example.org")
    assert refused.value.code == "duplicate"

    waitlist.withdraw(first)

    assert state_of(first) == WaitlistState.CANCELLED
    assert wait_for_ten(office_a, [passport], "max@example.org").state == WaitlistState.WAITING


def test_it_answers_404_for_an_unknown_office_or_service(
    client: Client, kaarst: ServiceGroup, office_a: Office, passport: Service
) -> None:
    assert client.get(reverse("appointments:waitlist") + "?buero=nonsense&leistungen=x").status_code == 404
    assert client.get(register_page(office_a, ServiceFactory(slug="not-offered"))).status_code == 404


def test_it_refuses_a_wrong_withdraw_link(
    client: Client, kaarst: ServiceGroup, office_a: Office, passport: Service
) -> None:
    entry = wait_for_ten(office_a, [passport], "max@example.org", latest_time=dt.time(8))
    url = reverse("appointments:waitlist_entry", args=[entry.public_id, "wrong-token"])
    assert client.get(url).status_code == 404
    assert client.post(url, {"action": "withdraw"}).status_code == 404
    assert state_of(entry) == WaitlistState.WAITING


# -- offering freed times ---------------------------------------------------------------------------


def test_it_offers_a_cancelled_time_after_the_return_delay_to_the_first_entry_that_fits(
    kaarst: ServiceGroup, office_a: Office, passport: Service, booked_at_ten: Appointment
) -> None:
    with scopes_disabled():
        booking.book(office_a, [passport], TEN + dt.timedelta(minutes=5), name="Other", email="other@example.org")
    thursday_only = wait_for_ten(office_a, [passport], "thursday@example.org", weekdays=[3])  # until Wednesday
    five_past = wait_for_ten(
        office_a, [passport], "later@example.org", earliest_time=dt.time(10, 5), latest_time=dt.time(10, 5)
    )
    first = wait_for_ten(office_a, [passport], "first@example.org")
    second = wait_for_ten(office_a, [passport], "second@example.org")

    with scopes_disabled():
        booking.cancel(booked_at_ten)
        booking.return_due_capacity(now=FIXED_NOW + dt.timedelta(minutes=10))
    assert state_of(first) == WaitlistState.WAITING  # not before the return delay

    with scopes_disabled():
        booking.return_due_capacity(now=AFTER_RETURN)

    assert state_of(thursday_only) == WaitlistState.WAITING
    assert state_of(five_past) == WaitlistState.WAITING
    assert state_of(first) == WaitlistState.OFFERED
    assert state_of(second) == WaitlistState.WAITING
    with scopes_disabled():
        held = Appointment.objects.get(pk=first.offered_id)
    assert (held.starts_at, held.state, held.channel) == (TEN, AppointmentState.HELD, BookingChannel.WAITLIST)
    assert held.hold_expires_at == first.offer_expires_at == AFTER_RETURN + dt.timedelta(minutes=120)
    assert TEN not in {slot.starts_at for slot in selectors.free_slots(office_a, [passport], WEDNESDAY)}
    assert "/termine/warteliste/angebot/" in offer_mail("first@example.org").payload["body"]


def test_it_offers_a_fitting_free_time_at_once_on_registering(
    kaarst: ServiceGroup, office_a: Office, passport: Service
) -> None:
    entry = wait_for_ten(office_a, [passport], "max@example.org")

    assert entry.state == WaitlistState.OFFERED
    with scopes_disabled():
        assert Appointment.objects.get(pk=entry.offered_id).starts_at == TEN


def test_it_books_the_time_when_the_offer_is_accepted_through_the_link(
    client: Client, kaarst: ServiceGroup, office_a: Office, passport: Service, booked_at_ten: Appointment
) -> None:
    entry = wait_for_ten(office_a, [passport], "first@example.org")
    cancel_and_return(booked_at_ten)
    url = reverse("appointments:waitlist_offer", args=[offer_token_from(offer_mail("first@example.org"))])

    shown = client.get(url, HTTP_ACCEPT_LANGUAGE="en")
    assert b'data-state="open"' in shown.content
    assert state_of(entry) == WaitlistState.OFFERED  # GET changes nothing
    accepted = client.post(url, {"action": "accept"})
    assert accepted.status_code == 302
    again = client.post(url, {"action": "accept"})  # a double click

    assert again.status_code == 302
    assert state_of(entry) == WaitlistState.BOOKED
    with scopes_disabled():
        appointment = Appointment.objects.get(pk=entry.offered_id)
        assert Appointment.objects.filter(state=AppointmentState.BOOKED, starts_at=TEN).count() == 1
    assert (appointment.state, appointment.email, appointment.name) == (
        AppointmentState.BOOKED,
        "first@example.org",
        "first",
    )
    assert OutboxMessage.objects.filter(dedupe_key=f"appointment-booked:{appointment.pk}").exists()
    assert b'data-state="booked"' in client.get(url).content


def test_it_offers_the_time_to_the_next_entry_when_the_first_declines(
    client: Client, kaarst: ServiceGroup, office_a: Office, passport: Service, booked_at_ten: Appointment
) -> None:
    first = wait_for_ten(office_a, [passport], "first@example.org")
    second = wait_for_ten(office_a, [passport], "second@example.org")
    cancel_and_return(booked_at_ten)
    url = reverse("appointments:waitlist_offer", args=[offer_token_from(offer_mail("first@example.org"))])

    assert client.post(url, {"action": "decline"}).status_code == 302

    assert state_of(first) == WaitlistState.WAITING  # keeps waiting, but never gets this time again
    assert state_of(second) == WaitlistState.OFFERED
    with scopes_disabled():
        assert Appointment.objects.get(pk=second.offered_id).starts_at == TEN
    assert b'data-state="closed"' in client.get(url).content
    assert client.post(url, {"action": "accept"}).status_code == 409


def test_it_gives_an_unanswered_offer_to_the_next_entry_and_expires_after_two_missed_offers(
    kaarst: ServiceGroup, office_a: Office, passport: Service, booked_at_ten: Appointment
) -> None:
    five_past = TEN + dt.timedelta(minutes=5)
    with scopes_disabled():
        other = booking.book(office_a, [passport], five_past, name="Other", email="other@example.org").appointment
    first = wait_for_ten(office_a, [passport], "first@example.org", latest_time=dt.time(10, 5))
    second = wait_for_ten(office_a, [passport], "second@example.org")
    cancel_and_return(booked_at_ten)
    assert state_of(first) == WaitlistState.OFFERED
    first_expiry = AFTER_RETURN + dt.timedelta(minutes=121)

    assert waitlist.expire_offers(AFTER_RETURN + dt.timedelta(minutes=60)) == 0
    assert waitlist.expire_offers(first_expiry) == 1

    assert state_of(first) == WaitlistState.WAITING  # one missed offer: still waiting
    assert state_of(second) == WaitlistState.OFFERED
    with scopes_disabled():
        assert Appointment.objects.get(pk=second.offered_id).starts_at == TEN
        booking.cancel(other)
        booking.return_due_capacity(now=first_expiry + dt.timedelta(minutes=20))
    assert state_of(first) == WaitlistState.OFFERED
    with scopes_disabled():
        assert Appointment.objects.get(pk=first.offered_id).starts_at == five_past

    waitlist.expire_offers(first_expiry + dt.timedelta(minutes=20 + 121))

    assert state_of(first) == WaitlistState.EXPIRED  # the second missed offer
    assert OutboxMessage.objects.filter(dedupe_key=f"waitlist-expired:{first.pk}").exists()


def test_it_expires_entries_whose_last_day_has_passed(
    kaarst: ServiceGroup, office_a: Office, passport: Service, booked_at_ten: Appointment
) -> None:
    entry = wait_for_ten(office_a, [passport], "max@example.org")

    assert waitlist.expire_offers(dt.datetime(2026, 11, 19, 0, 5, tzinfo=BERLIN)) == 1

    assert state_of(entry) == WaitlistState.EXPIRED


def test_it_returns_the_held_time_when_an_entry_with_an_offer_is_withdrawn(
    kaarst: ServiceGroup, office_a: Office, passport: Service
) -> None:
    entry = wait_for_ten(office_a, [passport], "max@example.org")
    assert entry.state == WaitlistState.OFFERED

    waitlist.withdraw(entry)

    assert state_of(entry) == WaitlistState.CANCELLED
    assert TEN in {slot.starts_at for slot in selectors.free_slots(office_a, [passport], WEDNESDAY)}


def test_it_refuses_to_book_an_offer_for_a_person_at_their_cap_and_passes_the_time_on(
    kaarst: ServiceGroup, office_a: Office, passport: Service, booked_at_ten: Appointment
) -> None:
    first = wait_for_ten(office_a, [passport], "first@example.org")
    second = wait_for_ten(office_a, [passport], "second@example.org")
    with scopes_disabled():
        booking.book(office_a, [passport], TEN + dt.timedelta(hours=1), name="First", email="first@example.org")
    cancel_and_return(booked_at_ten)
    with scopes_disabled():
        first.refresh_from_db()
        offered = Appointment.objects.get(pk=first.offered_id)

    with pytest.raises(waitlist.WaitlistRefused) as refused:
        waitlist.accept_offer(first, offered, now=AFTER_RETURN)

    assert refused.value.code == "cap_reached"
    assert state_of(first) == WaitlistState.EXPIRED
    assert state_of(second) == WaitlistState.OFFERED


def test_it_answers_404_for_a_forged_offer_link(client: Client, kaarst: ServiceGroup) -> None:
    assert client.get(reverse("appointments:waitlist_offer", args=["forged:value"])).status_code == 404
