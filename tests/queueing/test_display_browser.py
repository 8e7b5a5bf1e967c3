"""The call display and the ticket machine in a real Chromium, served by a real ASGI server.

The pages are served by the harness's ``asgi_server`` (uvicorn in a thread of the test process, on
the test database; static files through WhiteNoise), because the live stream needs ASGI. The clock
is set to Tuesday 17 November 2026, 09:30 and ticks on, so the office is open while the test runs.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

import pytest
import time_machine
from playwright.sync_api import Browser, BrowserContext, Page

from buergerbuero.core.tenancy import scopes_disabled
from buergerbuero.queueing import links
from buergerbuero.queueing.constants import TicketSource
from buergerbuero.queueing.models import QueueSettings
from buergerbuero.queueing.services import counters, tickets
from tests.harness.axe import assert_no_axe_violations
from tests.harness.browser import DESKTOP, new_context
from tests.harness.clock import FIXED_NOW
from tests.queueing.factories import queue_office, sign_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

DISPLAY = "/warteschlange/kaarst/rathaus/anzeige/"
KIOSK = "/warteschlange/kaarst/rathaus/kiosk/"


@pytest.fixture(autouse=True)
def office_hours() -> Iterator[None]:
    with time_machine.travel(FIXED_NOW, tick=True):
        yield


@pytest.fixture
def screen(browser: Browser, asgi_server: str) -> Iterator[BrowserContext]:
    context = new_context(browser, asgi_server, DESKTOP)
    yield context
    context.close()


@pytest.fixture
def axe_screen(browser: Browser, asgi_server: str) -> Iterator[BrowserContext]:
    context = new_context(browser, asgi_server, DESKTOP, bypass_csp=True)
    yield context
    context.close()


def csp_errors(page: Page) -> list[str]:
    errors: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if "Content Security Policy" in m.text else None)
    return errors


def open_display(context: BrowserContext) -> Page:
    page = context.new_page()
    page.goto(DISPLAY)
    page.wait_for_selector("#display[data-connected='true']")
    return page


def current_ticket(page: Page) -> str:
    return str(page.locator("[data-current] [data-ticket]").text_content())


def test_it_shows_a_call_from_the_counter_within_a_second(screen, office_a, clerk_a):
    lines = queue_office(office_a)
    waiting = [tickets.draw_ticket(office_a, lines["a"], source=TicketSource.KIOSK) for _ in range(2)]
    session = sign_in(clerk_a, office_a, "Platz 1", [lines["a"]])
    page = screen.new_page()
    errors = csp_errors(page)
    page.goto(DISPLAY)
    page.wait_for_selector("#display[data-connected='true']")
    assert page.locator("[data-current]").is_hidden()

    for ticket in waiting:
        started = time.monotonic()
        counters.call_next(session)
        page.wait_for_function(
            "code => document.querySelector('[data-current] [data-ticket]').textContent === code",
            arg=ticket.code,
            timeout=5000,
        )
        assert time.monotonic() - started < 1.0
    assert page.locator("[data-current] [data-counter]").text_content() == "Platz 1"
    assert page.locator("[data-previous] [data-call]:not([hidden]) [data-ticket]").all_text_contents() == ["A001"]
    row = page.locator("[data-line='a']")
    assert row.locator("[data-waiting]").text_content() == "0"
    assert errors == []


def test_it_keeps_its_page_and_memory_flat_over_2000_updates(screen, office_a):
    queue_office(office_a, spoken_calls=True)
    page = open_display(screen)
    if page.locator("[data-sound]").is_visible():
        page.locator("[data-sound]").click()
    cdp = screen.new_cdp_session(page)

    feed = """([from, count]) => {
      const lines = [
        {key: "a", name: "Pass und Ausweis", prefix: "A", waiting: 0, stopped: false,
         walk_in: {estimate: 10, low: 5, high: 20}},
        {key: "k", name: "Kfz", prefix: "K", waiting: 0, stopped: false,
         walk_in: {estimate: null, low: null, high: null}}];
      const start = Date.parse("2026-11-17T08:30:00Z");
      for (let n = from; n < from + count; n++) {
        const calls = [];
        for (let i = 0; i < 8 && n - i > 0; i++) {
          calls.push({ticket: "A" + String(n - i).padStart(3, "0"), counter: "Platz " + (1 + (n - i) % 3),
                      at: new Date(start + (n - i) * 1000).toISOString(), state: "called", recalls: 0});
        }
        lines[0].waiting = n % 17;
        lines[1].stopped = n % 5 === 0;
        window.buergerbueroDisplay.receive(JSON.stringify({
          version: n, generated_at: new Date(start + n * 1000).toISOString(),
          status: n % 50 === 0 ? "ticket_stop" : "open", stop_reason: n % 50 === 0 ? "Störung" : "",
          lines: lines, calls: calls}));
      }
    }"""

    def heap() -> float:
        cdp.send("HeapProfiler.collectGarbage")
        cdp.send("HeapProfiler.collectGarbage")
        return float(cdp.send("Runtime.getHeapUsage")["usedSize"])

    def nodes() -> int:
        return int(page.evaluate("document.getElementsByTagName('*').length"))

    page.evaluate(feed, [1, 200])  # warm up: code compiled, caches filled
    nodes_before, heap_before = nodes(), heap()
    for batch in range(10):
        page.evaluate(feed, [201 + batch * 200, 200])
    nodes_after, heap_after = nodes(), heap()

    assert current_ticket(page) == "A2200"
    assert nodes_after == nodes_before
    assert heap_after - heap_before < 256 * 1024, (heap_before, heap_after)
    assert page.locator("[data-previous] [data-call]:not([hidden])").count() == 5


def test_it_draws_a_ticket_at_the_kiosk_and_prints_it(screen, office_a):
    queue_office(office_a)
    page = screen.new_page()
    errors = csp_errors(page)
    page.add_init_script("window.print = () => { window.__printed = (window.__printed || 0) + 1; };")
    page.goto(f"{KIOSK}?key={links.kiosk_key(office_a)}")
    assert page.url.endswith(KIOSK)  # the key left the address
    page.locator("label[for='kiosk-accessibility']").click()  # the big switch is the label
    assert page.locator("#kiosk-accessibility").is_checked()
    page.get_by_role("button", name="Pass und Ausweis").click()
    page.wait_for_selector("#ticket-number")
    assert page.locator("#ticket-number").text_content() == "A001"
    page.wait_for_function("() => window.__printed === 1")
    assert errors == []
    with scopes_disabled():
        assert office_a.tickets.get().needs_accessibility


def test_it_refuses_the_kiosk_in_a_browser_that_was_not_set_up(screen, office_a):
    queue_office(office_a)
    response = screen.new_page().goto(KIOSK)
    assert response is not None and response.status == 403


def test_it_shows_the_ticket_stop_and_passes_axe_on_the_display(axe_screen, office_a, clerk_a):
    lines = queue_office(office_a)
    tickets.draw_ticket(office_a, lines["a"], source=TicketSource.KIOSK)
    counters.call_next(sign_in(clerk_a, office_a, "Platz 1", [lines["a"]]))
    page = open_display(axe_screen)
    assert current_ticket(page) == "A001"
    assert_no_axe_violations(page)

    with scopes_disabled():
        QueueSettings.objects.filter(office=office_a).update(stopped_on=FIXED_NOW.date(), stop_reason="Störung")
    page.reload()
    page.wait_for_selector("#display[data-connected='true']")
    assert "Störung" in str(page.locator("[data-status]").text_content())
    assert_no_axe_violations(page)


def test_it_passes_axe_on_the_kiosk_and_the_ticket(axe_screen, office_a):
    queue_office(office_a)
    page: Any = axe_screen.new_page()
    page.add_init_script("window.print = () => {};")
    page.goto(f"{KIOSK}?key={links.kiosk_key(office_a)}")
    assert_no_axe_violations(page)
    page.get_by_role("button", name="Kfz").click()
    page.wait_for_selector("#ticket-number")
    assert_no_axe_violations(page)
    page.emulate_media(media="print")
    assert page.locator(".kiosk-ticket__back").is_hidden()  # the print shows only the ticket
