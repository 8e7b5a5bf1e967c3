"""The demo's live queue: settings and prefixes, a month of finished tickets, and today's live queue
(loaded during opening hours), idempotent."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
import time_machine

from buergerbuero.appointments.models import ServiceGroup
from buergerbuero.core.tenancy import scopes_disabled
from buergerbuero.demo.loader import load_demo
from buergerbuero.demo.queue import load_demo_queue
from buergerbuero.queueing import selectors
from buergerbuero.queueing.constants import RemoteTickets, TicketState
from buergerbuero.queueing.models import CounterSession, QueueSettings, Ticket
from buergerbuero.tenants.models import Office

#: A Tuesday morning: every demo office is open.
DURING_OPENING = dt.datetime(2026, 11, 17, 10, 15, tzinfo=ZoneInfo("Europe/Berlin"))


@pytest.mark.django_db
def test_it_loads_a_month_of_history_and_a_live_queue_today_once() -> None:
    with time_machine.travel(DURING_OPENING, tick=True), scopes_disabled():
        load_demo()
        offices = list(Office.objects.filter(service_groups__isnull=False).distinct())
        assert offices
        settings = {s.office_id: s for s in QueueSettings.objects.all()}
        assert {o.pk for o in offices} <= set(settings)
        remote = [s.remote_tickets for s in settings.values()]
        assert remote.count(RemoteTickets.DIRECT) == 1 and RemoteTickets.CHECK_IN in remote
        assert sum(s.spoken_calls for s in settings.values()) == 1
        assert all(g.ticket_prefix for g in ServiceGroup.objects.all())

        past = Ticket.objects.filter(day__lt=DURING_OPENING.date(), state=TicketState.DONE)
        assert past.values("day").distinct().count() >= 18  # about 30 days, weekdays open
        minutes = [(t.ended_at - t.started_at).total_seconds() / 60 for t in past.filter(office=offices[0])[:500]]
        assert 3 < sum(minutes) / len(minutes) < 60
        assert all(t.called_at >= t.arrived_at for t in past[:500])

        counts = (Ticket.objects.count(), CounterSession.objects.filter(ended_at__isnull=True).count())
        load_demo_queue()
        assert (Ticket.objects.count(), CounterSession.objects.filter(ended_at__isnull=True).count()) == counts

        states = [selectors.office_live_state(office.pk) for office in offices]
    assert all(state["status"] == "open" for state in states)
    assert sum(state["waiting"] for state in states) > 0
    assert sum(state["open_counters"] for state in states) > 0
    assert any(state["calls"] for state in states)
    busy = next(state for state in states if state["waiting"])
    assert any(line["walk_in"]["estimate"] is not None for line in busy["lines"])
