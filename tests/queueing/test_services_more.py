"""More rules of the live queue: appointments checked in, signing in and out, expiry, alerts that come
due as time passes, what citizens may do with their ticket, transfers, and the new day's numbers."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

import pytest

from buergerbuero.accounts.constants import Role
from buergerbuero.accounts.models import User
from buergerbuero.appointments.models import Appointment, ServiceGroup
from buergerbuero.appointments.services import staff
from buergerbuero.appointments.services.booking import book
from buergerbuero.appointments.signals import appointment_checked_in
from buergerbuero.core.models import OutboxMessage
from buergerbuero.core.tenancy import scopes_disabled, tenant_scope
from buergerbuero.queueing import selectors, tasks
from buergerbuero.queueing.constants import Priority, TicketSource, TicketState
from buergerbuero.queueing.models import CounterSession, Ticket, TicketEvent
from buergerbuero.queueing.services import QueueError, counters, tickets
from buergerbuero.tenants.models import Counter, Office
from tests.accounts.factories import StaffRoleFactory
from tests.appointments.factories import bookable_office
from tests.harness.clock import FIXED_NOW
from tests.queueing.factories import queue_office, sign_in

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("clock")]

BERLIN = FIXED_NOW.tzinfo
Capture = Callable[..., Any]


def at(day: int, hour: int, minute: int = 0) -> dt.datetime:
    return dt.datetime(2026, 11, day, hour, minute, tzinfo=BERLIN)


def colleague(office: Office) -> User:
    return StaffRoleFactory(municipality=office.municipality, role=Role.CLERK).user


def fresh(ticket: Ticket) -> Ticket:
    with scopes_disabled():
        ticket.refresh_from_db()
    return ticket


def kinds(ticket: Ticket) -> list[str]:
    with scopes_disabled():
        return list(TicketEvent.objects.filter(ticket=ticket).order_by("pk").values_list("kind", flat=True))


# -- appointments checked in ------------------------------------------------------------------------


@pytest.fixture
def termine(office_a: Office) -> ServiceGroup:
    """office_a taking appointments (line "Termine", prefix T, both counters; the queue's defaults:
    priority from 10 minutes before the time until 15 minutes after it)."""
    return bookable_office(office_a, now=FIXED_NOW)


def appointment_at(group: ServiceGroup, starts_at: dt.datetime) -> Appointment:
    with scopes_disabled():
        services = list(group.services.all())
        return book(group.office, services, starts_at, name="Anna", email="anna@example.org", now=FIXED_NOW).appointment


def check_in(appointment: Appointment, clerk: User, capture: Capture) -> Ticket:
    """Check in at the desk as a clerk's request does; the queue hears of it after commit."""
    with tenant_scope([appointment.office.municipality]), capture(execute=True):
        staff.check_in(appointment, actor=clerk)
    with scopes_disabled():
        return Ticket.objects.get(appointment=appointment)


def walk_in(group: ServiceGroup) -> Ticket:
    return tickets.draw_ticket(group.office, group, source=TicketSource.KIOSK)


def test_it_calls_an_appointment_checked_in_inside_its_window_before_earlier_walk_ins(
    termine, clerk_a, clock, django_capture_on_commit_callbacks
):
    appointment = appointment_at(termine, at(18, 10))
    clock.move_to(at(18, 9, 58))
    earlier = walk_in(termine)
    clock.move_to(at(18, 10, 5))

    ticket = check_in(appointment, clerk_a, django_capture_on_commit_callbacks)

    assert (ticket.source, ticket.priority, ticket.priority_from, ticket.state) == (
        TicketSource.APPOINTMENT,
        Priority.APPOINTMENT,
        None,
        TicketState.WAITING,
    )
    assert (earlier.code, ticket.code) == ("T001", "T002")
    assert ticket.alert_email == "anna@example.org"
    session = sign_in(clerk_a, termine.office, "Platz 1", [termine])
    assert counters.call_next(session).pk == ticket.pk
    assert counters.call_next(session).pk == earlier.pk


def test_it_gives_an_early_arrival_priority_only_from_the_start_of_its_window(
    termine, clerk_a, clock, django_capture_on_commit_callbacks
):
    appointment = appointment_at(termine, at(18, 10))
    clock.move_to(at(18, 9, 5))
    first = walk_in(termine)
    clock.move_to(at(18, 9, 10))
    second = walk_in(termine)
    clock.move_to(at(18, 9, 20))

    ticket = check_in(appointment, clerk_a, django_capture_on_commit_callbacks)

    assert (ticket.priority, ticket.priority_from) == (Priority.APPOINTMENT, at(18, 9, 50))
    session = sign_in(clerk_a, termine.office, "Platz 1", [termine])
    clock.move_to(at(18, 9, 40))
    assert counters.call_next(session).pk == first.pk  # not yet: in line like everyone else
    clock.move_to(at(18, 9, 50))
    assert counters.call_next(session).pk == ticket.pk  # its window opened: ahead of the 09:10 walk-in
    assert counters.call_next(session).pk == second.pk


def test_it_puts_a_late_appointment_in_line_as_a_walk_in(termine, clerk_a, clock, django_capture_on_commit_callbacks):
    appointment = appointment_at(termine, at(18, 10))
    clock.move_to(at(18, 10, 14))
    earlier = walk_in(termine)
    clock.move_to(at(18, 10, 16))  # one minute after the window closed

    ticket = check_in(appointment, clerk_a, django_capture_on_commit_callbacks)

    assert (ticket.priority, ticket.priority_from, ticket.source) == (Priority.NORMAL, None, TicketSource.APPOINTMENT)
    assert kinds(ticket) == ["drawn"]
    session = sign_in(clerk_a, termine.office, "Platz 1", [termine])
    assert counters.call_next(session).pk == earlier.pk


def test_it_draws_one_ticket_however_often_an_appointment_is_checked_in(
    termine, clerk_a, clock, django_capture_on_commit_callbacks
):
    appointment = appointment_at(termine, at(18, 10))
    clock.move_to(at(18, 10))
    ticket = check_in(appointment, clerk_a, django_capture_on_commit_callbacks)

    again = check_in(appointment, clerk_a, django_capture_on_commit_callbacks)  # sends nothing the second time
    appointment_checked_in.send(sender=Appointment, appointment=appointment, actor=clerk_a)  # heard twice

    with scopes_disabled():
        drawn = list(Ticket.objects.filter(office=termine.office))
    assert again.pk == ticket.pk and drawn == [ticket] and ticket.number == 1


# -- signing in and out -----------------------------------------------------------------------------


def test_it_puts_the_ticket_at_the_counter_back_at_the_front_when_the_clerk_signs_out(office_a, clerk_a, clock):
    lines = queue_office(office_a)
    first = walk_in(lines["a"])
    clock.shift(dt.timedelta(minutes=1))
    second = walk_in(lines["a"])
    session = sign_in(clerk_a, office_a, "Platz 1", [lines["a"]])
    counters.call_next(session)
    counters.start(session)

    counters.close_session(session)

    first = fresh(first)
    assert (first.state, first.counter_id, first.clerk_id) == (TicketState.WAITING, None, None)
    assert fresh(session).ended_at is not None
    with pytest.raises(QueueError):
        counters.call_next(session)  # signed out
    other = sign_in(colleague(office_a), office_a, "Platz 2", [lines["a"]])
    assert counters.call_next(other).pk == first.pk  # before the one who came later
    assert fresh(second).state == TicketState.WAITING
    counters.close_session(session)  # signing out twice is harmless


def test_it_refuses_to_sign_into_a_counter_where_another_clerk_serves_someone(office_a, clerk_a):
    lines = queue_office(office_a)
    walk_in(lines["a"])
    mine = sign_in(clerk_a, office_a, "Platz 1", [lines["a"]])
    serving = counters.call_next(mine)
    someone_else = colleague(office_a)

    with pytest.raises(QueueError, match="bedient gerade jemanden"):
        sign_in(someone_else, office_a, "Platz 1", [lines["a"]])

    assert fresh(mine).ended_at is None
    assert fresh(serving).state == TicketState.CALLED
    counters.finish(mine)
    taken_over = sign_in(someone_else, office_a, "Platz 1", [lines["a"]])  # a free counter can be taken over
    assert fresh(mine).ended_at is not None and fresh(taken_over).ended_at is None


def test_it_refuses_a_session_without_lines_or_with_another_office_s_lines(office_a, office_b, clerk_a):
    lines = queue_office(office_a)
    theirs = queue_office(office_b)
    with scopes_disabled():
        platz = Counter.objects.get(office=office_a, name="Platz 1")
    with pytest.raises(QueueError):
        counters.open_session(platz, clerk_a, [])
    with pytest.raises(QueueError):
        counters.open_session(platz, clerk_a, [lines["a"], theirs["a"]])
    with scopes_disabled():
        assert not CounterSession.objects.exists()


# -- the end of the day -----------------------------------------------------------------------------


def test_it_expires_every_unfinished_ticket_of_past_days_and_frees_their_counters(office_a, clerk_a, clock):
    lines = queue_office(office_a)
    virtual = tickets.draw_ticket(office_a, lines["a"], source=TicketSource.REMOTE)
    parked, done, serving, called, waiting = (walk_in(lines["a"]) for _ in range(5))
    one = sign_in(clerk_a, office_a, "Platz 1", [lines["a"]])
    assert counters.call_next(one).pk == parked.pk
    counters.park(one)
    assert counters.call_next(one).pk == done.pk
    counters.finish(one)
    assert counters.call_next(one).pk == serving.pk
    counters.start(one)  # still being served when the clerk went home without signing out
    two = sign_in(colleague(office_a), office_a, "Platz 2", [lines["a"]])
    assert counters.call_next(two).pk == called.pk  # called, nobody came, the clerk went home
    clock.move_to(at(18, 8, 1))
    today = walk_in(lines["a"])

    assert tasks.expire_tickets.call() == {"expired": 5}

    expired = [virtual, parked, serving, called, waiting]
    assert {fresh(t).state for t in expired} == {TicketState.EXPIRED}
    assert all(t.ended_at is not None for t in expired)
    assert (fresh(done).state, fresh(today).state) == (TicketState.DONE, TicketState.WAITING)
    with scopes_disabled():
        assert TicketEvent.objects.filter(kind="expired").count() == 5
    # Yesterday's forgotten ticket no longer holds Platz 1: a colleague can sign in and call today's.
    morning = sign_in(colleague(office_a), office_a, "Platz 1", [lines["a"]])
    assert counters.call_next(morning).pk == today.pk
    assert tasks.expire_tickets.call() == {"expired": 0}


def test_it_numbers_from_one_again_the_next_day(office_a, clock):
    lines = queue_office(office_a)
    yesterday = [walk_in(lines["a"]).code for _ in range(3)] + [walk_in(lines["k"]).code]
    clock.move_to(at(18, 8, 1))
    today = [walk_in(lines["a"]).code, walk_in(lines["k"]).code]
    assert yesterday == ["A001", "A002", "A003", "K001"] and today == ["A001", "K001"]
    with scopes_disabled():
        days = sorted({t.day for t in Ticket.objects.filter(office=office_a, prefix="A", number=1)})
    assert days == [dt.date(2026, 11, 17), dt.date(2026, 11, 18)]


# -- alerts -----------------------------------------------------------------------------------------


def test_it_sends_a_minutes_alert_when_time_alone_brings_it_due(
    office_a, clerk_a, clock, django_capture_on_commit_callbacks
):
    lines = queue_office(office_a)
    *_ahead, mine = (walk_in(lines["a"]) for _ in range(4))
    session = sign_in(clerk_a, office_a, "Platz 1", [lines["a"]])
    counters.call_next(session)
    counters.start(session)
    with django_capture_on_commit_callbacks(execute=True):  # the check after the change finds it not due
        tickets.set_alert(mine, tickets.AlertChoice(minutes=15, email="anna@example.org"))
    assert selectors.live_queue(office_a).waiting[-1].prediction.low_min > 15
    assert fresh(mine).alert_sent_at is None

    clock.shift(dt.timedelta(minutes=10))  # the service at the counter goes on; nothing else happens
    with django_capture_on_commit_callbacks(execute=True):
        assert tasks.check_alerts.call() == {"alerted": 1}
        assert tasks.check_alerts.call() == {"alerted": 0}  # once

    assert fresh(mine).alert_sent_at == at(17, 9, 40)
    assert kinds(mine) == ["drawn", "alerted"]
    with scopes_disabled():
        assert OutboxMessage.objects.filter(kind="email", payload__to=["anna@example.org"]).count() == 1
    tickets.set_alert(mine, tickets.AlertChoice(minutes=5))  # a new lead time: the alert may come again
    assert fresh(mine).alert_sent_at is None and fresh(mine).alert_minutes == 5


def test_it_refuses_an_alert_without_a_lead_time_or_for_a_ticket_no_longer_waiting(office_a, clerk_a):
    lines = queue_office(office_a)
    called = walk_in(lines["a"])
    virtual = tickets.draw_ticket(office_a, lines["a"], source=TicketSource.REMOTE)
    counters.call_next(sign_in(clerk_a, office_a, "Platz 1", [lines["a"]]))

    with pytest.raises(QueueError):
        tickets.set_alert(virtual, tickets.AlertChoice(email="anna@example.org"))
    with pytest.raises(QueueError):
        tickets.set_alert(called, tickets.AlertChoice(positions=2))

    assert fresh(called).alert_positions is None
    assert tickets.set_alert(virtual, tickets.AlertChoice(positions=0)).alert_positions == 0  # virtual may ask


# -- what citizens do with their ticket --------------------------------------------------------------


def test_it_moves_a_ticket_back_at_most_the_office_s_limit_each_time_from_its_last_time(office_a, clerk_a):
    lines = queue_office(office_a, postpone_minutes=10, max_postpones=2)
    ticket = walk_in(lines["a"])
    assert tickets.postpone(ticket).ready_at == at(17, 9, 40)
    assert tickets.postpone(ticket).ready_at == at(17, 9, 50)  # from the time it was already moved to
    with pytest.raises(QueueError, match="so oft wie erlaubt"):
        tickets.postpone(ticket)
    assert (fresh(ticket).postpones, kinds(ticket)) == (2, ["drawn", "postponed", "postponed"])
    other = walk_in(lines["a"])
    counters.call_next(sign_in(clerk_a, office_a, "Platz 1", [lines["a"]]))
    with pytest.raises(QueueError):
        tickets.postpone(other)  # called already


def test_it_lets_citizens_cancel_only_tickets_not_yet_at_a_counter(office_a, clerk_a):
    lines = queue_office(office_a)
    virtual = tickets.draw_ticket(office_a, lines["a"], source=TicketSource.REMOTE)
    parked, called, waiting = (walk_in(lines["a"]) for _ in range(3))
    session = sign_in(clerk_a, office_a, "Platz 1", [lines["a"]])
    counters.call_next(session)
    counters.park(session)
    counters.call_next(session)

    for ticket in (virtual, parked, waiting):
        cancelled = tickets.cancel(ticket)
        assert (cancelled.state, cancelled.ended_at) == (TicketState.CANCELLED, at(17, 9, 30))
    with pytest.raises(QueueError):
        tickets.cancel(called)
    with pytest.raises(QueueError):
        tickets.cancel(waiting)  # twice
    with pytest.raises(QueueError):
        tickets.activate(virtual)  # checking in a given-back ticket
    with pytest.raises(QueueError):
        counters.resume_parked(session, parked)
    assert counters.call_next(session) is None  # the cancelled one is not called
    assert fresh(called).state == TicketState.DONE


def test_it_shows_a_postponed_ticket_where_call_next_takes_it_once_its_time_has_come(office_a, clerk_a, clock):
    lines = queue_office(office_a, postpone_minutes=10)
    first = walk_in(lines["a"])
    tickets.postpone(first)  # until 09:40
    clock.shift(dt.timedelta(minutes=5))
    second = walk_in(lines["a"])
    assert [line.ticket.pk for line in selectors.live_queue(office_a).waiting] == [second.pk, first.pk]
    clock.shift(dt.timedelta(minutes=10))  # 09:45: both can be called; the first keeps its place

    shown = [line.ticket.pk for line in selectors.live_queue(office_a).waiting]

    session = sign_in(clerk_a, office_a, "Platz 1", [lines["a"]])
    assert shown == [counters.call_next(session).pk, counters.call_next(session).pk] == [first.pk, second.pk]


# -- transfers --------------------------------------------------------------------------------------


def test_it_refuses_to_transfer_to_a_counter_that_does_not_serve_the_line(office_a, office_b, clerk_a):
    lines = queue_office(office_a)
    theirs = queue_office(office_b)
    ticket = walk_in(lines["a"])
    session = sign_in(clerk_a, office_a, "Platz 1", [lines["a"]])
    counters.call_next(session)
    with scopes_disabled():
        platz1 = Counter.objects.get(office=office_a, name="Platz 1")

    with pytest.raises(QueueError, match="bedient die gewählte Warteschlange nicht"):
        counters.transfer(session, group=lines["k"], counter=platz1)  # Kfz is only at Platz 2
    with pytest.raises(QueueError):
        counters.transfer(session, group=theirs["a"])
    with pytest.raises(QueueError):
        counters.transfer(session)

    ticket = fresh(ticket)
    assert (ticket.state, ticket.counter_id, ticket.group_id) == (TicketState.CALLED, platz1.pk, lines["a"].pk)
    assert "transferred" not in kinds(ticket)
    moved = counters.transfer(session, group=lines["k"])
    assert (moved.state, moved.group_id, moved.target_counter_id) == (TicketState.WAITING, lines["k"].pk, None)
    assert counters.call_next(session) is None  # Platz 1 serves only line A
    kfz = sign_in(colleague(office_a), office_a, "Platz 2", [lines["k"]])
    assert counters.call_next(kfz).pk == ticket.pk
