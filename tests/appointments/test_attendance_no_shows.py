"""Staff mark no-shows; two of them in 180 days block the person's next online booking."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from zoneinfo import ZoneInfo

import pytest
import time_machine

from buergerbuero.accounts.models import User
from buergerbuero.appointments.constants import AppointmentState
from buergerbuero.appointments.models import Appointment, ServiceGroup
from buergerbuero.appointments.services.attendance import AttendanceError, mark_no_show, undo_no_show
from buergerbuero.appointments.services.booking import BookingError, book
from buergerbuero.core.models import AuditEntry
from buergerbuero.core.tenancy import scopes_disabled, tenant_scope
from buergerbuero.tenants.models import Municipality, Office
from tests.appointments.factories import bookable_office

BERLIN = ZoneInfo("Europe/Berlin")
NOW = dt.datetime(2026, 11, 17, 9, 30, tzinfo=BERLIN)


def at(day: int, hour: int, minute: int = 0) -> dt.datetime:
    return dt.datetime(2026, 11, day, hour, minute, tzinfo=BERLIN)


@pytest.fixture(autouse=True)
def frozen() -> Iterator[time_machine.Coordinates]:
    with time_machine.travel(NOW, tick=False) as traveller:
        yield traveller


@pytest.fixture
def group(office_a: Office) -> ServiceGroup:
    return bookable_office(office_a, now=NOW)


def booked(
    group: ServiceGroup, starts_at: dt.datetime, *, now: dt.datetime = NOW, email: str = "anna@example.org"
) -> Appointment:
    with scopes_disabled():
        services = list(group.services.all())
        return book(group.office, services, starts_at, name="Anna", email=email, now=now).appointment


def test_it_marks_a_no_show_once_the_start_has_passed_and_logs_who(
    group: ServiceGroup, clerk_a: User, municipality_a: Municipality
) -> None:
    appointment = booked(group, at(18, 10))

    with tenant_scope([municipality_a]):  # as in the clerk's request
        with pytest.raises(AttendanceError) as early:
            mark_no_show(appointment, actor=clerk_a, now=at(18, 9, 59))
        assert early.value.code == "not_started"
        marked = mark_no_show(appointment, actor=clerk_a, now=at(18, 10, 20))
        again = mark_no_show(appointment, actor=clerk_a, now=at(18, 10, 30))

        assert marked.state == again.state == AppointmentState.NO_SHOW
        assert again.no_show_at == at(18, 10, 20)
        [entry] = AuditEntry.objects.filter(action="appointments.appointment.no_show")
        assert entry.actor == clerk_a and entry.object_id == str(appointment.pk)
        assert entry.municipality == municipality_a


def test_it_marks_only_booked_appointments(group: ServiceGroup, clerk_a: User) -> None:
    appointment = booked(group, at(18, 10))
    with scopes_disabled():
        Appointment.objects.filter(pk=appointment.pk).update(state=AppointmentState.CANCELLED)

        with pytest.raises(AttendanceError) as refused:
            mark_no_show(appointment, actor=clerk_a, now=at(18, 11))
        assert refused.value.code == "not_booked"
        appointment.refresh_from_db()
        assert appointment.state == AppointmentState.CANCELLED and appointment.no_show_at is None


def test_it_hides_another_municipalitys_appointment_from_staff(
    group: ServiceGroup, clerk_b: User, municipality_b: Municipality
) -> None:
    appointment = booked(group, at(18, 10))

    with tenant_scope([municipality_b]), pytest.raises(Appointment.DoesNotExist):
        mark_no_show(appointment, actor=clerk_b, now=at(18, 11))
    with scopes_disabled():
        appointment.refresh_from_db()
    assert appointment.state == AppointmentState.BOOKED


def test_it_undoes_a_no_show_on_the_same_day_only(group: ServiceGroup, clerk_a: User) -> None:
    first = booked(group, at(18, 10))
    second = booked(group, at(18, 10, 30), email="ben@example.org")
    with scopes_disabled():
        mark_no_show(first, actor=clerk_a, now=at(18, 10, 20))
        mark_no_show(second, actor=clerk_a, now=at(18, 23, 50))

        undone = undo_no_show(first, actor=clerk_a, now=at(18, 17))
        assert undone.state == AppointmentState.BOOKED and undone.no_show_at is None
        assert AuditEntry.objects.filter(action="appointments.appointment.no_show_undone").count() == 1
        with pytest.raises(AttendanceError) as late:
            undo_no_show(second, actor=clerk_a, now=at(19, 0, 5))  # after midnight in Berlin
        assert late.value.code == "too_late"
        second.refresh_from_db()
        assert second.state == AppointmentState.NO_SHOW


def test_it_refuses_the_third_online_booking_after_two_no_shows(group: ServiceGroup, clerk_a: User) -> None:
    first = booked(group, at(18, 10))
    with scopes_disabled():
        mark_no_show(first, actor=clerk_a, now=at(18, 10, 30))
    second = booked(group, at(19, 10), now=at(18, 10, 30))
    with scopes_disabled():
        mark_no_show(second, actor=clerk_a, now=at(19, 10, 30))

    with pytest.raises(BookingError) as refused:
        booked(group, at(20, 10), now=at(19, 10, 30))

    assert refused.value.code == "no_show_limit"
    with scopes_disabled():
        assert not Appointment.objects.filter(starts_at=at(20, 10), state=AppointmentState.BOOKED).exists()
        # Staff on the phone are not bound by the limit (enforce_caps=False).
        services = list(group.services.all())
        by_phone = book(
            group.office, services, at(20, 10), name="Anna", email="anna@example.org",
            booked_by=clerk_a, enforce_caps=False, now=at(19, 10, 30),
        )  # fmt: skip
        assert by_phone.appointment.state == AppointmentState.BOOKED


def test_it_forgets_no_shows_older_than_180_days(group: ServiceGroup, clerk_a: User) -> None:
    first = booked(group, at(18, 10))
    with scopes_disabled():
        mark_no_show(first, actor=clerk_a, now=at(18, 10, 30))
    second = booked(group, at(19, 10), now=at(18, 10, 30))  # a no-show no longer counts as open
    with scopes_disabled():
        mark_no_show(second, actor=clerk_a, now=at(19, 10, 30))
        Appointment.objects.filter(pk=first.pk).update(starts_at=at(18, 10) - dt.timedelta(days=181))

    assert booked(group, at(20, 10), now=at(19, 10, 30)).state == AppointmentState.BOOKED
