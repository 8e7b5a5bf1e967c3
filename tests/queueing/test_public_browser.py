"""The occupancy page and an office's live page in Chromium: axe finds nothing, the CSP holds, and the
office page follows the SSE stream (a ticket drawn and one called show up without a reload).

Django's ``live_server`` (WSGI) cannot stream SSE, so the harness's ``asgi_server`` (uvicorn in a
thread of the test process) serves the pages. The clock is set to
Tuesday 17 November 2026, 09:30 and ticks on, so the office is open.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import time_machine
from playwright.sync_api import Browser, Page, expect

from buergerbuero.core.tenancy import scopes_disabled
from buergerbuero.queueing.constants import TicketSource
from buergerbuero.queueing.models import CounterSession
from buergerbuero.queueing.services import counters, tickets
from buergerbuero.tenants.models import Office
from tests.catalog.factories import ServiceFactory
from tests.harness.axe import assert_no_axe_violations
from tests.harness.browser import PHONE, new_context
from tests.harness.clock import FIXED_NOW
from tests.queueing.factories import queue_office, sign_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture(autouse=True)
def office_hours() -> Iterator[None]:
    with time_machine.travel(FIXED_NOW, tick=True):
        yield


def _page(browser: Browser, server: str, *, bypass_csp: bool = False) -> Page:
    return new_context(browser, server, PHONE, bypass_csp=bypass_csp).new_page()


@pytest.fixture
def queues(office_a: Office, office_b: Office, clerk_a) -> dict:
    lines = queue_office(office_a)
    queue_office(office_b)
    with scopes_disabled():
        lines["a"].services.add(ServiceFactory(slug="personalausweis", name_de="Personalausweis beantragen"))
    sign_in(clerk_a, office_a, "Platz 1", [lines["a"], lines["k"]])
    tickets.draw_ticket(office_a, lines["a"], source=TicketSource.KIOSK)
    return lines


def test_it_passes_axe_on_the_occupancy_and_office_pages(browser: Browser, asgi_server: str, queues: dict) -> None:
    page = _page(browser, asgi_server, bypass_csp=True)
    page.goto("/warteschlange/")
    expect(page.locator(".occupancy-office")).to_have_count(2)
    assert_no_axe_violations(page)
    page.select_option("#leistung", "personalausweis")
    page.locator(".occupancy-filter button").click()
    page.wait_for_url("**leistung=personalausweis**")
    expect(page.locator(".occupancy-office")).to_have_count(1)
    assert_no_axe_violations(page)
    page.locator(".occupancy-office__name a").click()
    page.wait_for_url("**/warteschlange/kaarst/rathaus/")
    assert_no_axe_violations(page)
    page.context.close()


def test_it_updates_the_office_page_live_from_the_stream(
    browser: Browser, asgi_server: str, queues: dict, office_a: Office
) -> None:
    page = _page(browser, asgi_server)
    csp_errors: list[str] = []
    page.on("console", lambda m: csp_errors.append(m.text) if "Content Security Policy" in m.text else None)
    page.goto("/warteschlange/kaarst/rathaus/")
    waiting = page.locator('[data-field="waiting"]')
    expect(waiting).to_have_text("1")
    page.wait_for_function("() => document.getElementById('queue-office').dataset.version !== undefined")

    second = tickets.draw_ticket(office_a, queues["a"], source=TicketSource.KIOSK)
    expect(waiting).to_have_text("2", timeout=5_000)
    with scopes_disabled():
        session = CounterSession.objects.get(counter__office=office_a, ended_at__isnull=True)
    first = counters.call_next(session)
    assert first is not None and first.pk != second.pk
    expect(waiting).to_have_text("1", timeout=5_000)
    expect(page.locator('[data-field="calls"] li').first).to_contain_text(f"{first.code} zu Platz 1")
    assert csp_errors == []
    page.context.close()


def test_it_refreshes_the_occupancy_list_without_a_reload(
    browser: Browser, asgi_server: str, queues: dict, office_a: Office
) -> None:
    page = _page(browser, asgi_server)
    page.clock.install()
    page.goto("/warteschlange/")
    page.evaluate("() => { document.getElementById('occupancy-list').dataset.marker = 'same page'; }")
    page.clock.run_for(31_000)
    page.wait_for_function("() => document.getElementById('occupancy-list').dataset.refreshedAt !== undefined")
    assert page.evaluate("() => document.getElementById('occupancy-list').dataset.marker") == "same page"
    page.context.close()
