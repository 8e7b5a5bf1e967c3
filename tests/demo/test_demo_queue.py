"""The demo's live queue: settings and prefixes, two weeks of finished tickets, and today's live queue
(loaded during opening hours), idempotent. One demo load for the module (``demo_during_opening``)."""

from __future__ import annotations

import datetime as dt

import pytest

from buergerbuero.appointments.models import ServiceGroup
from buergerbuero.demo.queue import HISTORY_DAYS, load_demo_queue
from buergerbuero.queueing import selectors
from buergerbuero.queueing.constants import RemoteTickets, TicketState
from buergerbuero.queueing.models import CounterSession, QueueSettings, Ticket, TicketEvent, TicketSequence
from buergerbuero.tenants.models import District, Office

from .conftest import DURING_OPENING

pytestmark = pytest.mark.django_db


def _offices_with_lines() -> list[Office]:
    return list(Office.objects.filter(service_groups__isnull=False).distinct().order_by("pk"))


def test_it_gives_every_office_with_lines_queue_settings_and_every_line_a_prefix(
    demo_during_opening: District,
) -> None:
    offices = _offices_with_lines()
    assert offices
    settings = {s.office_id: s for s in QueueSettings.objects.all()}
    assert {o.pk for o in offices} <= set(settings)
    remote = [s.remote_tickets for s in settings.values()]
    assert remote.count(RemoteTickets.DIRECT) == 1 and RemoteTickets.CHECK_IN in remote
    assert sum(s.spoken_calls for s in settings.values()) == 1
    assert all(g.ticket_prefix for g in ServiceGroup.objects.all())


def test_it_writes_two_weeks_of_finished_tickets_to_learn_from(demo_during_opening: District) -> None:
    today = DURING_OPENING.date()
    past = Ticket.objects.filter(day__lt=today)
    assert set(past.values_list("state", flat=True)) == {TicketState.DONE, TicketState.NO_SHOW}
    days = set(past.values_list("day", flat=True))
    assert min(days) >= today - dt.timedelta(days=HISTORY_DAYS)
    assert len(days) >= 9  # the weekdays of two weeks (and Saturdays where an office opens)
    for office in _offices_with_lines():
        done = past.filter(office=office, state=TicketState.DONE)
        assert done.count() > 100, office
        minutes = [(t.ended_at - t.started_at).total_seconds() / 60 for t in done[:300]]
        assert 3 < sum(minutes) / len(minutes) < 60, office
    sample = list(past[:500])
    assert all(t.arrived_at <= t.called_at <= t.ended_at for t in sample)
    assert all(t.counter_id and t.group_id and t.service_id and t.public_id for t in sample)
    assert len({t.public_id for t in past}) == past.count()
    assert not TicketEvent.objects.filter(ticket__day__lt=today).exists()  # history: timestamps only
    # The day's numbering continues after the history: the sequence holds the last number drawn.
    ticket = past.order_by("-number").first()
    assert ticket is not None
    sequence = TicketSequence.objects.get(office=ticket.office, day=ticket.day, prefix=ticket.prefix)
    assert sequence.last_number == ticket.number


def test_it_opens_a_live_queue_today_with_clerks_at_counters_and_a_call(demo_during_opening: District) -> None:
    states = [selectors.office_live_state(office.pk) for office in _offices_with_lines()]
    assert all(state["status"] == "open" for state in states)
    assert sum(state["waiting"] for state in states) > 0
    assert sum(state["open_counters"] for state in states) > 0
    assert any(state["calls"] for state in states)
    busy = next(state for state in states if state["waiting"])
    assert any(line["walk_in"]["estimate"] is not None for line in busy["lines"])
    # Today's live tickets went through the services: they have their events.
    live = Ticket.objects.filter(day=DURING_OPENING.date(), state=TicketState.WAITING)
    assert live.exists()
    assert all(t.events.exists() for t in live)


def test_it_changes_nothing_when_loaded_again(demo_during_opening: District) -> None:
    def counts() -> tuple[int, int, int]:
        return (
            Ticket.objects.count(),
            TicketSequence.objects.count(),
            CounterSession.objects.filter(ended_at__isnull=True).count(),
        )

    before = counts()
    load_demo_queue()
    assert counts() == before
