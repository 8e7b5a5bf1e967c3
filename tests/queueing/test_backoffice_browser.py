"""The counter console in a real Chromium: signed in, driven by its keyboard shortcuts, updated live
from the office's stream, and accessible (axe)."""

from __future__ import annotations

import json

import pytest
from playwright.sync_api import Page, Route, expect

from buergerbuero.accounts.models import User
from buergerbuero.core.tenancy import scopes_disabled
from buergerbuero.queueing.constants import TicketSource, TicketState
from buergerbuero.queueing.models import Ticket
from buergerbuero.queueing.services import tickets
from buergerbuero.tenants.models import Office
from tests.catalog.test_backoffice_browser import sign_in
from tests.harness.axe import assert_no_axe_violations
from tests.harness.browser import DESKTOP
from tests.queueing.factories import queue_office

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("clock")]


@pytest.fixture
def viewport() -> object:
    return DESKTOP  # the console is a desk tool


def live_state(waiting_a: int, ticket_at_platz_1: str | None) -> str:
    """An office stream answer as ``queueing:office-stream`` sends it (one ``state`` event)."""
    state = {
        "version": 1,
        "status": "open",
        "waiting": waiting_a,
        "lines": [
            {
                "key": "a",
                "name": "Pass und Ausweis",
                "prefix": "A",
                "waiting": waiting_a,
                "stopped": False,
                "walk_in": {"estimate": 30, "low": 20, "high": 45},
            },
            {
                "key": "k",
                "name": "Kfz",
                "prefix": "K",
                "waiting": 0,
                "stopped": False,
                "walk_in": {"estimate": 5, "low": 0, "high": 10},
            },
        ],
        "counters": [{"name": "Platz 1", "paused": False, "lines": ["a"], "ticket": ticket_at_platz_1}],
        "calls": [],
        "tickets": {},
    }
    return f"retry: 60000\nevent: state\ndata: {json.dumps(state)}\n\n"


def test_the_clerk_drives_the_console_by_keyboard_and_sees_the_queue_live(
    axe_page: Page, clerk_a: User, office_a: Office
) -> None:
    lines = queue_office(office_a)
    for _ in range(2):
        tickets.draw_ticket(office_a, lines["a"], source=TicketSource.KIOSK)
    page = axe_page
    # The stream is the event bus's (tested in test_stream.py); here it answers with a known state,
    # so the test sees the console apply it. The WSGI live server cannot hold an SSE stream open.
    stream: dict[str, str] = {"body": live_state(2, None)}

    def answer(route: Route) -> None:
        route.fulfill(status=200, content_type="text/event-stream", body=stream["body"])

    page.route("**/warteschlange/kaarst/rathaus/live/", answer)
    sign_in(page, clerk_a)
    console = f"/backoffice/{office_a.municipality.slug}/warteschlange/{office_a.slug}/schalter/"

    page.goto(console)
    assert_no_axe_violations(page)
    page.locator("#id_schalter").select_option(label="Platz 1")
    page.locator("#sign-in-form button[type=submit]").click()
    expect(page.locator("#current-code")).to_be_visible()
    assert_no_axe_violations(page)

    page.keyboard.press("n")  # call next
    expect(page.locator("#current-code")).to_have_text("A001")
    assert_no_axe_violations(page)
    page.keyboard.press("w")  # call again
    expect(page.locator("#current-recalls")).to_contain_text("1")
    page.keyboard.press("d")  # citizen is here
    expect(page.locator("#current-state")).to_have_text(str(TicketState.SERVING.label))
    page.keyboard.press("f")  # done
    expect(page.locator("#current-code")).not_to_have_text("A001")
    with scopes_disabled():
        done = Ticket.objects.get(office=office_a, prefix="A", number=1)
    assert done.state == TicketState.DONE and done.recalls == 1

    # Live: the stream says seven are waiting in line A and another ticket is at this counter.
    stream["body"] = live_state(7, "A099")
    page.reload()
    expect(page.locator('[data-line="a"] [data-line-waiting]')).to_have_text("7")
    expect(page.locator("[data-my-waiting]")).to_have_text("7")
    expect(page.locator("[data-stale]")).to_be_visible()
    assert_no_axe_violations(page)

    page.goto(f"/backoffice/{office_a.municipality.slug}/warteschlange/{office_a.slug}/")
    expect(page.locator('[data-line="a"] [data-line-estimate]')).to_have_text("20–45 Min.")
    assert_no_axe_violations(page)
