"""The stale-page guard of the counter services: every counter action takes ``expected_ticket_id`` (the
ticket the clerk's page showed at the counter, ``None`` for none) and refuses, changing nothing, when the
counter's current ticket is a different one. Checked under the counter session's row lock, so two presses
of "call next" from the same page call one citizen, not two."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

import pytest
from django.db import connection

from buergerbuero.accounts.models import User
from buergerbuero.appointments.models import ServiceGroup
from buergerbuero.core.tenancy import scopes_disabled
from buergerbuero.queueing.constants import AT_COUNTER_STATES, TicketSource, TicketState
from buergerbuero.queueing.models import CounterSession, Ticket, TicketEvent
from buergerbuero.queueing.services import QueueError, counters, tickets
from buergerbuero.tenants.models import Office
from tests.queueing.factories import queue_office, sign_in

pytestmark = [pytest.mark.usefixtures("clock")]

STALE = "inzwischen geändert"


def drawn(office: Office, line: ServiceGroup, count: int) -> list[Ticket]:
    return [tickets.draw_ticket(office, line, source=TicketSource.KIOSK) for _ in range(count)]


def fresh(ticket: Ticket) -> Ticket:
    with scopes_disabled():
        return Ticket.objects.get(pk=ticket.pk)


def event_count() -> int:
    with scopes_disabled():
        return TicketEvent.objects.count()


@pytest.fixture
def lines(office_a: Office) -> dict[str, ServiceGroup]:
    return queue_office(office_a)


@pytest.mark.django_db
def test_it_calls_next_only_when_the_counter_still_has_the_ticket_the_page_showed(
    office_a: Office, clerk_a: User, lines: dict[str, ServiceGroup]
) -> None:
    a1, a2, a3 = drawn(office_a, lines["a"], 3)
    session = sign_in(clerk_a, office_a, "Platz 1", [lines["a"]])

    assert counters.call_next(session, expected_ticket_id=None) == a1
    # The same empty page pressed again: refused, naming the ticket now at the counter.
    with pytest.raises(QueueError) as refused:
        counters.call_next(session, expected_ticket_id=None)
    assert STALE in refused.value.message and "A001" in refused.value.message
    assert (fresh(a1).state, fresh(a2).state) == (TicketState.CALLED, TicketState.WAITING)

    assert counters.call_next(session, expected_ticket_id=a1.pk) == a2  # finishes A001, calls A002
    before = event_count()
    with pytest.raises(QueueError, match=STALE):
        counters.call_next(session, expected_ticket_id=a1.pk)  # pressed twice: A002 is not finished
    assert [fresh(t).state for t in (a1, a2, a3)] == [TicketState.DONE, TicketState.CALLED, TicketState.WAITING]
    assert event_count() == before


@pytest.mark.django_db
@pytest.mark.parametrize("action", ["recall", "start", "finish", "no_show", "park", "transfer"])
def test_it_refuses_an_action_on_a_ticket_that_is_no_longer_at_the_counter(
    office_a: Office, clerk_a: User, lines: dict[str, ServiceGroup], action: str
) -> None:
    a1, a2 = drawn(office_a, lines["a"], 2)
    session = sign_in(clerk_a, office_a, "Platz 1", [lines["a"]])
    counters.call_next(session)
    counters.call_next(session)  # A001 done, A002 called
    act: Callable[..., Ticket] = getattr(counters, action)
    extra: dict[str, Any] = {"group": lines["k"]} if action == "transfer" else {}
    before = event_count()

    with pytest.raises(QueueError) as refused:
        act(session, expected_ticket_id=a1.pk, **extra)  # the page still showed A001
    assert STALE in refused.value.message and "A002" in refused.value.message
    unchanged = fresh(a2)
    assert (unchanged.state, unchanged.recalls, unchanged.group_id) == (TicketState.CALLED, 0, lines["a"].pk)
    assert event_count() == before

    with pytest.raises(QueueError, match="Jetzt ist dort keine Wartenummer"):
        counters.call_next(sign_in(clerk_a, office_a, "Platz 2", [lines["a"]]), expected_ticket_id=a2.pk)

    session = sign_in(clerk_a, office_a, "Platz 1", [lines["a"]])  # the sign-in moves A002 back in line
    counters.call_next(session, expected_ticket_id=None)
    assert act(session, expected_ticket_id=a2.pk, **extra).pk == a2.pk  # the page is current: it acts
    assert event_count() > before


@pytest.mark.django_db
def test_it_guards_resuming_a_parked_ticket_and_signing_out(
    office_a: Office, clerk_a: User, lines: dict[str, ServiceGroup]
) -> None:
    a1, a2 = drawn(office_a, lines["a"], 2)
    session = sign_in(clerk_a, office_a, "Platz 1", [lines["a"]])
    counters.call_next(session)
    counters.park(session, expected_ticket_id=a1.pk)
    counters.call_next(session, expected_ticket_id=None)  # A002 called

    with pytest.raises(QueueError, match=STALE):
        counters.resume_parked(session, fresh(a1), expected_ticket_id=None)
    assert fresh(a1).state == TicketState.PARKED
    with pytest.raises(QueueError, match=STALE):
        counters.close_session(session, expected_ticket_id=None)
    with scopes_disabled():
        assert CounterSession.objects.get(pk=session.pk).ended_at is None
    assert fresh(a2).state == TicketState.CALLED

    counters.close_session(session, expected_ticket_id=a2.pk)
    with scopes_disabled():
        assert CounterSession.objects.get(pk=session.pk).ended_at is not None
    assert fresh(a2).state == TicketState.WAITING  # back to the front of its line


@pytest.mark.django_db
def test_it_acts_on_whatever_is_at_the_counter_when_no_ticket_is_expected(
    office_a: Office, clerk_a: User, lines: dict[str, ServiceGroup]
) -> None:
    a1, a2 = drawn(office_a, lines["a"], 2)
    session = sign_in(clerk_a, office_a, "Platz 1", [lines["a"]])
    counters.call_next(session)
    assert counters.call_next(session) == a2
    assert counters.finish(session) == a2
    assert fresh(a1).state == TicketState.DONE


@pytest.mark.django_db(transaction=True)
def test_it_calls_one_citizen_when_the_same_page_presses_call_next_twice_at_once(
    office_a: Office, clerk_a: User, lines: dict[str, ServiceGroup]
) -> None:
    """Two requests from the same console page (nothing at the counter) at the same moment: the second
    waits for the session's lock, then sees the first one's ticket and refuses."""
    drawn(office_a, lines["a"], 3)
    session = sign_in(clerk_a, office_a, "Platz 1", [lines["a"]])
    start = threading.Barrier(2)
    results: list[Any] = [None, None]

    def press(index: int) -> None:
        try:
            with scopes_disabled():
                start.wait(timeout=30)
                results[index] = counters.call_next(session, expected_ticket_id=None)
        except BaseException as error:  # reported to the test through the results
            results[index] = error
        finally:
            connection.close()

    threads = [threading.Thread(target=press, args=(n,)) for n in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not any(thread.is_alive() for thread in threads)

    called = [r for r in results if isinstance(r, Ticket)]
    refused = [r for r in results if isinstance(r, QueueError)]
    assert len(called) == 1 and len(refused) == 1, results
    assert STALE in refused[0].message and called[0].code in refused[0].message
    with scopes_disabled():
        at_counter = list(Ticket.objects.filter(office=office_a, state__in=AT_COUNTER_STATES))
        waiting = Ticket.objects.filter(office=office_a, state=TicketState.WAITING).count()
    assert at_counter == called and waiting == 2
