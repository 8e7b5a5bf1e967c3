"""An office's hourly history from its tickets: arrivals per open hour, average wait of those called."""

from __future__ import annotations

from datetime import date, time

import pytest
from django.utils import timezone

from buergerbuero.analytics.forecasting import HourlyValue
from buergerbuero.analytics.office_history import office_history, open_hours
from buergerbuero.core.tenancy import scopes_disabled
from buergerbuero.queueing.constants import TicketSource
from buergerbuero.queueing.models import Ticket
from buergerbuero.queueing.selectors import opening_days
from buergerbuero.tenants.models import ClosingDay, Office
from tests.analytics.besttime_tickets import ticket
from tests.queueing.factories import queue_office

pytestmark = [pytest.mark.django_db]

MONDAY = date(2026, 11, 9)
TUESDAY = date(2026, 11, 10)


def test_open_hours_are_the_hours_an_opening_interval_touches(office_a: Office) -> None:
    hours = open_hours(opening_days(office_a, MONDAY, date(2026, 11, 15)))
    assert sorted(hours) == [MONDAY, TUESDAY, date(2026, 11, 11), date(2026, 11, 12), date(2026, 11, 13)]
    assert hours[MONDAY] == [8, 9, 10, 11, 13, 14, 15]  # 8–12 and 13–16: no 12, no 16


def test_it_counts_arrivals_and_averages_the_waits_of_tickets_called_in_each_hour(office_a: Office) -> None:
    line = queue_office(office_a)["a"]
    with scopes_disabled():
        ClosingDay.objects.create(office=office_a, date=TUESDAY, reason="Betriebsausflug")
        Ticket.objects.bulk_create(
            [
                ticket(office_a, line, MONDAY, time(8, 10), 20),  # called 8:30
                ticket(office_a, line, MONDAY, time(8, 40), 40),  # called 9:20
                ticket(office_a, line, MONDAY, time(9, 0), 30),  # called 9:30
                ticket(office_a, line, MONDAY, time(9, 5), None),  # never called: an arrival, no wait
                ticket(office_a, line, MONDAY, time(9, 10), 2, source=TicketSource.APPOINTMENT),  # no wait row
                ticket(office_a, line, MONDAY, time(7, 50), 15),  # before opening: a 7 o'clock arrival is ignored
                ticket(office_a, line, TUESDAY, time(9, 0), 10),  # closing day: ignored
            ]
        )
    history = office_history(office_a, first=date(2026, 11, 1), last=date(2026, 11, 15))
    by_hour = {(row.day, row.hour): row.value for row in history.arrivals}
    assert by_hour[(MONDAY, 8)] == 2  # 8:10 and 8:40 (7:50 is in hour 7, not open)
    assert by_hour[(MONDAY, 9)] == 3  # 9:00, 9:05 and the appointment at 9:10
    assert by_hour[(MONDAY, 15)] == 0  # an open hour without arrivals counts
    assert (MONDAY, 7) not in by_hour
    assert not any(row.day == TUESDAY for row in history.arrivals)
    assert len(history.arrivals) == 4 * 7  # Monday, Wednesday–Friday, 7 open hours (Tuesday closed)
    assert history.waits == [
        HourlyValue(day=MONDAY, hour=8, value=17.5),  # 20 and the 7:50 ticket's 15, both called in 8:xx
        HourlyValue(day=MONDAY, hour=9, value=35.0),  # 40 and 30; the appointment does not count
    ]


def test_the_history_starts_at_the_first_ticket(office_a: Office) -> None:
    line = queue_office(office_a)["a"]
    with scopes_disabled():
        Ticket.objects.bulk_create([ticket(office_a, line, TUESDAY, time(9, 0), 10)])
    history = office_history(office_a, first=date(2025, 11, 1), last=date(2026, 11, 13))
    assert min(row.day for row in history.arrivals) == TUESDAY
    assert office_history(office_a, first=date(2025, 1, 1), last=date(2025, 12, 31)).arrivals == []
    assert timezone.get_current_timezone_name() == "Europe/Berlin"
