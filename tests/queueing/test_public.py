"""The public occupancy page of the Kreis and one office's live page (server side; the browser test
with axe and the live updates is in test_public_browser.py)."""

from __future__ import annotations

import datetime as dt
import re

import pytest
import time_machine
from django.test import Client

from buergerbuero.core.tenancy import scopes_disabled
from buergerbuero.queueing.constants import RemoteTickets, TicketSource
from buergerbuero.queueing.models import CounterSession, QueueSettings
from buergerbuero.queueing.services import counters, tickets
from buergerbuero.queueing.views.public import OVERVIEW_SECONDS
from buergerbuero.tenants.models import Office
from tests.catalog.factories import ServiceFactory
from tests.queueing.factories import queue_office, sign_in

pytestmark = [pytest.mark.django_db]


@pytest.fixture
def two_queues(office_a: Office, office_b: Office, clerk_a, clock: time_machine.Coordinates) -> dict:
    lines_a = queue_office(office_a)
    lines_b = queue_office(office_b)
    passport = ServiceFactory(slug="personalausweis", name_de="Personalausweis beantragen", counter_minutes=10)
    with scopes_disabled():
        lines_a["a"].services.add(passport)
        lines_b["a"].services.add(passport)
    sign_in(clerk_a, office_a, "Platz 1", [lines_a["a"], lines_a["k"]])
    for _ in range(6):
        tickets.draw_ticket(office_a, lines_a["a"], source=TicketSource.KIOSK)
    tickets.draw_ticket(office_b, lines_b["a"], source=TicketSource.KIOSK)
    return {"a": lines_a, "b": lines_b}


def _office_block(html: str, name: str) -> str:
    """The list item of the office called ``name``."""
    blocks = [block for block in html.split('<li class="occupancy-office ')[1:] if f">{name}</a>" in block]
    assert len(blocks) == 1, f"{name} is not in the list once"
    return blocks[0]


def test_it_lists_every_office_of_the_kreis_with_status_waiting_and_lines(client: Client, two_queues: dict) -> None:
    html = client.get("/warteschlange/").content.decode()
    kaarst = _office_block(html, "Bürgerbüro Kaarst")
    assert "occupancy-office--open" in kaarst
    assert "<dt>Jetzt wartend</dt><dd>6</dd>" in kaarst
    assert 'href="/warteschlange/kaarst/rathaus/"' in kaarst
    assert "Personalausweis beantragen" in kaarst  # the services the line covers
    juechen = _office_block(html, "Bürgerbüro Jüchen")
    assert 'href="/warteschlange/juechen/rathaus/"' in juechen


def test_it_orders_by_the_wait_for_the_chosen_service_quietest_first(client: Client, two_queues: dict) -> None:
    html = client.get("/warteschlange/?leistung=personalausweis").content.decode()
    assert html.index("Bürgerbüro Jüchen") < html.index("Bürgerbüro Kaarst")  # 1 waiting vs 6 with one counter
    assert "Personalausweis beantragen" in html
    unfiltered = client.get("/warteschlange/").content.decode()
    assert unfiltered.index("Bürgerbüro Jüchen") < unfiltered.index("Bürgerbüro Kaarst")  # by municipality name


def test_it_leaves_out_offices_that_do_not_offer_the_chosen_service(
    client: Client, office_a: Office, office_b: Office, clock: time_machine.Coordinates
) -> None:
    queue_office(office_a)
    lines_b = queue_office(office_b)
    only_b = ServiceFactory(slug="wohnsitz", name_de="Wohnsitz anmelden")
    with scopes_disabled():
        lines_b["k"].services.add(only_b)
    html = client.get("/warteschlange/?leistung=wohnsitz").content.decode()
    assert "Bürgerbüro Jüchen" in html and "Bürgerbüro Kaarst" not in html
    assert "1 Standort bietet diese Leistung nicht" in html


def test_it_computes_the_overview_once_per_ten_seconds(
    client: Client, two_queues: dict, office_a: Office, clock: time_machine.Coordinates
) -> None:
    def waiting_at_kaarst() -> str:
        block = _office_block(client.get("/warteschlange/?teil=liste").content.decode(), "Bürgerbüro Kaarst")
        return re.findall(r"<dd>(\d+)</dd>", block)[0]

    assert waiting_at_kaarst() == "6"
    tickets.draw_ticket(office_a, two_queues["a"]["a"], source=TicketSource.KIOSK)
    assert waiting_at_kaarst() == "6"  # cached
    clock.shift(dt.timedelta(seconds=OVERVIEW_SECONDS + 1))
    assert waiting_at_kaarst() == "7"


def test_it_shows_a_closed_office_with_its_next_opening(
    client: Client, office_a: Office, clock: time_machine.Coordinates
) -> None:
    queue_office(office_a)
    clock.move_to(dt.datetime(2026, 11, 20, 18, 0, tzinfo=dt.timezone(dt.timedelta(hours=1))))  # Friday evening
    html = client.get("/warteschlange/").content.decode()
    block = _office_block(html, "Bürgerbüro Kaarst")
    assert "occupancy-office--closed" in block
    assert "öffnet Montag, 23. November, 08:00" in block


def test_it_shows_an_office_live_with_lines_calls_counters_and_links(
    client: Client, two_queues: dict, office_a: Office
) -> None:
    with scopes_disabled():
        QueueSettings.objects.filter(office=office_a).update(remote_tickets=RemoteTickets.DIRECT)
        session = CounterSession.objects.get(counter__office=office_a, ended_at__isnull=True)
    called = counters.call_next(session)
    assert called is not None
    response = client.get("/warteschlange/kaarst/rathaus/")
    assert response.status_code == 200
    html = response.content.decode()
    assert 'data-field="waiting">5<' in html
    assert f"{called.code} zu Platz 1" in html
    assert 'data-field="open-counters">1<' in html
    assert 'data-stream-url="/warteschlange/kaarst/rathaus/live/"' in html
    assert "Pass und Ausweis" in html and "Personalausweis beantragen" in html
    assert "08:00–12:00" in html and "13:00–16:00" in html
    assert 'href="/termine/"' in html
    assert "<script>" not in html and "style=" not in html  # strict CSP: static files only


def test_it_answers_404_for_an_unknown_office_or_one_without_a_queue(client: Client, office_a: Office) -> None:
    assert client.get("/warteschlange/kaarst/nirgendwo/").status_code == 404
    assert client.get("/warteschlange/kaarst/rathaus/").status_code == 404  # no lines
    queue_office(office_a, is_active=False)
    assert client.get("/warteschlange/kaarst/rathaus/").status_code == 404
