"""The office page's "best time to come" in Chromium on a phone: axe finds nothing, the CSP holds (no inline
styles in the SVG), the chart fits and its table opens."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import time_machine
from playwright.sync_api import Browser, expect

from buergerbuero.queueing.constants import TicketSource
from buergerbuero.queueing.services import tickets
from buergerbuero.tenants.models import Office
from tests.analytics.test_besttime_office_page import forecast_slots
from tests.harness.axe import assert_no_axe_violations
from tests.harness.browser import PHONE, new_context
from tests.harness.clock import FIXED_NOW
from tests.queueing.factories import queue_office, sign_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture(autouse=True)
def office_hours() -> Iterator[None]:
    with time_machine.travel(FIXED_NOW, tick=True):
        yield


@pytest.fixture
def office_with_forecast(office_a: Office, clerk_a) -> Office:
    lines = queue_office(office_a)
    sign_in(clerk_a, office_a, "Platz 1", [lines["a"]])
    tickets.draw_ticket(office_a, lines["a"], source=TicketSource.KIOSK)
    forecast_slots(office_a, FIXED_NOW.date())
    return office_a


def test_the_best_time_section_passes_axe_and_the_csp(
    browser: Browser, asgi_server: str, office_with_forecast: Office
) -> None:
    page = new_context(browser, asgi_server, PHONE).new_page()
    csp_errors: list[str] = []
    page.on("console", lambda m: csp_errors.append(m.text) if "Content Security Policy" in m.text else None)
    page.goto("/warteschlange/kaarst/rathaus/")
    section = page.locator("#best-time")
    expect(section.locator("figure.chart")).to_have_count(2)
    svg = section.locator("svg.chart__svg").first
    expect(svg).to_be_visible()
    box = svg.bounding_box()
    assert box is not None and box["width"] <= PHONE["width"]
    assert page.evaluate("() => getComputedStyle(document.querySelector('.chart__svg')).maxWidth") == "100%"
    table = section.locator("details.chart__data table").first
    expect(table).to_be_hidden()
    section.locator("details.chart__data summary").first.click()
    expect(table).to_be_visible()
    expect(table.locator("tbody tr")).to_have_count(5)
    assert csp_errors == []
    page.context.close()

    axe = new_context(browser, asgi_server, PHONE, bypass_csp=True).new_page()
    axe.goto("/warteschlange/kaarst/rathaus/")
    axe.locator("#best-time details.chart__data summary").first.click()
    axe.locator("#best-time details.best-time__how summary").click()
    assert_no_axe_violations(axe)
    axe.context.close()
