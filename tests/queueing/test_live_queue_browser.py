"""The live queue end to end in a real Chromium, four browsers at once: the ticket machine draws a
number, the call display and the citizen's phone watch, a clerk calls the number from the counter
console — and the display and the phone show the call within a second, the phone's push service
receives the call as a Web Push message whose VAPID signature it verified and whose payload it
decrypted. Every page passes axe.
"""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest
import time_machine
from playwright.sync_api import Browser, BrowserContext, Page, expect

from buergerbuero.core.outbox import dispatch_due
from buergerbuero.core.tenancy import scopes_disabled
from buergerbuero.notifications import webpush
from buergerbuero.queueing import links
from buergerbuero.queueing.models import Ticket
from tests.catalog.test_backoffice_browser import sign_in
from tests.harness.axe import assert_no_axe_violations
from tests.harness.browser import DESKTOP, PHONE, new_context
from tests.harness.clock import FIXED_NOW
from tests.harness.push_service import PushService
from tests.queueing.factories import queue_office

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

#: Milliseconds from the clerk's key press to the call on the display and on the phone.
CALL_SECOND_MS = 1000

WATCH_CALL = """([selector, code]) => {
    window.__calledAt = null;
    new MutationObserver(() => {
        const shown = document.querySelector(selector);
        if (window.__calledAt === null && shown && shown.textContent.includes(code)) {
            window.__calledAt = Date.now();
        }
    }).observe(document.body, {subtree: true, childList: true, characterData: true, attributes: true});
}"""


@pytest.fixture(autouse=True)
def office_hours() -> Iterator[None]:
    with time_machine.travel(FIXED_NOW, tick=True):
        yield


@pytest.fixture
def contexts(browser: Browser, asgi_server: str) -> Iterator[dict[str, BrowserContext]]:
    # axe is injected as a script, which the strict CSP would refuse.
    made = {
        "kiosk": new_context(browser, asgi_server, DESKTOP, bypass_csp=True),
        "clerk": new_context(browser, asgi_server, DESKTOP, bypass_csp=True),
        "phone": new_context(browser, asgi_server, PHONE, bypass_csp=True),
    }
    yield made
    for context in made.values():
        context.close()


def watch(page: Page, selector: str, code: str) -> None:
    page.evaluate(WATCH_CALL, [selector, code])


def called_after(page: Page, pressed_at: float) -> float:
    page.wait_for_function("() => window.__calledAt !== null", timeout=10_000)
    return float(page.evaluate("() => window.__calledAt")) - pressed_at


def test_a_number_drawn_at_the_kiosk_is_called_live_on_the_display_and_the_phone(
    contexts: dict[str, BrowserContext], office_a, clerk_a, push_service: PushService
) -> None:
    queue_office(office_a)
    base = f"/warteschlange/{office_a.municipality.slug}/{office_a.slug}"

    # The ticket machine in the entrance hall draws A001 and prints it.
    kiosk = contexts["kiosk"].new_page()
    kiosk.add_init_script("window.print = () => {};")
    kiosk.goto(f"{base}/kiosk/?key={links.kiosk_key(office_a)}")
    assert_no_axe_violations(kiosk)
    kiosk.get_by_role("button", name="Pass und Ausweis").click()
    expect(kiosk.locator("#ticket-number")).to_have_text("A001")
    assert_no_axe_violations(kiosk)
    with scopes_disabled():
        ticket = Ticket.objects.get(office=office_a, prefix="A", number=1)

    # The waiting room's screen, in the same hall.
    display = contexts["kiosk"].new_page()
    display.goto(f"{base}/anzeige/")
    display.wait_for_selector("#display[data-connected='true']")
    assert_no_axe_violations(display)

    # The citizen scanned the QR code on the ticket; the phone subscribes to Web Push.
    phone = contexts["phone"].new_page()
    phone.goto(links.ticket_url(ticket, absolute=False))
    expect(phone.locator("#ticket-code")).to_have_text("A001")
    assert_no_axe_violations(phone)
    subscriber = push_service.subscribe(webpush.vapid_public_key())
    status = phone.evaluate(
        """async subscription => {
            const root = document.querySelector("[data-push-url]");
            const token = document.querySelector("input[name=csrfmiddlewaretoken]").value;
            const response = await fetch(root.getAttribute("data-push-url"), {
                method: "POST", credentials: "same-origin", body: JSON.stringify(subscription),
                headers: {"Content-Type": "application/json", "X-CSRFToken": token}});
            return response.status;
        }""",
        subscriber.subscription,
    )
    assert status == 201

    # The clerk signs in at Platz 1 and calls the next number with the keyboard.
    clerk = contexts["clerk"].new_page()
    sign_in(clerk, clerk_a)
    clerk.goto(f"/backoffice/{office_a.municipality.slug}/warteschlange/{office_a.slug}/schalter/")
    clerk.locator("#id_schalter").select_option(label="Platz 1")
    clerk.locator("#sign-in-form button[type=submit]").click()
    expect(clerk.locator("#current-code")).to_be_visible()
    assert_no_axe_violations(clerk)

    watch(display, "[data-current] [data-ticket]", "A001")
    watch(phone, "#ticket-called-text", "Platz 1")
    pressed_at = float(clerk.evaluate("() => Date.now()"))
    clerk.keyboard.press("n")

    on_display = called_after(display, pressed_at)
    on_phone = called_after(phone, pressed_at)
    expect(clerk.locator("#current-code")).to_have_text("A001")
    assert on_display < CALL_SECOND_MS and on_phone < CALL_SECOND_MS, (on_display, on_phone)
    expect(display.locator("[data-current] [data-counter]")).to_have_text("Platz 1")
    expect(phone.locator("#ticket-called")).to_be_visible()
    assert_no_axe_violations(display)
    assert_no_axe_violations(phone)

    # The call went out as Web Push too: the push service verified VAPID and decrypted it.
    assert dispatch_due().sent >= 1
    (delivery,) = push_service.wait_for_deliveries(1)
    assert push_service.rejections == []
    assert delivery.payload["title"] == "A001: Sie sind an der Reihe"
    assert "Platz 1" in delivery.payload["body"]
    assert delivery.payload["url"].endswith(links.ticket_url(ticket, absolute=False))
    assert json.loads(json.dumps(delivery.claims))["aud"] == push_service.origin
