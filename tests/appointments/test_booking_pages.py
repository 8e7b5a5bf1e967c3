"""The citizen booking flow page by page: services → office → day → time → contact → confirmation,
and the manage link (cancel, move). Real database, real proof of work (a small ALTCHA difficulty)."""

from __future__ import annotations

import datetime as dt
import html
import json
import re
import time
from typing import Any

import pytest
from django.core import mail
from django.test import Client
from django.utils import timezone
from icalendar import Calendar

from buergerbuero.accounts.constants import UserKind
from buergerbuero.accounts.models import User
from buergerbuero.appointments import selectors
from buergerbuero.appointments.constants import AppointmentState
from buergerbuero.appointments.models import Appointment, ServiceGroup
from buergerbuero.appointments.services import booking
from buergerbuero.catalog.models import Service
from buergerbuero.core.outbox import dispatch_due
from buergerbuero.core.tenancy import scopes_disabled
from buergerbuero.tenants.models import Office
from tests.appointments.altcha_helpers import solved
from tests.appointments.factories import bookable_office
from tests.catalog.factories import ServiceFactory

pytestmark = pytest.mark.django_db

TOMORROW = dt.date(2026, 11, 18)  # the clock stands on Tuesday, 17 November 2026, 09:30
CHALLENGE = re.compile(r'data-altcha-challenge="([^"]*)"')


@pytest.fixture(autouse=True)
def quick_proof_of_work(settings: Any) -> None:
    settings.ALTCHA_MAX_NUMBER = 2_000
    settings.SITE_URL = "https://termine.example.org"
    settings.APPOINTMENTS_RATE_LIMITS = {"reserve": (50, 300)}


@pytest.fixture
def service(clock: Any, office_a: Office) -> Service:
    passport = ServiceFactory(counter_minutes=10, slug="personalausweis", name_de="Personalausweis")
    bookable_office(office_a, services=[passport], hold_minutes=10, return_delay_minutes=15)
    return passport


def en(client: Client, path: str, **extra: Any) -> Any:
    return client.get(path, HTTP_ACCEPT_LANGUAGE="en", **extra)


def times_path(office: Office, day: dt.date, service: Service) -> str:
    return f"/termine/standorte/{office.public_id}/{day.isoformat()}/?leistung={service.slug}"


def at(hour: int, minute: int, day: dt.date = TOMORROW) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(hour, minute), timezone.get_current_timezone())


def utc(moment: dt.datetime) -> str:
    """How a time is written in a slot button (the database returns UTC)."""
    return moment.astimezone(dt.UTC).isoformat()


def mail_to(address: str) -> list[Any]:
    return [message for message in mail.outbox if message.to == [address]]


def reserve(
    client: Client, office: Office, service: Service, starts_at: dt.datetime, *, altcha: str | None = None
) -> Any:
    """GET the times page, solve its challenge like pow.js does, and press the time's button."""
    day = timezone.localtime(starts_at).date()
    page = en(client, times_path(office, day, service))
    challenge = json.loads(html.unescape(CHALLENGE.search(page.content.decode())[1]))  # type: ignore[index]
    return client.post(
        times_path(office, day, service),
        {"starts_at": starts_at.isoformat(), "altcha": solved(challenge) if altcha is None else altcha},
        HTTP_ACCEPT_LANGUAGE="en",
    )


def book(client: Client, office: Office, service: Service, starts_at: dt.datetime, **fields: str) -> Appointment:
    response = reserve(client, office, service, starts_at)
    assert response.status_code == 302, response.content.decode()[:2000]
    contact_url = response["Location"]
    data = {"name": "Erika Mustermann", "email": "erika@example.org", "phone": "", "note": "", **fields}
    confirmed = client.post(contact_url, data, HTTP_ACCEPT_LANGUAGE="en")
    assert confirmed.status_code == 302, confirmed.content.decode()[:2000]
    with scopes_disabled():
        return Appointment.objects.get(public_id=contact_url.rstrip("/").rsplit("/", 1)[1])


def manage_link(message: Any) -> str:
    found = re.search(r"https://termine\.example\.org(/termine/verwalten/[^\s]+/)", message.body)
    assert found, message.body
    return found[1]


# -- step 1: services --------------------------------------------------------------------------------


def test_it_lists_bookable_services_and_preselects_the_one_from_the_catalogue(service: Service) -> None:
    other = ServiceFactory(slug="not-bookable")
    response = en(Client(), f"/termine/?leistung={service.slug}")
    page = response.content.decode()
    assert response.status_code == 200
    assert "<title>" in page and "<h1>" in page
    assert re.search(rf'id="service-{service.slug}" name="leistung" value="{service.slug}" checked', page)
    assert other.slug not in page


def test_it_tells_that_a_service_from_the_catalogue_cannot_be_booked_online(service: Service) -> None:
    ServiceFactory(slug="not-bookable")
    page = en(Client(), "/termine/?leistung=not-bookable").content.decode()
    assert "cannot be booked online" in page


def test_it_asks_for_at_least_one_service(service: Service) -> None:
    response = en(Client(), "/termine/?weiter=1")
    page = response.content.decode()
    assert response.status_code == 200
    assert 'class="error-summary"' in page
    assert 'id="id_leistung_error"' in page


def test_it_carries_the_chosen_services_to_the_places(service: Service) -> None:
    response = en(Client(), f"/termine/?leistung={service.slug}&weiter=1")
    assert response.status_code == 302
    assert response["Location"] == f"/termine/standorte/?leistung={service.slug}"


# -- step 2: place ---------------------------------------------------------------------------------------


def test_it_shows_every_office_with_its_earliest_time_and_the_earliest_in_the_kreis_first(
    service: Service, office_a: Office, office_b: Office
) -> None:
    bookable_office(office_b, services=[service], walk_in_percent=100)  # every counter kept for walk-ins
    page = en(Client(), f"/termine/standorte/?leistung={service.slug}").content.decode()
    earliest = page[page.index('id="earliest-title"') : page.index('id="offices-title"')]
    assert times_path(office_a, TOMORROW, service) in earliest  # Wednesday 08:00 at Kaarst
    assert f"/termine/warteliste/?buero={office_b.public_id}&amp;leistungen={service.slug}" in page
    assert f"/termine/standorte/{office_b.public_id}/?" not in page  # nothing to choose at Jüchen
    assert page.count("Nothing free in the booking window.") == 1


def test_it_sends_a_visit_without_services_back_to_the_start(service: Service) -> None:
    assert en(Client(), "/termine/standorte/")["Location"] == "/termine/"


# -- step 3: day -----------------------------------------------------------------------------------------


def test_it_links_only_bookable_days(service: Service, office_a: Office) -> None:
    page = en(Client(), f"/termine/standorte/{office_a.public_id}/?leistung={service.slug}").content.decode()
    assert 'data-day="2026-11-18"' in page  # Wednesday
    assert 'data-day="2026-11-17"' not in page  # today: not bookable
    assert 'data-day="2026-11-21"' not in page  # Saturday: closed
    assert "<caption>" in page


def test_it_answers_an_unknown_office_with_404(service: Service) -> None:
    response = en(Client(), f"/termine/standorte/00000000-0000-0000-0000-000000000000/?leistung={service.slug}")
    assert response.status_code == 404


# -- step 4: time and the reservation --------------------------------------------------------------------


def test_it_shows_the_free_times_as_buttons_in_a_form_with_the_proof_of_work(
    service: Service, office_a: Office
) -> None:
    page = en(Client(), times_path(office_a, TOMORROW, service)).content.decode()
    assert 'data-altcha data-altcha-challenge="' in page
    assert f'name="starts_at" value="{utc(at(8, 0))}"' in page
    assert page.count('class="booking-slot"') == len(selectors.free_slots(office_a, [service], TOMORROW))


def test_it_reserves_a_time_and_keeps_the_token_in_the_session(service: Service, office_a: Office) -> None:
    client = Client()
    response = reserve(client, office_a, service, at(9, 0))
    assert response.status_code == 302
    with scopes_disabled():
        held = Appointment.objects.get()
    assert held.state == AppointmentState.HELD
    assert response["Location"] == f"/termine/reservierung/{held.public_id}/"
    assert held.manage_token_hash == booking.hash_token(client.session["appointments_holds"][str(held.public_id)])


def test_it_refuses_a_reservation_without_the_proof_of_work(service: Service, office_a: Office) -> None:
    response = reserve(Client(), office_a, service, at(9, 0), altcha="")
    assert response.status_code == 400
    assert 'class="error-summary"' in response.content.decode()
    with scopes_disabled():
        assert not Appointment.objects.exists()


def test_it_refuses_a_replayed_proof_of_work(service: Service, office_a: Office) -> None:
    client = Client()
    page = en(client, times_path(office_a, TOMORROW, service)).content.decode()
    payload = solved(json.loads(html.unescape(CHALLENGE.search(page)[1])))  # type: ignore[index]
    first = client.post(times_path(office_a, TOMORROW, service), {"starts_at": at(9, 0).isoformat(), "altcha": payload})
    again = client.post(
        times_path(office_a, TOMORROW, service), {"starts_at": at(10, 0).isoformat(), "altcha": payload}
    )
    assert (first.status_code, again.status_code) == (302, 400)


def test_it_gives_a_field_error_for_a_time_of_another_day(service: Service, office_a: Office) -> None:
    response = reserve(Client(), office_a, service, at(9, 0))  # fine
    assert response.status_code == 302
    wrong = Client().post(
        times_path(office_a, TOMORROW, service), {"starts_at": "yesterday", "altcha": ""}, HTTP_ACCEPT_LANGUAGE="en"
    )
    assert wrong.status_code == 400
    assert 'href="#id_starts_at"' in wrong.content.decode()


def test_it_offers_alternatives_when_the_time_was_just_taken(service: Service, office_a: Office) -> None:
    with scopes_disabled():
        for number in range(2):  # the office has two counters
            booking.book(office_a, [service], at(9, 0), name="Other", email=f"other{number}@example.org")
    response = reserve(Client(), office_a, service, at(9, 0))
    page = response.content.decode()
    assert response.status_code == 409
    assert 'id="alternatives-label"' in page
    assert f'value="{utc(at(9, 10))}"' in page  # the nearest free time on the same day
    assert page.count('class="booking-slot"') > len(selectors.free_slots(office_a, [service], TOMORROW))


def test_it_refuses_too_many_reservations_with_a_retry_time(service: Service, office_a: Office, settings: Any) -> None:
    settings.APPOINTMENTS_RATE_LIMITS = {"reserve": (1, 300)}
    client = Client()
    assert reserve(client, office_a, service, at(9, 0)).status_code == 302
    refused = reserve(client, office_a, service, at(10, 0))
    assert refused.status_code == 429
    assert 0 < int(refused["Retry-After"]) <= 300
    assert "<h1>" in refused.content.decode()


# -- step 5: contact ---------------------------------------------------------------------------------------


def test_it_shows_the_contact_form_only_to_the_session_that_reserved(service: Service, office_a: Office) -> None:
    client = Client()
    contact_url = reserve(client, office_a, service, at(9, 0))["Location"]
    page = en(client, contact_url).content.decode()
    assert "09:40" in page  # reserved at 09:30 for the policy's 10 minutes
    assert 'data-countdown-until="' in page
    assert en(Client(), contact_url).status_code == 404


def test_it_gives_field_errors_next_to_the_fields(service: Service, office_a: Office) -> None:
    client = Client()
    contact_url = reserve(client, office_a, service, at(9, 0))["Location"]
    response = client.post(contact_url, {"name": "", "email": "not-an-address"}, HTTP_ACCEPT_LANGUAGE="en")
    page = response.content.decode()
    assert response.status_code == 200
    assert 'class="error-summary"' in page
    assert re.search(r'aria-describedby="id_email_help id_email_error"|aria-invalid="true"', page)
    assert 'id="id_name_error"' in page and 'id="id_email_error"' in page
    with scopes_disabled():
        assert Appointment.objects.get().state == AppointmentState.HELD


def test_it_books_and_mails_the_confirmation_with_calendar_file_qr_code_and_manage_link(
    service: Service, office_a: Office
) -> None:
    appointment = book(Client(), office_a, service, at(9, 0), needs_accessibility="on")
    assert appointment.state == AppointmentState.BOOKED
    assert appointment.needs_accessibility
    assert appointment.idempotency_key == str(appointment.public_id)
    dispatch_due()
    (message,) = mail.outbox
    assert message.to == ["erika@example.org"]
    assert appointment.code in message.subject
    assert manage_link(message).startswith(f"/termine/verwalten/{appointment.public_id}/")
    (html_body, _html_type), *_ = message.alternatives
    assert "data:image/png;base64," in html_body and appointment.code in html_body
    names = {name: (content, kind) for name, content, kind in message.attachments}
    ics, kind = names[f"termin-{appointment.code}.ics"]
    assert kind.startswith("text/calendar")
    event = Calendar.from_ical(ics).walk("VEVENT")[0]
    assert event.decoded("dtstart") == at(9, 0)
    assert str(event["uid"]) == f"{appointment.public_id}@termine.example.org"
    assert office_a.address in str(event["location"])
    assert names[f"termin-{appointment.code}.png"][0].startswith(b"\x89PNG")


def test_it_confirms_once_when_the_form_is_sent_twice(service: Service, office_a: Office) -> None:
    client = Client()
    contact_url = reserve(client, office_a, service, at(9, 0))["Location"]
    data = {"name": "Erika Mustermann", "email": "erika@example.org"}
    first = client.post(contact_url, data)
    second = client.post(contact_url, data)
    assert first.status_code == second.status_code == 302
    assert first["Location"] == second["Location"]
    with scopes_disabled():
        assert Appointment.objects.filter(state=AppointmentState.BOOKED).count() == 1
    dispatch_due()
    assert len(mail.outbox) == 1


def test_it_keeps_the_details_and_offers_the_same_time_again_when_the_hold_expired(
    service: Service, office_a: Office, clock: Any
) -> None:
    client = Client()
    contact_url = reserve(client, office_a, service, at(9, 0))["Location"]
    clock.shift(dt.timedelta(minutes=11))
    response = client.post(
        contact_url, {"name": "Erika Mustermann", "email": "erika@example.org"}, HTTP_ACCEPT_LANGUAGE="en"
    )
    page = response.content.decode()
    assert response.status_code == 409
    assert "Your reservation has expired" in page
    assert f'name="starts_at" value="{utc(at(9, 0))}"' in page
    assert 'value="Erika Mustermann"' in page
    # Reserving again (with a new proof of work) reclaims the expired hold's time.
    again = reserve(client, office_a, service, at(9, 0))
    assert again.status_code == 302
    assert 'value="Erika Mustermann"' in en(client, again["Location"]).content.decode()


def test_it_prefills_the_details_of_a_logged_in_citizen(service: Service, office_a: Office) -> None:
    citizen = User.objects.create_user(
        "erika", email="erika@example.org", first_name="Erika", last_name="Mustermann", kind=UserKind.CITIZEN
    )
    client = Client()
    client.force_login(citizen)
    session = client.session
    session["citizen_login_at"] = int(time.time())  # as the OIDC login records it (accounts.assurance)
    session.save()
    contact_url = reserve(client, office_a, service, at(9, 0))["Location"]
    page = en(client, contact_url).content.decode()
    assert 'value="Erika Mustermann"' in page and 'value="erika@example.org"' in page


# -- step 6: confirmation -----------------------------------------------------------------------------------


def test_it_shows_the_confirmation_with_code_qr_calendar_file_and_manage_link(
    service: Service, office_a: Office
) -> None:
    client = Client()
    appointment = book(client, office_a, service, at(9, 0))
    page = en(client, f"/termine/bestaetigt/{appointment.public_id}/").content.decode()
    assert appointment.code in page
    assert "<svg" in page and "openstreetmap.org" in page
    assert f"/termine/verwalten/{appointment.public_id}/" in page
    assert f"/leistungen/{service.slug}/checkliste/" in page
    ics = client.get(f"/termine/bestaetigt/{appointment.public_id}/termin.ics")
    assert ics["Content-Type"].startswith("text/calendar")
    assert b"METHOD:PUBLISH" in ics.content
    assert Client().get(f"/termine/bestaetigt/{appointment.public_id}/").status_code == 404


# -- the manage link ------------------------------------------------------------------------------------------


def test_it_cancels_through_the_manage_link_and_returns_the_time_only_after_the_delay(
    service: Service, office_a: Office
) -> None:
    with scopes_disabled():
        booking.book(office_a, [service], at(9, 0), name="Other", email="other@example.org")
    book(Client(), office_a, service, at(9, 0))  # the second of two counters: 09:00 is now full
    dispatch_due()
    link = manage_link(mail_to("erika@example.org")[0])
    visitor = Client()
    assert "Cancel the appointment" in en(visitor, link).content.decode()
    assert en(visitor, link + "absagen/").status_code == 200  # the confirmation step changes nothing
    with scopes_disabled():
        assert Appointment.objects.filter(state=AppointmentState.BOOKED).count() == 2
    assert visitor.post(link + "absagen/")["Location"] == link
    with scopes_disabled():
        cancelled = Appointment.objects.get(email="erika@example.org")
    assert cancelled.state == AppointmentState.CANCELLED
    assert 'data-state="cancelled"' in en(visitor, link).content.decode()
    assert at(9, 0) not in [slot.starts_at for slot in selectors.free_slots(office_a, [service], TOMORROW)]
    with scopes_disabled():
        booking.return_due_capacity(now=timezone.now() + dt.timedelta(minutes=14))
    assert at(9, 0) not in [slot.starts_at for slot in selectors.free_slots(office_a, [service], TOMORROW)]
    with scopes_disabled():
        booking.return_due_capacity(now=timezone.now() + dt.timedelta(minutes=15))
    assert at(9, 0) in [slot.starts_at for slot in selectors.free_slots(office_a, [service], TOMORROW)]
    dispatch_due()
    cancellation = mail_to("erika@example.org")[-1]
    assert cancelled.code in cancellation.subject
    ics = next(content for name, content, _kind in cancellation.attachments if name.endswith(".ics"))
    assert "STATUS:CANCELLED" in str(ics)


def test_it_answers_a_wrong_manage_link_with_a_helpful_404(service: Service, office_a: Office) -> None:
    appointment = book(Client(), office_a, service, at(9, 0))
    wrong = en(Client(), f"/termine/verwalten/{appointment.public_id}/not-the-token/")
    assert wrong.status_code == 404
    assert "complete link from your confirmation e-mail" in wrong.content.decode()
    assert en(Client(), f"/termine/verwalten/{appointment.public_id}/not-the-token/absagen/").status_code == 404
    with scopes_disabled():
        assert Appointment.objects.get().state == AppointmentState.BOOKED


def test_it_moves_the_appointment_and_mails_a_new_link(service: Service, office_a: Office) -> None:
    appointment = book(Client(), office_a, service, at(9, 0))
    dispatch_due()
    link = manage_link(mail.outbox[0])
    visitor = Client()
    days = en(visitor, link + "verschieben/").content.decode()
    assert 'data-day="2026-11-19"' in days
    times = en(visitor, link + "verschieben/2026-11-19/")
    assert times.status_code == 200
    moved = visitor.post(link + "verschieben/2026-11-19/", {"starts_at": at(11, 0, dt.date(2026, 11, 19)).isoformat()})
    assert moved.status_code == 302
    with scopes_disabled():
        new = Appointment.objects.get(state=AppointmentState.BOOKED)
        appointment.refresh_from_db()
    assert new.moved_from_id == appointment.pk
    assert appointment.state == AppointmentState.CANCELLED
    assert moved["Location"].startswith(f"/termine/verwalten/{new.public_id}/")
    assert en(visitor, moved["Location"]).status_code == 200
    dispatch_due()
    assert len(mail.outbox) == 2  # the booking, then the move (no separate cancellation)
    assert manage_link(mail.outbox[1]) == moved["Location"]
    assert 'data-state="cancelled"' in en(visitor, link).content.decode()


def test_it_offers_alternatives_when_the_new_time_was_taken_while_moving(service: Service, office_a: Office) -> None:
    book(Client(), office_a, service, at(9, 0))
    dispatch_due()
    link = manage_link(mail.outbox[0])
    later = at(11, 0, dt.date(2026, 11, 19))
    with scopes_disabled():
        for number in range(2):
            booking.book(office_a, [service], later, name="Other", email=f"other{number}@example.org")
    response = Client().post(
        link + "verschieben/2026-11-19/", {"starts_at": later.isoformat()}, HTTP_ACCEPT_LANGUAGE="en"
    )
    assert response.status_code == 409
    assert 'id="alternatives-label"' in response.content.decode()


def test_it_books_several_services_in_one_longer_appointment(service: Service, office_a: Office) -> None:
    registration = ServiceFactory(counter_minutes=7, slug="anmeldung", name_de="Anmeldung")
    with scopes_disabled():
        ServiceGroup.objects.get(office=office_a).services.add(registration)
    page = en(Client(), f"/termine/standorte/?leistung={service.slug}&leistung={registration.slug}").content.decode()
    assert "20 minutes" in page  # 10 + 7, rounded up to the 5-minute grid
    client = Client()
    response = client.get(
        f"/termine/standorte/{office_a.public_id}/2026-11-18/?leistung={service.slug}&leistung={registration.slug}"
    )
    challenge = json.loads(html.unescape(CHALLENGE.search(response.content.decode())[1]))  # type: ignore[index]
    reserved = client.post(
        f"/termine/standorte/{office_a.public_id}/2026-11-18/?leistung={service.slug}&leistung={registration.slug}",
        {"starts_at": at(9, 0).isoformat(), "altcha": solved(challenge)},
    )
    assert reserved.status_code == 302
    with scopes_disabled():
        held = Appointment.objects.get()
        assert held.ends_at - held.starts_at == dt.timedelta(minutes=20)
        assert set(held.services.values_list("slug", flat=True)) == {service.slug, registration.slug}


def test_it_is_reached_from_the_catalogue_page_of_a_service_by_appointment(service: Service) -> None:
    page = en(Client(), f"/leistungen/{service.slug}/").content.decode()
    assert f'href="/termine/?leistung={service.slug}"' in page
