"""The office page's "best time to come" section: recommendation, heat maps with tables and the now marker."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
import time_machine
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from buergerbuero.analytics.models import ForecastSlot
from buergerbuero.core.tenancy import scopes_disabled
from buergerbuero.queueing.constants import TicketSource
from buergerbuero.queueing.services import tickets
from buergerbuero.tenants.models import Office
from tests.harness.clock import FIXED_NOW
from tests.queueing.factories import queue_office, sign_in

pytestmark = [pytest.mark.django_db]

URL = "/warteschlange/kaarst/rathaus/"
WAITS = {8: 25.0, 9: 30.0, 10: 22.0, 11: 18.0, 13: 12.0, 14: 9.6, 15: 10.4}


def forecast_slots(office: Office, first: date, days: int = 14) -> None:
    with scopes_disabled():
        ForecastSlot.objects.bulk_create(
            ForecastSlot(
                office=office,
                date=day,
                hour=hour,
                expected_arrivals=wait / 2,
                expected_wait_min=wait,
                computed_at=FIXED_NOW,
            )
            for day in (first + timedelta(days=n) for n in range(days))
            if day.weekday() < 5
            for hour, wait in WAITS.items()
        )


def test_it_shows_the_recommendation_the_charts_their_tables_and_the_marker(
    client: Client, office_a: Office, clerk_a, clock: time_machine.Coordinates
) -> None:
    lines = queue_office(office_a)
    sign_in(clerk_a, office_a, "Platz 1", [lines["a"]])
    for _ in range(3):
        tickets.draw_ticket(office_a, lines["a"], source=TicketSource.KIOSK)
    forecast_slots(office_a, FIXED_NOW.date())
    with CaptureQueriesContext(connection) as queries:
        html = client.get(URL, HTTP_ACCEPT_LANGUAGE="en").content.decode()
    slot_queries = [q for q in queries.captured_queries if "analytics_forecastslot" in q["sql"]]
    assert len(slot_queries) == 1
    assert 'id="best-time-title"' in html
    assert "Quietest today: 14:00–16:00, about 10 min wait" in html
    assert html.count('role="img"') == 2  # wait and arrivals
    assert html.count('class="chart__marker"') == 2
    assert html.count('<details class="chart__data">') == 2
    assert '<th scope="row">Tue</th>' in html
    assert "30\u00a0min (now: 3 people waiting)" in html  # Tuesday 9:00, live queue of three
    assert "How is this calculated?" in html


def test_without_a_forecast_the_page_says_so(client: Client, office_a: Office, clock: time_machine.Coordinates) -> None:
    queue_office(office_a)
    forecast_slots(office_a, FIXED_NOW.date() - timedelta(days=20), days=5)  # stale rows only: not shown
    html = client.get(URL, HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert 'data-field="best-time-none"' in html
    assert 'role="img"' not in html
    assert "How is this calculated?" in html
