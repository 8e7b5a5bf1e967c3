"""Caps per person, the return delay of cancelled times, and holds that run out.

These are rules of the booking core (``services/booking.py``); the tests pin them down as the
fairness measures they are: one open appointment per person and service across the Kreis, no online
booking after repeated no-shows, no instant re-grab of a cancelled time, no time blocked by a hold
that was abandoned.
"""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from django.utils import timezone

from buergerbuero.appointments import selectors
from buergerbuero.appointments.constants import AppointmentState
from buergerbuero.appointments.models import Appointment, CapacityCell, ServiceGroup
from buergerbuero.appointments.services import booking
from buergerbuero.appointments.services.booking import BookingError, SlotTaken
from buergerbuero.catalog.models import Service
from buergerbuero.tenants.models import Office
from tests.appointments.factories import bookable_office
from tests.catalog.factories import ServiceFactory

# Booking runs Kreis-wide, as in the public booking pages and the return job.
pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("kreis_scope")]

WEDNESDAY = dt.date(2026, 11, 18)
THURSDAY = dt.date(2026, 11, 19)


@pytest.fixture
def passport(db: None) -> Service:
    return ServiceFactory(counter_minutes=10)


@pytest.fixture
def kaarst(office_a: Office, passport: Service, clock: time_machine.Coordinates) -> ServiceGroup:
    """Kaarst's office, one counter: every time holds one appointment."""
    return bookable_office(office_a, services=[passport], counters=1)


@pytest.fixture
def juechen(office_b: Office, passport: Service, clock: time_machine.Coordinates) -> ServiceGroup:
    """Another town of the Kreis offering the same service."""
    return bookable_office(office_b, services=[passport], counters=1)


def first_free(office: Office, services: list[Service], day: dt.date = WEDNESDAY) -> dt.datetime:
    return selectors.free_slots(office, services, day)[0].starts_at


def is_free(office: Office, services: list[Service], starts_at: dt.datetime) -> bool:
    day = timezone.localtime(starts_at).date()
    return starts_at in {slot.starts_at for slot in selectors.free_slots(office, services, day)}


def booked_cells(group: ServiceGroup) -> int:
    return sum(CapacityCell.objects.filter(group=group).values_list("booked", flat=True))


def state_of(appointment: Appointment) -> str:
    return Appointment.objects.get(pk=appointment.pk).state


# -- caps per person ----------------------------------------------------------------------------------


def test_it_refuses_a_second_open_appointment_for_the_same_service_in_another_town(
    kaarst: ServiceGroup, juechen: ServiceGroup, office_a: Office, office_b: Office, passport: Service
) -> None:
    booking.book(office_a, [passport], first_free(office_a, [passport]), name="Anna", email="Anna.Beispiel@example.org")
    wanted = first_free(office_b, [passport])
    hold = booking.reserve(office_b, [passport], wanted).appointment

    with pytest.raises(BookingError) as refused:
        booking.confirm(hold, name="Anna", email="  anna.beispiel@EXAMPLE.org ")

    assert refused.value.code == "cap_reached"
    assert state_of(hold) == AppointmentState.EXPIRED
    assert is_free(office_b, [passport], wanted)  # the hold was given back at once
    assert booked_cells(juechen) == 0


def test_the_cap_also_holds_when_booking_in_one_step(kaarst: ServiceGroup, office_a: Office, passport: Service) -> None:
    booking.book(office_a, [passport], first_free(office_a, [passport]), name="Anna", email="anna@example.org")
    wanted = first_free(office_a, [passport])

    with pytest.raises(BookingError) as refused:
        booking.book(office_a, [passport], wanted, name="Anna", email="ANNA@example.org")

    assert refused.value.code == "cap_reached"
    assert is_free(office_a, [passport], wanted)
    assert booked_cells(kaarst) == 2  # the first appointment's two 5-minute cells, nothing more


def test_other_people_and_other_services_are_not_capped(
    kaarst: ServiceGroup, office_a: Office, passport: Service
) -> None:
    registration = ServiceFactory(counter_minutes=10)
    kaarst.services.add(registration)
    booking.book(office_a, [passport], first_free(office_a, [passport]), name="Anna", email="anna@example.org")

    booking.book(office_a, [passport], first_free(office_a, [passport]), name="Bernd", email="bernd@example.org")
    booking.book(office_a, [registration], first_free(office_a, [registration]), name="Anna", email="anna@example.org")


def test_a_cancelled_appointment_no_longer_counts_against_the_cap(
    kaarst: ServiceGroup, office_a: Office, passport: Service
) -> None:
    first = booking.book(office_a, [passport], first_free(office_a, [passport]), name="A", email="anna@example.org")
    booking.cancel(first.appointment)

    again = booking.book(office_a, [passport], first_free(office_a, [passport]), name="A", email="anna@example.org")

    assert again.appointment.state == AppointmentState.BOOKED


def test_an_office_may_allow_more_than_one_appointment_per_person(
    office_a: Office, passport: Service, clock: time_machine.Coordinates
) -> None:
    bookable_office(office_a, services=[passport], counters=1, per_person_cap=2)
    for _ in range(2):
        booking.book(office_a, [passport], first_free(office_a, [passport]), name="A", email="anna@example.org")

    with pytest.raises(BookingError) as refused:
        booking.book(office_a, [passport], first_free(office_a, [passport]), name="A", email="anna@example.org")

    assert refused.value.code == "cap_reached"


def test_staff_may_book_past_the_cap(kaarst: ServiceGroup, office_a: Office, passport: Service) -> None:
    booking.book(office_a, [passport], first_free(office_a, [passport]), name="A", email="anna@example.org")

    second = booking.book(
        office_a, [passport], first_free(office_a, [passport]), name="A", email="anna@example.org", enforce_caps=False
    )

    assert second.appointment.state == AppointmentState.BOOKED


# -- no-shows -------------------------------------------------------------------------------------------


def missed(office: Office, service: Service, email: str, *, days_ago: int) -> None:
    """An appointment ``email`` did not come to (test setup: the staff's no-show service is not ours)."""
    appointment = booking.book(
        office, [service], first_free(office, [service]), name="A", email=email, enforce_caps=False
    ).appointment
    moment = timezone.now() - dt.timedelta(days=days_ago)
    Appointment.objects.filter(pk=appointment.pk).update(
        state=AppointmentState.NO_SHOW, starts_at=moment, ends_at=moment + dt.timedelta(minutes=10)
    )


def test_it_refuses_online_booking_after_the_no_show_limit(
    kaarst: ServiceGroup, office_a: Office, passport: Service
) -> None:
    missed(office_a, passport, "anna@example.org", days_ago=10)
    missed(office_a, passport, "Anna@Example.org", days_ago=100)
    wanted = first_free(office_a, [passport])

    with pytest.raises(BookingError) as refused:
        booking.book(office_a, [passport], wanted, name="A", email="anna@example.org")

    assert refused.value.code == "no_show_limit"
    assert is_free(office_a, [passport], wanted)


def test_it_counts_no_shows_across_the_kreis(
    kaarst: ServiceGroup, juechen: ServiceGroup, office_a: Office, office_b: Office, passport: Service
) -> None:
    missed(office_a, passport, "anna@example.org", days_ago=10)
    missed(office_b, passport, "anna@example.org", days_ago=20)

    with pytest.raises(BookingError) as refused:
        booking.book(office_b, [passport], first_free(office_b, [passport]), name="A", email="anna@example.org")

    assert refused.value.code == "no_show_limit"


def test_no_shows_older_than_180_days_are_forgiven(kaarst: ServiceGroup, office_a: Office, passport: Service) -> None:
    missed(office_a, passport, "anna@example.org", days_ago=10)
    missed(office_a, passport, "anna@example.org", days_ago=181)

    booked = booking.book(office_a, [passport], first_free(office_a, [passport]), name="A", email="anna@example.org")

    assert booked.appointment.state == AppointmentState.BOOKED


def test_one_no_show_below_the_limit_does_not_block(kaarst: ServiceGroup, office_a: Office, passport: Service) -> None:
    missed(office_a, passport, "anna@example.org", days_ago=10)

    booked = booking.book(office_a, [passport], first_free(office_a, [passport]), name="A", email="anna@example.org")

    assert booked.appointment.state == AppointmentState.BOOKED


# -- return delay of cancelled times -------------------------------------------------------------------


def test_a_cancelled_time_returns_only_after_the_delay(
    office_a: Office, passport: Service, clock: time_machine.Coordinates
) -> None:
    bookable_office(office_a, services=[passport], counters=1, return_delay_minutes=15)
    wanted = first_free(office_a, [passport])
    appointment = booking.book(office_a, [passport], wanted, name="A", email="anna@example.org").appointment
    booking.cancel(appointment)

    assert not is_free(office_a, [passport], wanted)
    with pytest.raises(SlotTaken):
        booking.reserve(office_a, [passport], wanted)

    clock.shift(dt.timedelta(minutes=14, seconds=59))
    assert booking.return_due_capacity() == 0
    assert not is_free(office_a, [passport], wanted)

    clock.shift(dt.timedelta(seconds=1))
    assert booking.return_due_capacity() == 1
    assert is_free(office_a, [passport], wanted)
    assert booking.reserve(office_a, [passport], wanted).appointment.state == AppointmentState.HELD


def test_a_cancelled_time_returns_once_however_often_the_job_runs(
    office_a: Office, passport: Service, clock: time_machine.Coordinates
) -> None:
    group = bookable_office(office_a, services=[passport], counters=1, return_delay_minutes=15)
    appointment = booking.book(
        office_a, [passport], first_free(office_a, [passport]), name="A", email="anna@example.org"
    ).appointment
    booking.cancel(appointment)
    booking.cancel(appointment)
    clock.shift(dt.timedelta(minutes=15))

    assert booking.return_due_capacity() == 1
    assert booking.return_due_capacity() == 0
    assert booked_cells(group) == 0


def test_the_delay_is_the_offices_own(
    office_a: Office, office_b: Office, passport: Service, clock: time_machine.Coordinates
) -> None:
    bookable_office(office_a, services=[passport], counters=1, return_delay_minutes=60)
    bookable_office(office_b, services=[passport], counters=1, return_delay_minutes=5)
    at_a = first_free(office_a, [passport])
    at_b = first_free(office_b, [passport])
    booking.cancel(booking.book(office_a, [passport], at_a, name="A", email="a@example.org").appointment)
    booking.cancel(booking.book(office_b, [passport], at_b, name="B", email="b@example.org").appointment)

    clock.shift(dt.timedelta(minutes=5))
    booking.return_due_capacity()

    assert is_free(office_b, [passport], at_b)
    assert not is_free(office_a, [passport], at_a)


def test_without_a_delay_a_cancelled_time_is_free_at_once(
    office_a: Office, passport: Service, clock: time_machine.Coordinates
) -> None:
    bookable_office(office_a, services=[passport], counters=1, return_delay_minutes=0)
    wanted = first_free(office_a, [passport])
    booking.cancel(booking.book(office_a, [passport], wanted, name="A", email="a@example.org").appointment)

    assert is_free(office_a, [passport], wanted)


# -- holds ------------------------------------------------------------------------------------------------


def test_a_hold_blocks_its_time_until_it_expires(
    office_a: Office, passport: Service, clock: time_machine.Coordinates
) -> None:
    bookable_office(office_a, services=[passport], counters=1, hold_minutes=10)
    wanted = first_free(office_a, [passport])
    abandoned = booking.reserve(office_a, [passport], wanted).appointment

    clock.shift(dt.timedelta(minutes=9, seconds=59))
    with pytest.raises(SlotTaken):
        booking.reserve(office_a, [passport], wanted)

    clock.shift(dt.timedelta(seconds=1))
    taken_over = booking.reserve(office_a, [passport], wanted).appointment

    assert taken_over.state == AppointmentState.HELD
    assert state_of(abandoned) == AppointmentState.EXPIRED
    with pytest.raises(BookingError) as refused:
        booking.confirm(abandoned, name="A", email="a@example.org")
    assert refused.value.code == "hold_expired"


def test_the_return_job_frees_expired_holds_for_the_slot_list(
    office_a: Office, passport: Service, clock: time_machine.Coordinates
) -> None:
    group = bookable_office(office_a, services=[passport], counters=1, hold_minutes=10)
    wanted = first_free(office_a, [passport])
    booking.reserve(office_a, [passport], wanted)
    assert not is_free(office_a, [passport], wanted)

    clock.shift(dt.timedelta(minutes=10))
    assert booking.return_due_capacity() == 1

    assert is_free(office_a, [passport], wanted)
    assert booked_cells(group) == 0
