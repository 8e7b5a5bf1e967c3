"""The ticket page in Chromium: it shows the position, and when a clerk calls the ticket ahead and
then this one, it follows live over Server-Sent Events (no reload) up to the big "go to Platz 1"
banner. The Content-Security-Policy is enforced; axe-core finds no violations.

The stream is an async view, so the page is served by a real ASGI server (uvicorn in a thread of the
test process, on the test database), not by pytest-django's WSGI ``live_server``.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest
import time_machine
from playwright.sync_api import Browser, ViewportSize, expect

from buergerbuero.queueing.constants import TicketSource
from buergerbuero.queueing.services import counters, tickets
from buergerbuero.tenants.models import Office
from tests.harness.axe import assert_no_axe_violations
from tests.harness.browser import new_context
from tests.harness.clock import FIXED_NOW
from tests.queueing.factories import queue_office, sign_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def asgi_url(asgi_server: str) -> str:
    return asgi_server


@pytest.fixture
def office_hours() -> Iterator[None]:
    """Tuesday 09:30, with the clock running (the server and the event loop need time to pass)."""
    with time_machine.travel(FIXED_NOW, tick=True):
        yield


@pytest.mark.usefixtures("office_hours")
def test_it_follows_the_calls_live_and_shows_the_call_unmistakably(
    browser: Browser, asgi_url: str, viewport: ViewportSize, office_a: Office, clerk_a: Any
) -> None:
    lines = queue_office(office_a)
    ahead = tickets.draw_ticket(office_a, lines["a"], source=TicketSource.KIOSK)
    mine = tickets.draw_ticket(office_a, lines["a"], source=TicketSource.KIOSK)
    path = f"/warteschlange/ticket/{mine.public_id}/"

    context = new_context(browser, asgi_url, viewport)  # CSP enforced: ticket.js must run under it
    errors: list[str] = []
    try:
        page = context.new_page()
        page.on("console", lambda message: errors.append(message.text) if message.type == "error" else None)
        page.goto(path)
        expect(page.locator("#ticket-code")).to_have_text("A002")
        expect(page.locator("#ticket-position")).to_contain_text("1")
        expect(page.locator("#ticket-called")).to_be_hidden()
        page.wait_for_function("() => document.querySelector('#ticket-connection').textContent === ''")
        page.evaluate("() => { window.__loaded = true; }")  # gone if the page reloads

        session = sign_in(clerk_a, office_a, "Platz 1", [lines["a"]])
        assert counters.call_next(session).pk == ahead.pk
        expect(page.locator("#ticket-position")).to_have_text(re.compile("next in line|Sie sind als Nächste"))

        assert counters.call_next(session).pk == mine.pk
        expect(page.locator("#ticket-called")).to_be_visible()
        expect(page.locator("#ticket-called-text")).to_contain_text("Platz 1")
        expect(page.locator("#ticket")).to_have_attribute("data-state", "called")
        assert page.evaluate("() => window.__loaded === true"), "the page reloaded instead of updating live"
        assert not [e for e in errors if "Content Security Policy" in e], errors
    finally:
        context.close()

    # axe needs to inject its script, which the CSP rightly blocks: a second context without it.
    axe_context = new_context(browser, asgi_url, viewport, bypass_csp=True)
    try:
        axe_page = axe_context.new_page()
        axe_page.goto(path)
        expect(axe_page.locator("#ticket-called")).to_be_visible()
        assert_no_axe_violations(axe_page)
        later = tickets.draw_ticket(office_a, lines["a"], source=TicketSource.KIOSK)
        axe_page.goto(f"/warteschlange/ticket/{later.public_id}/")  # waiting: the alert form and actions
        expect(axe_page.locator("#alert-form")).to_be_visible()
        assert_no_axe_violations(axe_page)
        counters.finish(session)
        axe_page.goto(f"/warteschlange/ticket/{mine.public_id}/")  # done
        assert_no_axe_violations(axe_page)
        axe_page.goto(f"/warteschlange/{office_a.municipality.slug}/{office_a.slug}/ziehen/")
        assert_no_axe_violations(axe_page)
    finally:
        axe_context.close()
