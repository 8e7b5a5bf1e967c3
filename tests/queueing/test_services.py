"""The rules of the live queue: numbering, call order, the counter's actions, ticket stop, alerts."""

from __future__ import annotations

import datetime as dt

import pytest

from buergerbuero.accounts.constants import Role
from buergerbuero.core.models import OutboxMessage
from buergerbuero.core.tenancy import scopes_disabled
from buergerbuero.queueing import selectors
from buergerbuero.queueing.constants import Priority, QueueStatus, RemoteTickets, TicketSource, TicketState
from buergerbuero.queueing.models import QueueSettings, TicketEvent
from buergerbuero.queueing.services import QueueError, counters, tickets
from tests.accounts.factories import StaffRoleFactory
from tests.queueing.factories import queue_office, sign_in

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("clock")]


def test_it_numbers_tickets_per_line_and_day(office_a):
    lines = queue_office(office_a)
    a1 = tickets.draw_ticket(office_a, lines["a"], source=TicketSource.KIOSK)
    a2 = tickets.draw_ticket(office_a, lines["a"], source=TicketSource.KIOSK)
    k1 = tickets.draw_ticket(office_a, lines["k"], source=TicketSource.KIOSK)
    assert [a1.code, a2.code, k1.code] == ["A001", "A002", "K001"]
    assert a1.state == TicketState.WAITING and a1.predicted_wait_minutes is not None


def test_it_calls_in_order_with_priority_first_and_never_twice(office_a, clerk_a, municipality_a):
    lines = queue_office(office_a)
    first = tickets.draw_ticket(office_a, lines["a"], source=TicketSource.KIOSK)
    needs_help = tickets.draw_ticket(office_a, lines["a"], source=TicketSource.KIOSK, needs_accessibility=True)
    assert needs_help.priority == Priority.ACCESSIBILITY
    other_clerk = StaffRoleFactory(municipality=municipality_a, role=Role.CLERK).user
    one = sign_in(clerk_a, office_a, "Platz 1", [lines["a"]])
    two = sign_in(other_clerk, office_a, "Platz 2", [lines["a"], lines["k"]])
    assert counters.call_next(one).pk == needs_help.pk
    assert counters.call_next(two).pk == first.pk
    assert counters.call_next(two) is None  # finishes the current one; nobody else waits
    with scopes_disabled():
        first.refresh_from_db()
    assert first.state == TicketState.DONE and first.ended_at is not None


def test_it_recalls_at_most_the_office_limit_then_marks_no_show(office_a, clerk_a):
    lines = queue_office(office_a, max_recalls=2)
    ticket = tickets.draw_ticket(office_a, lines["a"], source=TicketSource.KIOSK)
    session = sign_in(clerk_a, office_a, "Platz 1", [lines["a"]])
    counters.call_next(session)
    counters.recall(session)
    assert counters.recall(session).recalls == 2
    with pytest.raises(QueueError):
        counters.recall(session)
    assert counters.no_show(session).state == TicketState.NO_SHOW
    with scopes_disabled():
        kinds = list(TicketEvent.objects.filter(ticket=ticket).values_list("kind", flat=True))
    assert kinds == ["drawn", "called", "recalled", "recalled", "no_show"]


def test_it_parks_and_transfers_keeping_the_number(office_a, clerk_a, municipality_a):
    lines = queue_office(office_a)
    ticket = tickets.draw_ticket(office_a, lines["a"], source=TicketSource.KIOSK)
    later = tickets.draw_ticket(office_a, lines["a"], source=TicketSource.KIOSK)
    session = sign_in(clerk_a, office_a, "Platz 1", [lines["a"]])
    counters.call_next(session)
    assert counters.park(session).state == TicketState.PARKED
    assert counters.call_next(session).pk == later.pk
    counters.finish(session)
    assert counters.resume_parked(session, ticket).state == TicketState.CALLED
    counters.start(session)
    with scopes_disabled():
        platz2 = office_a.counters.get(name="Platz 2")
    moved = counters.transfer(session, group=lines["k"], counter=platz2)
    assert (moved.state, moved.group_id, moved.target_counter_id, moved.code) == (
        TicketState.WAITING,
        lines["k"].pk,
        platz2.pk,
        "A001",
    )
    assert counters.call_next(session) is None  # only Platz 2 may call it now
    colleague = StaffRoleFactory(municipality=municipality_a, role=Role.CLERK).user
    other = sign_in(colleague, office_a, "Platz 2", [lines["k"]])
    assert counters.call_next(other).pk == ticket.pk


def test_it_keeps_a_remote_ticket_virtual_until_check_in(office_a, clerk_a):
    lines = queue_office(office_a)
    ticket = tickets.draw_ticket(office_a, lines["a"], source=TicketSource.REMOTE)
    session = sign_in(clerk_a, office_a, "Platz 1", [lines["a"]])
    assert ticket.state == TicketState.VIRTUAL
    assert counters.call_next(session) is None
    tickets.activate(ticket)
    assert counters.call_next(session).pk == ticket.pk


def test_it_refuses_remote_tickets_where_the_office_does_not_offer_them(office_a):
    lines = queue_office(office_a, remote_tickets=RemoteTickets.OFF)
    with pytest.raises(QueueError):
        tickets.draw_ticket(office_a, lines["a"], source=TicketSource.REMOTE)


def test_it_skips_a_postponed_ticket_until_its_time(office_a, clerk_a, clock):
    lines = queue_office(office_a, postpone_minutes=10)
    first = tickets.draw_ticket(office_a, lines["a"], source=TicketSource.KIOSK)
    second = tickets.draw_ticket(office_a, lines["a"], source=TicketSource.KIOSK)
    tickets.postpone(first)
    session = sign_in(clerk_a, office_a, "Platz 1", [lines["a"]])
    assert counters.call_next(session).pk == second.pk
    assert counters.call_next(session) is None
    clock.shift(dt.timedelta(minutes=10))
    assert counters.call_next(session).pk == first.pk


def test_it_stops_tickets_when_staff_stop_the_day_and_when_closed(office_a, clock):
    lines = queue_office(office_a)
    with scopes_disabled():
        QueueSettings.objects.create(office=office_a, stopped_on=dt.date(2026, 11, 17), stop_reason="Stromausfall")
    assert selectors.queue_status(office_a).status == QueueStatus.TICKET_STOP
    with pytest.raises(QueueError, match="Stromausfall"):
        tickets.draw_ticket(office_a, lines["a"], source=TicketSource.KIOSK)
    clock.move_to(dt.datetime(2026, 11, 18, 18, 0, tzinfo=dt.UTC))
    assert selectors.queue_status(office_a).status == QueueStatus.CLOSED


def test_it_stops_a_line_when_a_walk_in_would_not_be_served_before_closing(office_a, clerk_a, clock):
    lines = queue_office(office_a, serve_out_minutes=0, last_ticket_minutes=0)
    clock.move_to(dt.datetime(2026, 11, 17, 14, 0, tzinfo=dt.UTC))  # 15:00 in Kaarst, one hour before closing
    sign_in(clerk_a, office_a, "Platz 1", [lines["a"]])
    drawn = 0
    with pytest.raises(QueueError):
        for _ in range(40):  # 10-minute services, one counter, one hour left: about six fit
            tickets.draw_ticket(office_a, lines["a"], source=TicketSource.KIOSK)
            drawn += 1
    assert 3 <= drawn <= 12
    assert "a" in selectors.queue_status(office_a).stopped_groups


def test_it_sends_the_pre_call_alert_once_when_few_are_ahead(office_a, clerk_a, django_capture_on_commit_callbacks):
    lines = queue_office(office_a)
    for _ in range(3):
        tickets.draw_ticket(office_a, lines["a"], source=TicketSource.KIOSK)
    mine = tickets.draw_ticket(office_a, lines["a"], source=TicketSource.KIOSK)
    tickets.set_alert(mine, tickets.AlertChoice(positions=1, email="anna@example.org"))
    session = sign_in(clerk_a, office_a, "Platz 1", [lines["a"]])
    with django_capture_on_commit_callbacks(execute=True):
        counters.call_next(session)
    with scopes_disabled():
        mine.refresh_from_db()
    assert mine.alert_sent_at is None  # two still ahead
    with django_capture_on_commit_callbacks(execute=True):
        counters.call_next(session)
        counters.call_next(session)
    with scopes_disabled():
        mine.refresh_from_db()
        alerted = TicketEvent.objects.filter(ticket=mine, kind="alerted").count()
        mails = OutboxMessage.objects.filter(kind="email", payload__to=["anna@example.org"]).count()
    assert mine.alert_sent_at is not None and alerted == 1 and mails == 1


def test_it_calls_nobody_to_a_paused_counter(office_a, clerk_a):
    lines = queue_office(office_a)
    tickets.draw_ticket(office_a, lines["a"], source=TicketSource.KIOSK)
    session = sign_in(clerk_a, office_a, "Platz 1", [lines["a"]])
    counters.pause(session)
    with pytest.raises(QueueError):
        counters.call_next(session)
    counters.resume(session)
    assert counters.call_next(session) is not None


def test_it_checks_alerts_once_per_transaction_however_many_changes_it_announces(
    office_a, clerk_a, django_capture_on_commit_callbacks
):
    lines = queue_office(office_a)
    for _ in range(2):
        tickets.draw_ticket(office_a, lines["a"], source=TicketSource.KIOSK)
    session = sign_in(clerk_a, office_a, "Platz 1", [lines["a"]])
    counters.call_next(session)
    with django_capture_on_commit_callbacks() as callbacks:
        counters.call_next(session)  # finishes A001 and calls A002: two announcements
    assert sum(1 for c in callbacks if getattr(c, "alert_office", None) == office_a.pk) == 1
