"""The staff pages of appointments: day and week views, booking for a caller, check-in, cancel, move,
capacity. Staff of another municipality get 404 on every page (tests/accounts/test_isolation.py walks them
all); here the roles within a municipality and what each page does."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.test import Client
from django.urls import reverse

from buergerbuero.accounts.constants import Role
from buergerbuero.accounts.models import User
from buergerbuero.appointments.constants import AppointmentState, BookingChannel
from buergerbuero.appointments.models import Appointment, CapacityCell, ServiceGroup
from buergerbuero.appointments.services.booking import book, return_due_capacity
from buergerbuero.appointments.signals import appointment_checked_in
from buergerbuero.core.models import OutboxMessage
from buergerbuero.core.tenancy import scopes_disabled
from buergerbuero.tenants.models import ClosingDay, Municipality, Office
from tests.accounts.factories import StaffRoleFactory
from tests.appointments.factories import bookable_office
from tests.harness.staff import StaffClient

BERLIN = ZoneInfo("Europe/Berlin")
NOW = dt.datetime(2026, 11, 17, 9, 30, tzinfo=BERLIN)
EN = {"HTTP_ACCEPT_LANGUAGE": "en"}


def at(day: int, hour: int, minute: int = 0) -> dt.datetime:
    return dt.datetime(2026, 11, day, hour, minute, tzinfo=BERLIN)


@pytest.fixture
def group(clock: time_machine.Coordinates, office_a: Office) -> ServiceGroup:
    return bookable_office(office_a, now=NOW)


@pytest.fixture
def clerk(staff_client: StaffClient, clerk_a: User) -> Client:
    return staff_client(clerk_a)


def url(name: str, office: Office, **kwargs: Any) -> str:
    return reverse(
        f"appointments_backoffice:{name}",
        kwargs={"municipality_slug": office.municipality.slug, "office_slug": office.slug, **kwargs},
    )


def booked(group: ServiceGroup, starts_at: dt.datetime, *, name: str = "Anna", email: str = "") -> Appointment:
    email = email or f"{name.lower()}-{starts_at:%d%H%M}@example.org"  # one person per appointment (caps)
    with scopes_disabled():
        services = list(group.services.all())
        return book(group.office, services, starts_at, name=name, email=email, phone="0211 1", now=NOW).appointment


def fresh(appointment: Appointment) -> Appointment:
    with scopes_disabled():
        return Appointment.objects.get(pk=appointment.pk)


# -- day and week -------------------------------------------------------------------------------------


def test_it_shows_the_day_in_counter_lanes_with_the_free_capacity(group: ServiceGroup, clerk: Client) -> None:
    first = booked(group, at(18, 10), name="Anna")
    second = booked(group, at(18, 10, 5), name="Bernd")  # overlaps the first: a second lane
    later = booked(group, at(18, 10, 10), name="Clara")  # after the first: its lane again
    with scopes_disabled():
        with_flag = Appointment.objects.filter(pk=later.pk)
        with_flag.update(needs_accessibility=True)

    page = clerk.get(url("day", group.office, day="2026-11-18"), **EN)

    assert page.status_code == 200
    view = page.context["view"]
    assert view.lanes == 2
    row = next(r for r in view.rows if r.start == at(18, 10))
    assert [[a.code for a in lane] for lane in row.lanes] == [[first.code, later.code], [second.code]]
    assert row.capacity[0].booked == 2 and row.capacity[0].bookable == 2 and row.capacity[0].free == 0
    html = page.content.decode()
    for appointment in (first, second, later):
        assert f'id="appointment-{appointment.code}"' in html
    assert "Step-free access / assistance" in html
    assert 'data-booked="2" data-bookable="2"' in html
    assert 'media="print"' in html  # the print stylesheet
    # Not today: no check-in buttons yet.
    assert 'value="check_in"' not in html


def test_it_opens_another_day_or_office_from_the_picker(group: ServiceGroup, clerk: Client) -> None:
    index = reverse("appointments_backoffice:index", args=[group.office.municipality.slug])
    response = clerk.get(index, {"standort": group.office.slug, "tag": "2026-11-20"})
    assert response.status_code == 302
    assert response["Location"] == url("day", group.office, day="2026-11-20")
    assert clerk.get(url("day", group.office, day="2026-02-30")).status_code == 404


def test_it_counts_booked_checked_in_and_free_per_day_of_the_week(group: ServiceGroup, clerk: Client) -> None:
    booked(group, at(18, 10))
    booked(group, at(18, 11), email="b@example.org")
    page = clerk.get(url("week", group.office, week="2026-11-18"))  # a date opens its week
    assert page.status_code == 200
    days = {summary.day: summary for summary in page.context["days"]}
    assert list(days) == [dt.date(2026, 11, 16) + dt.timedelta(days=i) for i in range(7)]
    assert days[dt.date(2026, 11, 18)].booked == 2
    # Wednesday 8–12 and 13–16 at two counters, minus two 10-minute appointments.
    assert days[dt.date(2026, 11, 18)].free_minutes == 7 * 60 * 2 - 20
    assert days[dt.date(2026, 11, 22)].free_minutes == 0  # Sunday
    assert clerk.get(url("week", group.office, week="2026-W47")).context["monday"] == dt.date(2026, 11, 16)


# -- booking for a caller -----------------------------------------------------------------------------


def test_it_books_for_a_caller_and_shows_the_code_to_read_out(
    group: ServiceGroup, clerk: Client, clerk_a: User
) -> None:
    with scopes_disabled():
        service = group.services.get()
    search = {"leistung": [service.slug], "tag": "2026-11-18"}
    page = clerk.get(url("book", group.office), search)
    assert page.status_code == 200
    assert at(18, 8).isoformat() in page.content.decode()

    response = clerk.post(
        url("book", group.office),
        {**search, "beginn": at(18, 8).isoformat(), "name": "Karl Anrufer", "phone": "02131 5", "anfrage": "k1"},
    )

    assert response.status_code == 302, response.content.decode()[:3000]
    with scopes_disabled():
        appointment = Appointment.objects.get(name="Karl Anrufer")
    assert appointment.state == AppointmentState.BOOKED
    assert appointment.channel == BookingChannel.PHONE
    assert appointment.booked_by == clerk_a
    assert appointment.starts_at == at(18, 8)
    confirmation = clerk.get(response["Location"])
    assert re.search(rf'id="booked-code">{appointment.code}<', confirmation.content.decode())
    assert not OutboxMessage.objects.filter(dedupe_key=f"appointment-booked:{appointment.pk}").exists()
    # The same form sent twice (a double click) books once.
    again = clerk.post(
        url("book", group.office),
        {**search, "beginn": at(18, 8).isoformat(), "name": "Karl Anrufer", "phone": "02131 5", "anfrage": "k1"},
    )
    assert again.status_code == 302
    with scopes_disabled():
        assert Appointment.objects.filter(name="Karl Anrufer").count() == 1


def test_it_requires_the_caller_s_name(group: ServiceGroup, clerk: Client) -> None:
    with scopes_disabled():
        service = group.services.get()
    response = clerk.post(
        url("book", group.office), {"leistung": [service.slug], "tag": "2026-11-18", "beginn": at(18, 8).isoformat()}
    )
    assert response.status_code == 400
    assert response.context["caller"].errors["name"]
    html = response.content.decode()
    assert 'aria-describedby="id_name_error"' in html  # the error next to its field
    assert "data-error-summary" in html and 'href="#id_name"' in html  # and in the summary that gets focus


# -- one appointment: check in, no-show, cancel, move --------------------------------------------------


def test_it_checks_in_from_the_day_view_and_sends_the_signal(
    group: ServiceGroup,
    staff_client: StaffClient,
    clerk_a: User,
    clock: time_machine.Coordinates,
    django_capture_on_commit_callbacks: Any,
) -> None:
    appointment = booked(group, at(18, 10))
    clock.move_to(at(18, 9, 55))
    clerk = staff_client(clerk_a)  # signed in on the day (a session does not last overnight)
    day = url("day", group.office, day="2026-11-18")
    assert 'value="check_in"' in clerk.get(day).content.decode()
    heard: list[Appointment] = []

    def receiver(sender: type[Appointment], appointment: Appointment, actor: User, **kwargs: Any) -> None:
        heard.append(appointment)
        assert actor == clerk_a

    appointment_checked_in.connect(receiver)
    try:
        with django_capture_on_commit_callbacks(execute=True):
            response = clerk.post(
                url("appointment", group.office, code=appointment.code),
                {"action": "check_in", "next": f"{day}#appointment-{appointment.code}"},
                **EN,
            )
    finally:
        appointment_checked_in.disconnect(receiver)

    assert response.status_code == 302
    assert response["Location"] == f"{day}#appointment-{appointment.code}"
    assert fresh(appointment).state == AppointmentState.CHECKED_IN
    assert [a.pk for a in heard] == [appointment.pk]
    assert "5 minutes early" not in clerk.get(day, **EN).content.decode()  # within five minutes: no delta noted


def test_it_ignores_a_next_address_on_another_site(
    group: ServiceGroup, staff_client: StaffClient, clerk_a: User, clock: time_machine.Coordinates
) -> None:
    appointment = booked(group, at(18, 10))
    clock.move_to(at(18, 10, 20))
    clerk = staff_client(clerk_a)
    response = clerk.post(
        url("appointment", group.office, code=appointment.code),
        {"action": "no_show", "next": "https://evil.example/"},
    )
    assert response["Location"] == url("appointment", group.office, code=appointment.code)
    assert fresh(appointment).state == AppointmentState.NO_SHOW


def test_it_cancels_with_a_reason_notifies_and_returns_the_time_after_the_delay(
    group: ServiceGroup, clerk: Client
) -> None:
    appointment = booked(group, at(18, 10))
    page = url("appointment", group.office, code=appointment.code)
    assert clerk.post(page, {"action": "cancel"}).status_code == 400  # a reason is required

    response = clerk.post(page, {"action": "cancel", "grund": "Sachbearbeiterin erkrankt"})

    assert response.status_code == 302
    cancelled = fresh(appointment)
    assert cancelled.state == AppointmentState.CANCELLED
    assert cancelled.cancel_reason == "Sachbearbeiterin erkrankt"
    assert OutboxMessage.objects.filter(dedupe_key=f"appointment-cancelled:{appointment.pk}").exists()
    with scopes_disabled():
        cell = CapacityCell.objects.get(group=group, starts_at=at(18, 10))
        assert cell.booked == 1  # held back for the return delay (15 minutes)
        return_due_capacity(now=NOW + dt.timedelta(minutes=16))
        cell.refresh_from_db()
        assert cell.booked == 0


def test_it_moves_an_appointment_and_keeps_the_person(group: ServiceGroup, clerk: Client, clerk_a: User) -> None:
    appointment = booked(group, at(18, 10), name="Dora", email="dora@example.org")
    move = url("move", group.office, code=appointment.code)
    page = clerk.get(move, {"tag": "2026-11-19"})
    assert at(19, 11).isoformat() in page.content.decode()

    response = clerk.post(move, {"tag": "2026-11-19", "beginn": at(19, 11).isoformat()})

    assert response.status_code == 302
    old = fresh(appointment)
    with scopes_disabled():
        new = Appointment.objects.get(moved_from=old)
    assert old.state == AppointmentState.CANCELLED
    assert (new.state, new.starts_at) == (AppointmentState.BOOKED, at(19, 11))
    assert (new.name, new.email, new.phone) == ("Dora", "dora@example.org", "0211 1")
    assert new.booked_by == clerk_a
    assert response["Location"] == url("appointment", group.office, code=new.code)
    # The new time goes out by mail (announced as "moved" where the notifications know moves).
    keys = [f"appointment-booked:{new.pk}", f"appointment-moved:{new.pk}"]
    assert OutboxMessage.objects.filter(dedupe_key__in=keys).exists()


def test_it_moves_outside_the_booking_window_when_asked(group: ServiceGroup, clerk: Client) -> None:
    appointment = booked(group, at(18, 10))
    move = url("move", group.office, code=appointment.code)
    assert not clerk.get(move, {"tag": "2026-11-17"}).context["slots"]  # today: not for citizens
    response = clerk.post(move, {"tag": "2026-11-17", "ausserhalb": "on", "beginn": at(17, 14).isoformat()})
    assert response.status_code == 302
    with scopes_disabled():
        assert Appointment.objects.get(moved_from=appointment).starts_at == at(17, 14)


# -- capacity -----------------------------------------------------------------------------------------


@pytest.fixture
def team_lead_a(municipality_a: Municipality) -> User:
    return StaffRoleFactory(municipality=municipality_a, role=Role.TEAM_LEAD, user__username="lead_a").user


def test_it_lets_team_leads_and_admins_change_capacity_but_not_clerks(
    group: ServiceGroup, clerk: Client, staff_client: StaffClient, team_lead_a: User, admin_a: User
) -> None:
    capacity = url("capacity", group.office)
    assert clerk.get(capacity).status_code == 404
    assert clerk.post(capacity, {"form": "closing", "closing-date": "2026-11-19"}).status_code == 404
    assert capacity not in clerk.get(url("day", group.office, day="2026-11-18")).content.decode()
    with scopes_disabled():
        assert not ClosingDay.objects.exists()
    for user in (team_lead_a, admin_a):
        page = staff_client(user).get(capacity)
        assert page.status_code == 200, user


def test_it_closes_a_day_from_the_capacity_page_and_lists_the_appointments_to_move(
    group: ServiceGroup, staff_client: StaffClient, team_lead_a: User
) -> None:
    appointment = booked(group, at(19, 9))
    client = staff_client(team_lead_a)
    capacity = url("capacity", group.office)

    response = client.post(capacity, {"form": "closing", "closing-date": "2026-11-19", "closing-reason": "Umzug"})

    assert response.status_code == 302
    assert "?aenderung=" in response["Location"]
    page = client.get(response["Location"])
    assert [a.pk for a in page.context["affected"]] == [appointment.pk]
    html = page.content.decode()
    assert f'id="affected-{appointment.code}"' in html
    assert url("move", group.office, code=appointment.code) in html
    assert OutboxMessage.objects.filter(dedupe_key__startswith=f"appointment-capacity:{appointment.pk}:").count() == 1


def test_it_saves_the_policy_and_refuses_a_stale_form(
    group: ServiceGroup, staff_client: StaffClient, admin_a: User
) -> None:
    client = staff_client(admin_a)
    capacity = url("capacity", group.office)
    form = client.get(capacity).context["policy_form"]
    data = {f"policy-{name}": value for name, value in form.initial.items() if value is not None and value is not False}
    data.update({"form": "policy", "policy-hold_minutes": "7", "policy-is_active": "on"})

    assert client.post(capacity, data).status_code == 302
    with scopes_disabled():
        group.office.booking_policy.refresh_from_db()
        assert group.office.booking_policy.hold_minutes == 7
    data["policy-hold_minutes"] = "9"
    assert client.post(capacity, data).status_code == 409  # the version is the one before the first save


def test_it_adds_a_service_group(group: ServiceGroup, staff_client: StaffClient, admin_a: User) -> None:
    client = staff_client(admin_a)
    with scopes_disabled():
        service = group.services.get()
    response = client.post(
        url("capacity", group.office),
        {"form": "group-new", "group-new-name": "Ausweise", "group-new-services": [service.pk]},
    )
    assert response.status_code == 302
    with scopes_disabled():
        assert ServiceGroup.objects.filter(office=group.office, key="ausweise").exists()
