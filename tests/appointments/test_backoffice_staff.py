"""Staff services: booking for a caller, check-in, and capacity changes that tell the citizens affected."""

from __future__ import annotations

import datetime as dt
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import time_machine

from buergerbuero.accounts.models import User
from buergerbuero.appointments.constants import AppointmentState, BookingChannel
from buergerbuero.appointments.models import Appointment, CapacityCell, ServiceGroup
from buergerbuero.appointments.selectors_backoffice import staff_free_slots
from buergerbuero.appointments.services import staff
from buergerbuero.appointments.services.booking import BookingError, book
from buergerbuero.appointments.signals import appointment_checked_in
from buergerbuero.core.models import AuditEntry, OutboxMessage
from buergerbuero.core.tenancy import scopes_disabled, tenant_scope
from buergerbuero.tenants.models import ClosingDay, Counter, Municipality, Office
from tests.appointments.factories import bookable_office

BERLIN = ZoneInfo("Europe/Berlin")
NOW = dt.datetime(2026, 11, 17, 9, 30, tzinfo=BERLIN)  # the harness clock: Tuesday


def at(day: int, hour: int, minute: int = 0) -> dt.datetime:
    return dt.datetime(2026, 11, day, hour, minute, tzinfo=BERLIN)


@pytest.fixture
def group(clock: time_machine.Coordinates, office_a: Office) -> ServiceGroup:
    return bookable_office(office_a, now=NOW)  # two counters, 10-minute service, no walk-in share


@pytest.fixture
def scope_a(municipality_a: Municipality) -> Any:
    with tenant_scope([municipality_a]):  # as in a clerk's request
        yield


def booked(group: ServiceGroup, starts_at: dt.datetime, email: str = "anna@example.org") -> Appointment:
    with scopes_disabled():
        services = list(group.services.all())
        return book(group.office, services, starts_at, name="Anna", email=email, now=NOW).appointment


def mails_about(appointment: Appointment, kind: str) -> list[OutboxMessage]:
    return list(OutboxMessage.objects.filter(dedupe_key__startswith=f"{kind}:{appointment.pk}"))


# -- booking for a caller -----------------------------------------------------------------------------


@pytest.mark.usefixtures("scope_a")
def test_it_books_for_a_caller_by_phone_without_mail_when_there_is_no_address(
    group: ServiceGroup, clerk_a: User
) -> None:
    services = list(group.services.all())
    reservation = staff.book_for_caller(
        group.office, services, at(18, 10), actor=clerk_a, name="Karl Anrufer", phone="02131 123", now=NOW
    )
    appointment = reservation.appointment
    assert appointment.state == AppointmentState.BOOKED
    assert appointment.channel == BookingChannel.PHONE
    assert appointment.booked_by == clerk_a
    assert appointment.phone == "02131 123"
    assert not OutboxMessage.objects.filter(dedupe_key=f"appointment-booked:{appointment.pk}").exists()
    assert AuditEntry.objects.filter(action="appointments.appointment.booked", object_id=str(appointment.pk)).exists()


@pytest.mark.usefixtures("scope_a")
def test_it_does_not_count_callers_without_an_address_as_one_person(group: ServiceGroup, clerk_a: User) -> None:
    services = list(group.services.all())
    first = staff.book_for_caller(group.office, services, at(18, 10), actor=clerk_a, name="Karl", now=NOW)
    second = staff.book_for_caller(group.office, services, at(18, 11), actor=clerk_a, name="Berta", now=NOW)
    assert first.appointment.pk != second.appointment.pk


@pytest.mark.usefixtures("scope_a")
def test_it_keeps_the_caps_for_callers_with_an_address(group: ServiceGroup, clerk_a: User) -> None:
    services = list(group.services.all())
    staff.book_for_caller(group.office, services, at(18, 10), actor=clerk_a, name="K", email="k@example.org", now=NOW)
    with pytest.raises(BookingError) as refused:
        staff.book_for_caller(
            group.office, services, at(19, 10), actor=clerk_a, name="K", email="k@example.org", now=NOW
        )
    assert refused.value.code == "cap_reached"


@pytest.mark.usefixtures("scope_a")
def test_it_books_later_today_only_outside_the_window(group: ServiceGroup, clerk_a: User) -> None:
    services = list(group.services.all())
    assert staff_free_slots(group.office, services, NOW.date(), now=NOW) == []
    later_today = staff_free_slots(group.office, services, NOW.date(), now=NOW, ignore_window=True)
    assert later_today[0].starts_at == at(17, 9, 35)
    with pytest.raises(BookingError):
        staff.book_for_caller(group.office, services, at(17, 11), actor=clerk_a, name="K", now=NOW)
    reservation = staff.book_for_caller(
        group.office, services, at(17, 11), actor=clerk_a, name="K", ignore_window=True, now=NOW
    )
    assert reservation.appointment.starts_at == at(17, 11)


# -- check-in -----------------------------------------------------------------------------------------


@pytest.mark.usefixtures("scope_a")
def test_it_checks_in_today_s_appointment_and_tells_the_live_queue_after_commit(
    group: ServiceGroup, clerk_a: User, django_capture_on_commit_callbacks: Any
) -> None:
    appointment = booked(group, at(18, 10))
    heard: list[dict[str, Any]] = []

    def receiver(sender: type[Appointment], **kwargs: Any) -> None:
        heard.append({"sender": sender, **kwargs})

    appointment_checked_in.connect(receiver)
    try:
        with django_capture_on_commit_callbacks(execute=True) as callbacks:
            done = staff.check_in(appointment, actor=clerk_a, now=at(18, 10, 12))
        signals = [c for c in callbacks if getattr(c, "func", None) == appointment_checked_in.send]
        assert len(signals) == 1 and callbacks[0] is signals[0]  # after commit, before what listeners queue
        with django_capture_on_commit_callbacks(execute=True):
            again = staff.check_in(appointment, actor=clerk_a, now=at(18, 10, 14))
    finally:
        appointment_checked_in.disconnect(receiver)

    assert done.appointment.state == AppointmentState.CHECKED_IN
    assert done.appointment.checked_in_at == at(18, 10, 12)
    assert done.delta_minutes == 12 and not done.repeated
    assert again.repeated
    assert heard == [
        {"sender": Appointment, "signal": appointment_checked_in, "appointment": done.appointment, "actor": clerk_a}
    ]  # once: the repeated check-in sends nothing
    entry = AuditEntry.objects.get(action="appointments.appointment.checked_in")
    assert entry.actor == clerk_a and entry.changes["delta_minutes"] == 12


@pytest.mark.usefixtures("scope_a")
def test_it_checks_in_early_arrivals_but_only_on_the_day(group: ServiceGroup, clerk_a: User) -> None:
    appointment = booked(group, at(18, 11))
    with pytest.raises(BookingError) as refused:
        staff.check_in(appointment, actor=clerk_a, now=at(17, 11))
    assert refused.value.code == "not_today"
    early = staff.check_in(appointment, actor=clerk_a, now=at(18, 10, 40))
    assert early.delta_minutes == -20


# -- capacity -----------------------------------------------------------------------------------------


@pytest.mark.usefixtures("scope_a")
def test_it_lists_and_tells_the_appointments_a_capacity_reduction_no_longer_fits(
    group: ServiceGroup, admin_a: User
) -> None:
    first = booked(group, at(18, 10), email="eins@example.org")
    second = booked(group, at(18, 10), email="zwei@example.org")
    elsewhere = booked(group, at(18, 11), email="drei@example.org")
    one_counter = list(Counter.objects.filter(office=group.office).order_by("pk")[:1])

    change = staff.save_service_group(
        group.office,
        actor=admin_a,
        group=group,
        name=group.name,
        counters=one_counter,
        services=list(group.services.all()),
        now=NOW,
    )

    assert {a.pk for a in change.affected} == {first.pk, second.pk}  # 10:00 had two, now room for one
    assert change.notified == 2
    assert mails_about(first, "appointment-capacity") and mails_about(second, "appointment-capacity")
    assert not mails_about(elsewhere, "appointment-capacity")
    cell = CapacityCell.objects.get(group=group, starts_at=at(18, 10))
    assert (cell.booked, cell.bookable) == (2, 2)  # nothing is overbooked silently
    assert CapacityCell.objects.get(group=group, starts_at=at(18, 11)).bookable == 1
    assert change.entry.action == "appointments.capacity.group_saved"
    assert set(change.entry.changes["affected"]) == {first.code, second.code}
    assert "counter_ids" in change.entry.changes


@pytest.mark.usefixtures("scope_a")
def test_it_closes_a_day_and_tells_everyone_booked_that_day(group: ServiceGroup, admin_a: User) -> None:
    on_the_day = booked(group, at(19, 9))
    next_day = booked(group, at(20, 9), email="other@example.org")

    change = staff.add_closing_day(
        group.office, actor=admin_a, day=dt.date(2026, 11, 19), reason="Betriebsausflug", now=NOW
    )

    assert [a.pk for a in change.affected] == [on_the_day.pk]
    [mail] = mails_about(on_the_day, "appointment-capacity")
    assert on_the_day.code in mail.payload["body"] and mail.payload["to"] == ["anna@example.org"]
    assert on_the_day.code in mail.payload["subject"]
    assert not mails_about(next_day, "appointment-capacity")
    assert ClosingDay.objects.filter(office=group.office, date=dt.date(2026, 11, 19)).exists()
    services = list(group.services.all())
    assert staff_free_slots(group.office, services, dt.date(2026, 11, 19), now=NOW) == []

    staff.remove_closing_day(group.office, actor=admin_a, closing=ClosingDay.objects.get(office=group.office), now=NOW)
    assert staff_free_slots(group.office, services, dt.date(2026, 11, 19), now=NOW)


@pytest.mark.usefixtures("scope_a")
def test_it_notifies_each_appointment_once_per_change(group: ServiceGroup, admin_a: User) -> None:
    appointment = booked(group, at(19, 9))
    staff.add_closing_day(group.office, actor=admin_a, day=dt.date(2026, 11, 19), now=NOW)
    staff.add_closing_day(group.office, actor=admin_a, day=dt.date(2026, 11, 19), reason="Ausflug", now=NOW)
    assert len(mails_about(appointment, "appointment-capacity")) == 2  # two changes, one mail each


@pytest.mark.usefixtures("scope_a")
def test_it_refuses_a_policy_edit_made_on_a_stale_form(group: ServiceGroup, admin_a: User) -> None:
    policy = group.office.booking_policy
    version = staff.policy_version(policy)
    staff.update_booking_policy(
        group.office, actor=admin_a, data={"hold_minutes": 12}, expected_version=version, now=NOW
    )
    with pytest.raises(staff.StaleCapacityEdit):
        staff.update_booking_policy(
            group.office, actor=admin_a, data={"hold_minutes": 15}, expected_version=version, now=NOW
        )
    entry = AuditEntry.objects.get(action="appointments.capacity.policy_changed")
    assert entry.changes["hold_minutes"] == [10, 12]


@pytest.mark.usefixtures("scope_a")
def test_it_raises_the_walk_in_share_and_tells_the_appointments_that_lose_their_room(
    group: ServiceGroup, admin_a: User
) -> None:
    appointment = booked(group, at(18, 10))
    change = staff.update_booking_policy(group.office, actor=admin_a, data={"walk_in_percent": 50}, now=NOW)
    assert change.affected == ()  # one of two counters bookable: 10:00 holds exactly one
    change = staff.update_booking_policy(group.office, actor=admin_a, data={"walk_in_percent": 100}, now=NOW)
    assert [a.pk for a in change.affected] == [appointment.pk]
    assert change.notified == 1


@pytest.mark.usefixtures("scope_a")
def test_it_keeps_the_grid_while_appointments_are_booked_ahead(group: ServiceGroup, admin_a: User) -> None:
    booked(group, at(18, 10))
    with pytest.raises(staff.CapacityError):
        staff.update_booking_policy(group.office, actor=admin_a, data={"grid_minutes": 15}, now=NOW)


@pytest.mark.usefixtures("scope_a")
def test_it_gives_a_counter_to_one_group_only(group: ServiceGroup, admin_a: User) -> None:
    counter = Counter.objects.filter(office=group.office).first()
    assert counter is not None
    with pytest.raises(staff.CapacityError):
        staff.save_service_group(
            group.office, actor=admin_a, group=None, name="Ausweise", counters=[counter], services=[], now=NOW
        )
