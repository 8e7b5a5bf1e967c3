"""Personal data of old tickets and appointments is erased; the statistics stay exactly the same."""

from __future__ import annotations

import datetime as dt
import io

import pytest
import time_machine
from django.core.management import call_command
from django.utils.module_loading import import_string

from buergerbuero.analytics.selectors_stats import StatsQuery, StatsScope, statistics
from buergerbuero.analytics.services.anonymise import anonymise_personal_data
from buergerbuero.analytics.statistics import Granularity
from buergerbuero.appointments.models import Appointment
from buergerbuero.core.models import AuditEntry
from buergerbuero.core.scheduler import DEFAULT_SCHEDULE
from buergerbuero.core.tenancy import scopes_disabled
from buergerbuero.queueing.constants import TicketEventKind
from buergerbuero.queueing.models import PushSubscription, Ticket, TicketEvent
from buergerbuero.tenants.models import District, Municipality, Office
from tests.analytics.stats_data import BERLIN, build_history, ticket

pytestmark = pytest.mark.django_db

LATER = dt.datetime(2027, 3, 15, 3, 0, tzinfo=BERLIN)  # more than 90 days after the history


def kreis_figures(district: District) -> object:
    query = StatsQuery(StatsScope.of_district(district), dt.date(2026, 9, 1), dt.date(2026, 11, 30), Granularity.WEEK)
    stats = statistics(query, now=LATER)
    return (stats.rows, stats.total, stats.services, stats.counters)


def test_it_removes_personal_data_and_keeps_the_aggregates(
    municipality_a: Municipality,
    office_a: Office,
    office_b: Office,
    district: District,
    clock: time_machine.Coordinates,
) -> None:
    build_history(municipality_a, office_a, office_b)
    with scopes_disabled():
        old = Ticket.objects.filter(office=office_a).order_by("pk").first()
        assert old is not None
        Ticket.objects.filter(pk=old.pk).update(alert_email="erika@example.org", alert_phone="+49 170 1234567")
        PushSubscription.objects.create(ticket=old, endpoint="https://push.example/1", p256dh="k", auth="a")
        TicketEvent.objects.create(
            ticket=old, kind=TicketEventKind.ALERTED, at=LATER, data={"email": "erika@example.org", "minutes": 5}
        )
        Appointment.objects.filter(office=office_a).update(
            name="Erika Mustermann",
            email="erika@example.org",
            phone="0170 1",
            note="Rollstuhl",
            person_key="abc",
            manage_token_hash="def",
            cancel_reason="krank",
        )
        recent_day = (LATER - dt.timedelta(days=10)).date()
        recent = ticket(office_a, old.group, recent_day, alert_email="neu@example.org")
        before = kreis_figures(district)

    result = anonymise_personal_data(now=LATER)

    assert result.tickets == 1 and result.push_subscriptions == 1 and result.ticket_events == 1
    assert result.appointments == 6
    with scopes_disabled():
        old.refresh_from_db()
        assert (old.alert_email, old.alert_phone) == ("", "")
        assert old.called_at is not None and old.counter_id is not None  # the statistics' columns stay
        assert not PushSubscription.objects.filter(ticket=old).exists()
        assert TicketEvent.objects.get(ticket=old, kind=TicketEventKind.ALERTED).data == {"minutes": 5}
        for appointment in Appointment.objects.filter(office=office_a):
            assert (appointment.name, appointment.email, appointment.phone, appointment.note) == ("", "", "", "")
            assert (appointment.person_key, appointment.manage_token_hash, appointment.cancel_reason) == ("", "", "")
            assert appointment.citizen_id is None
        recent.refresh_from_db()
        assert recent.alert_email == "neu@example.org"  # younger than 90 days
        assert kreis_figures(district) == before
        entries = AuditEntry.objects.filter(action="analytics.personal_data.anonymised")
        assert entries.count() == 1 and entries.get().changes["appointments"] == 6

    again = anonymise_personal_data(now=LATER)  # idempotent: nothing left to do, nothing audited
    assert again.changed == 0
    with scopes_disabled():
        assert AuditEntry.objects.filter(action="analytics.personal_data.anonymised").count() == 1


def test_it_runs_daily_and_from_the_command_line(db: None) -> None:
    assert ("buergerbuero.analytics.tasks.anonymise_old_personal_data", 86400) in DEFAULT_SCHEDULE
    assert import_string("buergerbuero.analytics.tasks.anonymise_old_personal_data") is not None
    out = io.StringIO()
    call_command("anonymise_personal_data", stdout=out)
    assert "0 anonymised" in out.getvalue()
