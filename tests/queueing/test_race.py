"""Clerks racing for tickets, on SQLite and on PostgreSQL: call next stays exact under real concurrency.

Every racer is a real thread with its own database connection (closed when the thread ends), released
together by a ``threading.Barrier``. The clock ticks from Tuesday 17 November 2026, 09:30 (office_a is
open 8–12), so each ticket's time in line is its own. Run on PostgreSQL with ``DATABASE_URL`` set; there
``call_next`` claims with ``FOR UPDATE SKIP LOCKED``, on SQLite writers take turns.
"""

from __future__ import annotations

import datetime as dt
import itertools
import random
import threading
import time
from collections import Counter as Tally
from collections import defaultdict
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import pytest
import time_machine
from django.db import connection, transaction

from buergerbuero.accounts.constants import Role
from buergerbuero.appointments.models import ServiceGroup
from buergerbuero.core.tenancy import scopes_disabled
from buergerbuero.queueing.constants import AT_COUNTER_STATES, Priority, TicketSource, TicketState
from buergerbuero.queueing.models import CounterSession, Ticket, TicketEvent, TicketSequence
from buergerbuero.queueing.services import QueueError, counters, tickets
from buergerbuero.tenants.models import Counter, Office
from tests.accounts.factories import StaffRoleFactory
from tests.harness.clock import FIXED_NOW
from tests.queueing.factories import queue_office

pytestmark = pytest.mark.django_db(transaction=True)

TOTAL = 1000  # tickets, and successful presses of "call next"
KIOSK_DRAWS = 25  # per kiosk thread, through draw_ticket while the clerks call; the rest wait already
KIOSKS = 2
DEADLINE_SECONDS = 240  # a guard against hanging, not the expected time


@pytest.fixture
def ticking() -> Iterator[time_machine.Coordinates]:
    """The harness's Tuesday 09:30, but ticking, in every thread."""
    with time_machine.travel(FIXED_NOW, tick=True) as traveller:
        yield traveller


def clerk_count() -> int:
    return 4 if connection.vendor == "postgresql" else 3


def race(*jobs: Callable[[], Any]) -> list[Any]:
    """Run ``jobs`` in threads released at the same moment; each returns its value or the exception it
    raised. Each thread has its own connection and closes it when done."""
    start = threading.Barrier(len(jobs))
    results: list[Any] = [None] * len(jobs)

    def run(index: int, job: Callable[[], Any]) -> None:
        try:
            with scopes_disabled():
                start.wait(timeout=30)
                results[index] = job()
        except BaseException as error:  # reported to the test through the results
            results[index] = error
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(n, job), name=f"racer-{n}") for n, job in enumerate(jobs)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=DEADLINE_SECONDS + 30)
    assert not any(thread.is_alive() for thread in threads), "a racer hung"
    return results


def raise_unexpected(results: list[Any]) -> None:
    """A racer's exception other than ``QueueError`` (an answer) fails the test."""
    for result in results:
        if isinstance(result, BaseException) and not isinstance(result, QueueError):
            raise result


def office_with_counters(office: Office, count: int) -> tuple[dict[str, ServiceGroup], list[Counter]]:
    """Line A at every counter, line K at every second one (Platz 2, Platz 4), no ticket stop today."""
    lines = queue_office(office, serve_out_minutes=30_000, last_ticket_minutes=0)
    with scopes_disabled():
        for n in range(3, count + 1):
            Counter.objects.create(office=office, name=f"Platz {n}")
        platz = list(Counter.objects.filter(office=office).order_by("pk"))[:count]
        lines["a"].counters.set(platz)
        lines["k"].counters.set(platz[1::2])
    return lines, platz


def clerks(office: Office, count: int) -> list[Any]:
    return [StaffRoleFactory(municipality=office.municipality, role=Role.CLERK).user for _ in range(count)]


@dataclass
class Call:
    clerk: int
    ticket: int
    began: int  # perf_counter_ns before call_next
    ended: int  # perf_counter_ns after it returned (committed)


def morning_backlog(office: Office, lines: dict[str, ServiceGroup], kinds: list[tuple[str, bool]]) -> list[int]:
    """The tickets drawn since opening, inserted in bulk, one minute apart, numbered as ``draw_ticket``
    numbers them (the line's sequence row counts on from them). Drawing them one by one would run the
    live prediction for each (tens of milliseconds apiece); the kiosks draw the rest that way."""
    day = FIXED_NOW.date()
    numbers: Tally[str] = Tally()
    rows = []
    for n, (key, needs_help) in enumerate(kinds):
        group = lines[key]
        numbers[group.prefix] += 1
        queued = FIXED_NOW - dt.timedelta(minutes=len(kinds) - n)
        rows.append(
            Ticket(
                office=office,
                day=day,
                prefix=group.prefix,
                number=numbers[group.prefix],
                group=group,
                source=TicketSource.KIOSK,
                state=TicketState.WAITING,
                priority=Priority.ACCESSIBILITY if needs_help else Priority.NORMAL,
                needs_accessibility=needs_help,
                created_at=queued,
                arrived_at=queued,
                queued_at=queued,
            )
        )
    with scopes_disabled(), transaction.atomic():
        created = Ticket.objects.bulk_create(rows)
        if connection.vendor != "postgresql":  # SQLite's bulk insert returns no keys before 3.35
            created = list(Ticket.objects.filter(office=office).order_by("pk"))
        TicketEvent.objects.bulk_create(TicketEvent(ticket=t, kind="drawn", at=t.created_at) for t in created)
        for prefix, last in numbers.items():
            TicketSequence.objects.create(office=office, day=day, prefix=prefix, last_number=last)
    return [t.pk for t in created]


def test_it_calls_1000_tickets_with_several_clerks_never_twice_never_lost_in_call_order(
    office_a: Office, ticking: object
) -> None:
    count = clerk_count()
    lines, platz = office_with_counters(office_a, count)
    with_k = platz[1::2]
    sessions = [
        counters.open_session(counter, user, [lines["a"], lines["k"]] if counter in with_k else [lines["a"]])
        for counter, user in zip(platz, clerks(office_a, count), strict=True)
    ]
    with scopes_disabled():
        serves = {s.pk: set(s.groups.values_list("pk", flat=True)) for s in sessions}
    mix = random.Random(6)
    kinds = [("k" if mix.random() < 0.3 else "a", mix.random() < 0.1) for _ in range(TOTAL)]  # line, accessibility
    waiting = TOTAL - KIOSKS * KIOSK_DRAWS
    drawn_at = dict.fromkeys(morning_backlog(office_a, lines, kinds[:waiting]), 0)  # before anyone calls
    calls: list[Call] = []
    kiosks_finished: list[int] = []
    lock = threading.Lock()
    deadline = time.perf_counter() + DEADLINE_SECONDS

    def kiosk(first: int) -> None:
        try:
            for key, needs_help in kinds[first : first + KIOSK_DRAWS]:
                ticket = tickets.draw_ticket(
                    office_a, lines[key], source=TicketSource.KIOSK, needs_accessibility=needs_help
                )
                with lock:
                    drawn_at[ticket.pk] = time.perf_counter_ns()
        finally:
            with lock:
                kiosks_finished.append(first)

    def kiosks_done() -> bool:
        with lock:
            return len(kiosks_finished) == KIOSKS

    def clerk(index: int) -> None:
        session = sessions[index]
        while time.perf_counter() < deadline:
            finished = kiosks_done()  # read before the call: nobody after it means all are called
            began = time.perf_counter_ns()
            ticket = counters.call_next(session)
            ended = time.perf_counter_ns()
            if ticket is not None:
                with lock:
                    calls.append(Call(index, ticket.pk, began, ended))
            elif finished:
                break
            else:
                time.sleep(0.002)
        # The last, empty call finished the ticket that was at the counter.

    results = race(
        *[lambda n=n: kiosk(waiting + n * KIOSK_DRAWS) for n in range(KIOSKS)],
        *[lambda n=n: clerk(n) for n in range(count)],
    )
    raise_unexpected(results)

    with scopes_disabled():
        all_tickets = {t.pk: t for t in Ticket.objects.filter(office=office_a)}
        called = Tally(TicketEvent.objects.filter(kind="called").values_list("ticket_id", flat=True))
        finished = Tally(TicketEvent.objects.filter(kind="finished").values_list("ticket_id", flat=True))
    assert len(all_tickets) == TOTAL == len(drawn_at)
    # Never called twice, never lost: every ticket was called exactly once, by exactly one clerk, and is done.
    assert len(calls) == TOTAL
    once = Tally(list(all_tickets))
    assert Tally(call.ticket for call in calls) == once
    assert called == once == finished
    assert {t.state for t in all_tickets.values()} == {TicketState.DONE}
    assert not any(isinstance(result, QueueError) for result in results)
    # Each clerk got only tickets of the lines they serve, at their own counter.
    for call in calls:
        ticket = all_tickets[call.ticket]
        assert ticket.group_id in serves[sessions[call.clerk].pk]
        assert ticket.counter_id == sessions[call.clerk].counter_id
    # Numbers unique and without gaps per prefix, the kiosks' included.
    numbers = defaultdict(list)
    for ticket in all_tickets.values():
        numbers[ticket.prefix].append(ticket.number)
    assert {prefix: sorted(found) for prefix, found in numbers.items()} == {
        prefix: list(range(1, len(found) + 1)) for prefix, found in numbers.items()
    }
    # The clerks really raced the kiosks: calls were made while tickets were still being drawn.
    assert min(call.began for call in calls) < max(drawn_at.values())
    assert_call_order(calls, all_tickets, drawn_at, [serves[s.pk] for s in sessions])


def assert_call_order(
    calls: list[Call], all_tickets: dict[int, Ticket], drawn_at: dict[int, int], serves: list[set[int]]
) -> None:
    """No clerk was given a ticket while a better one (higher priority, then longer in line) of their
    lines was there all along: drawn before their call began and claimed by a call that began after
    their call ended. Tickets claimed by a call overlapping theirs are fair game (claimed at once)."""
    claimed_from = {call.ticket: call.began for call in calls}

    def key(ticket: Ticket) -> tuple[int, Any, int]:
        return (-ticket.priority, ticket.queued_at, ticket.pk)

    assert Tally(t.priority for t in all_tickets.values())[Priority.ACCESSIBILITY] > 50
    by_key = sorted(all_tickets.values(), key=key)
    overtaken = []
    for call in calls:
        mine = key(all_tickets[call.ticket])
        for better in itertools.takewhile(lambda t, mine=mine: key(t) < mine, by_key):
            if (
                better.group_id in serves[call.clerk]
                and drawn_at[better.pk] < call.began
                and claimed_from[better.pk] > call.ended
            ):
                overtaken.append((all_tickets[call.ticket].code, better.code))
    assert overtaken == []


def test_it_gives_a_parked_ticket_to_one_of_two_clerks_who_resume_it_at_once(office_a: Office, ticking: object) -> None:
    lines, platz = office_with_counters(office_a, 3)
    first, second, parker = clerks(office_a, 3)
    one = counters.open_session(platz[0], first, [lines["a"]])
    two = counters.open_session(platz[1], second, [lines["a"]])
    three = counters.open_session(platz[2], parker, [lines["a"]])
    winners = Tally[int]()
    for _round in range(12):
        drawn = tickets.draw_ticket(office_a, lines["a"], source=TicketSource.KIOSK)
        assert counters.call_next(three).pk == drawn.pk
        counters.park(three)

        results = race(
            lambda drawn=drawn: counters.resume_parked(one, drawn),
            lambda drawn=drawn: counters.resume_parked(two, drawn),
        )

        raise_unexpected(results)
        won = [n for n, result in enumerate(results) if isinstance(result, Ticket)]
        assert len(won) == 1, results
        assert isinstance(results[1 - won[0]], QueueError)
        winner = (one, two)[won[0]]
        with scopes_disabled():
            drawn.refresh_from_db()
            resumed = TicketEvent.objects.filter(ticket=drawn, kind="resumed").count()
        assert (drawn.state, drawn.counter_id, resumed) == (TicketState.CALLED, winner.counter_id, 1)
        counters.finish(winner)
        winners[won[0]] += 1
    assert set(winners) <= {0, 1} and winners.total() == 12


def test_it_keeps_one_ticket_at_a_counter_when_recall_and_call_next_race(office_a: Office, ticking: object) -> None:
    lines, platz = office_with_counters(office_a, 1)
    (user,) = clerks(office_a, 1)
    session = counters.open_session(platz[0], user, [lines["a"]])
    for _ in range(16):
        tickets.draw_ticket(office_a, lines["a"], source=TicketSource.KIOSK)
    current = counters.call_next(session)
    earlier_recalls = 0  # a recall that came after call next called the following ticket again
    outcomes = Tally[str]()
    for _round in range(15):
        results = race(lambda: counters.recall(session), lambda: counters.call_next(session))

        raise_unexpected(results)
        recalled, following = results
        assert isinstance(following, Ticket) and following.pk != current.pk
        with scopes_disabled():
            current.refresh_from_db()
            at_counter = list(Ticket.objects.filter(counter=platz[0], state__in=AT_COUNTER_STATES))
            history = list(TicketEvent.objects.filter(ticket=current).order_by("pk").values_list("kind", flat=True))
            recalls = TicketEvent.objects.filter(kind="recalled").count()
        assert at_counter == [following]
        assert current.state == TicketState.DONE
        if isinstance(recalled, QueueError):  # call next came first and the recall found no ticket
            assert history == ["drawn", "called", *["recalled"] * earlier_recalls, "finished"]
            outcomes["refused"] += 1
            earlier_recalls = 0
        elif recalled.pk == current.pk:  # called again, then finished by call next
            assert history == ["drawn", "called", *["recalled"] * (earlier_recalls + 1), "finished"]
            assert recalled.recalls == earlier_recalls + 1
            outcomes["recalled current"] += 1
            earlier_recalls = 0
        else:  # call next came first: the recall called the new ticket again
            assert recalled.pk == following.pk and recalled.recalls == 1
            assert history == ["drawn", "called", *["recalled"] * earlier_recalls, "finished"]
            outcomes["recalled next"] += 1
            earlier_recalls = 1
        assert recalls == outcomes["recalled current"] + outcomes["recalled next"]
        current = following
    assert outcomes.total() == 15


def test_it_keeps_one_ticket_at_a_counter_when_call_next_is_pressed_twice_at_once(
    office_a: Office, ticking: object
) -> None:
    lines, platz = office_with_counters(office_a, 1)
    (user,) = clerks(office_a, 1)
    session = counters.open_session(platz[0], user, [lines["a"]])
    for _ in range(31):
        tickets.draw_ticket(office_a, lines["a"], source=TicketSource.KIOSK)
    counters.call_next(session)
    for _round in range(15):
        results = race(lambda: counters.call_next(session), lambda: counters.call_next(session))

        raise_unexpected(results)
        assert all(isinstance(result, Ticket) for result in results)
        assert results[0].pk != results[1].pk
        with scopes_disabled():
            at_counter = list(Ticket.objects.filter(counter=platz[0], state__in=AT_COUNTER_STATES))
        assert len(at_counter) == 1  # the other one was finished by the later press
    with scopes_disabled():
        finished = Tally(TicketEvent.objects.filter(kind="finished").values_list("ticket_id", flat=True))
        called = Tally(TicketEvent.objects.filter(kind="called").values_list("ticket_id", flat=True))
        done = Ticket.objects.filter(state=TicketState.DONE).count()
        open_sessions = CounterSession.objects.filter(ended_at__isnull=True).count()
    assert set(finished.values()) == {1} and set(called.values()) == {1}
    assert done == len(finished) == 30
    assert open_sessions == 1
