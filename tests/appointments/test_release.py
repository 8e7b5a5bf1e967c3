"""Releasing capacity: cells match the pure capacity model, re-releasing is idempotent, and a
capacity cut never overbooks a cell but reports the appointments it affects."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from buergerbuero.appointments import selectors
from buergerbuero.appointments.capacity import day_capacity
from buergerbuero.appointments.capacity_model import office_capacity
from buergerbuero.appointments.constants import AppointmentState
from buergerbuero.appointments.models import BookingPolicy, CapacityCell
from buergerbuero.appointments.services import booking
from buergerbuero.core.tenancy import scopes_disabled
from buergerbuero.tenants.models import ClosingDay, Counter, Office
from tests.appointments.factories import bookable_office

pytestmark = pytest.mark.django_db

WEDNESDAY = dt.date(2026, 11, 18)


def test_it_releases_exactly_the_cells_of_the_capacity_model(office_a: Office, clock: object) -> None:
    bookable_office(office_a, counters=2, walk_in_percent=50)
    with scopes_disabled():
        model = office_capacity(office_a, WEDNESDAY, WEDNESDAY)
        expected = {(c.start, c.bookable) for c in day_capacity(model, WEDNESDAY, ())}
        start = dt.datetime.combine(WEDNESDAY, dt.time(), timezone.get_current_timezone())
        released = {
            (cell.starts_at, cell.bookable)
            for cell in CapacityCell.objects.filter(starts_at__gte=start, starts_at__lt=start + dt.timedelta(days=1))
        }
    assert released == expected
    assert {bookable for _, bookable in released} == {1}  # two counters, half kept for walk-ins


def test_it_is_idempotent(office_a: Office, clock: object) -> None:
    bookable_office(office_a)
    with scopes_disabled():
        count = CapacityCell.objects.count()
        again = booking.release_capacity(office_a)
        assert (again.created, again.updated, again.removed) == (0, 0, 0)
        assert CapacityCell.objects.count() == count


def test_it_releases_no_cells_on_public_holidays(office_a: Office, clock: object) -> None:
    bookable_office(office_a)
    christmas = dt.datetime(2026, 12, 25, tzinfo=timezone.get_current_timezone())
    with scopes_disabled():
        assert not CapacityCell.objects.filter(
            starts_at__gte=christmas, starts_at__lt=christmas + dt.timedelta(days=1)
        ).exists()


def test_a_capacity_cut_keeps_bookings_and_reports_them(office_a: Office, clock: object) -> None:
    group = bookable_office(office_a, counters=2)
    services = list(group.services.all())
    with scopes_disabled():
        slot = selectors.free_slots(office_a, services, WEDNESDAY)[0]
        first = booking.book(office_a, services, slot.starts_at, name="A", email="a@example.org").appointment
        booking.book(office_a, services, slot.starts_at, name="B", email="b@example.org")
        Counter.objects.filter(office=office_a).order_by("pk").last().delete()  # type: ignore[union-attr]
        result = booking.release_capacity(office_a)
        cell = CapacityCell.objects.get(group=group, starts_at=slot.starts_at)
    assert cell.booked == 2 and cell.bookable == 2  # never below what is booked
    assert first.pk in {a.pk for a in result.affected}
    assert len(result.affected) == 2


def test_closing_a_day_with_bookings_reports_them_and_frees_nothing_else(office_a: Office, clock: object) -> None:
    group = bookable_office(office_a)
    services = list(group.services.all())
    with scopes_disabled():
        slot = selectors.free_slots(office_a, services, WEDNESDAY)[0]
        booked = booking.book(office_a, services, slot.starts_at, name="A", email="a@example.org").appointment
        ClosingDay.objects.create(office=office_a, date=WEDNESDAY, reason="Betriebsausflug")
        result = booking.release_capacity(office_a)
        assert [a.pk for a in result.affected] == [booked.pk]
        assert selectors.free_slots(office_a, services, WEDNESDAY) == []
        assert CapacityCell.objects.filter(group=group, starts_at__date=WEDNESDAY).count() == 2  # the booked 10 minutes


def test_an_inactive_policy_offers_nothing(office_a: Office, clock: object) -> None:
    group = bookable_office(office_a)
    services = list(group.services.all())
    with scopes_disabled():
        BookingPolicy.objects.filter(office=office_a).update(is_active=False)
        assert selectors.bookable_days(office_a, services) == []
        with pytest.raises(booking.BookingError) as refused:
            booking.reserve(office_a, services, dt.datetime(2026, 11, 18, 8, tzinfo=timezone.get_current_timezone()))
    assert refused.value.code == "booking_closed"


def test_moving_books_the_new_time_and_returns_the_old_one_later(office_a: Office, clock: object) -> None:
    group = bookable_office(office_a, counters=1, return_delay_minutes=15)
    services = list(group.services.all())
    with scopes_disabled():
        slots = selectors.free_slots(office_a, services, WEDNESDAY)
        first = slots[0]
        second = next(s for s in slots if s.starts_at >= first.ends_at)
        old = booking.book(office_a, services, first.starts_at, name="A", email="a@example.org").appointment
        moved = booking.move(old, second.starts_at).appointment
        old.refresh_from_db()
        assert (old.state, moved.state, moved.email, moved.moved_from_id) == (
            AppointmentState.CANCELLED, AppointmentState.BOOKED, "a@example.org", old.pk,
        )  # fmt: skip
        assert first.starts_at not in {s.starts_at for s in selectors.free_slots(office_a, services, WEDNESDAY)}
        booking.return_due_capacity(now=timezone.now() + dt.timedelta(minutes=16))
        assert first.starts_at in {s.starts_at for s in selectors.free_slots(office_a, services, WEDNESDAY)}


def test_the_hourly_task_releases_the_day_that_enters_the_window(office_a: Office, clock: object) -> None:
    from buergerbuero.appointments.tasks import release_booking_windows

    group = bookable_office(office_a, weeks_ahead=1)
    services = list(group.services.all())
    with scopes_disabled():
        last = selectors.bookable_days(office_a, services)[-1]
        clock.shift(dt.timedelta(days=7))  # type: ignore[attr-defined]
        release_booking_windows.call()
        assert selectors.bookable_days(office_a, services)[-1] > last
