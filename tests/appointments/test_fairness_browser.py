"""pow.js in a real Chromium under the site's CSP: it solves the challenge, the server accepts the
payload once, an early submit waits for the work, a broken challenge does not block the form.
(Chromium with JavaScript off still parses <noscript> as text, so the no-JS note is checked in
test_fairness_include.py.)

The page is the include inside a bare form, served on the live server's origin through a Playwright
route (the booking pages that use it are tested with the booking flow).
"""

from __future__ import annotations

import base64
import datetime as dt
import json
import urllib.parse
from typing import Any

import pytest
from altcha import v1 as altcha_v1
from django.template import Context, Template
from django.utils import timezone, translation
from playwright.sync_api import Page, Route, expect
from pytest_django.fixtures import Settings as SettingsWrapper

from buergerbuero.appointments import fairness
from buergerbuero.core.middleware import content_security_policy
from tests.harness.axe import assert_no_axe_violations

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

FORM = Template(
    "{% load i18n %}<!doctype html><html lang='en'><head><meta charset='utf-8'><title>Test</title></head>"
    "<body><main><h1>Reserve</h1>"
    '<form method="post" action="/pow-submit/" data-altcha data-altcha-challenge="{{ altcha_challenge_json }}">'
    '<label for="name">Name</label><input id="name" name="name" value="Anna">'
    '{% include "appointments/includes/altcha_fields.html" %}'
    '<button type="submit" name="action" value="reserve">Reserve</button>'
    "</form></main></body></html>"
)


def serve_form(page: Page, challenge: str) -> list[dict[str, list[str]]]:
    """Serve the form at /pow-test/ with the site's CSP; return the list the posted forms land in."""
    with translation.override("en"):
        html = FORM.render(Context({"altcha_challenge_json": challenge}))
    posted: list[dict[str, list[str]]] = []

    def form_page(route: Route) -> None:
        route.fulfill(
            status=200,
            content_type="text/html; charset=utf-8",
            headers={"Content-Security-Policy": content_security_policy()},
            body=html,
        )

    def submit(route: Route) -> None:
        posted.append(urllib.parse.parse_qs(route.request.post_data or "", keep_blank_values=True))
        route.fulfill(status=200, content_type="text/html", body="<!doctype html><title>ok</title><p>sent</p>")

    page.route("**/pow-test/", form_page)
    page.route("**/pow-submit/", submit)
    return posted


def slow_challenge(maxnumber: int) -> str:
    """A challenge whose answer is the last number tried, so solving takes the whole range."""
    challenge = altcha_v1.create_challenge(
        altcha_v1.ChallengeOptions(
            algorithm="SHA-256",
            max_number=maxnumber,
            number=maxnumber,
            hmac_key="browser-test-key",
            expires=timezone.now() + dt.timedelta(minutes=10),
        )
    )
    fields: dict[str, Any] = challenge.to_dict()
    fields["maxnumber"] = fields.pop("maxNumber")
    return json.dumps(fields)


def test_it_solves_the_challenge_and_the_server_accepts_it_once(page: Page, settings: SettingsWrapper) -> None:
    settings.ALTCHA_MAX_NUMBER = 20_000
    posted = serve_form(page, fairness.challenge_json())
    messages: list[str] = []
    page.on("console", lambda message: messages.append(message.text))

    page.goto("/pow-test/")
    expect(page.locator("[data-altcha-status]")).to_have_text("Security check done.")
    page.get_by_role("button", name="Reserve").click()
    page.wait_for_url("**/pow-submit/")

    (form,) = posted
    assert form["name"] == ["Anna"] and form["action"] == ["reserve"]
    payload = form["altcha"][0]
    assert set(json.loads(base64.b64decode(payload))) == {
        "algorithm",
        "challenge",
        "number",
        "salt",
        "signature",
        "took",
    }
    assert fairness.verify_solution(payload) is True
    assert fairness.verify_solution(payload) is False
    assert not [m for m in messages if "Content Security Policy" in m]


def test_an_early_submit_waits_for_the_check_and_then_goes_out_by_itself(page: Page, settings: SettingsWrapper) -> None:
    settings.ALTCHA_HMAC_KEY = "browser-test-key"
    posted = serve_form(page, slow_challenge(100_000))

    page.goto("/pow-test/")
    page.get_by_role("button", name="Reserve").click()
    expect(page.locator("[data-altcha-status]")).to_have_text(
        "Almost done: your request is sent as soon as the security check is finished."
    )
    assert posted == []  # held back while the work runs

    page.wait_for_url("**/pow-submit/", timeout=60_000)
    (form,) = posted
    assert form["action"] == ["reserve"]  # the pressed button still counts
    assert fairness.verify_solution(form["altcha"][0]) is True


def test_the_page_stays_responsive_while_solving(page: Page, settings: SettingsWrapper) -> None:
    settings.ALTCHA_HMAC_KEY = "browser-test-key"
    serve_form(page, slow_challenge(100_000))

    page.goto("/pow-test/")
    expect(page.locator("[data-altcha-status]")).to_have_text("Running a short security check in your browser …")
    page.get_by_label("Name").fill("Bernd Beispiel")  # input is handled between chunks

    expect(page.get_by_label("Name")).to_have_value("Bernd Beispiel")
    assert page.locator("[data-altcha-progress]").is_visible()


def test_a_broken_challenge_does_not_block_the_form(page: Page) -> None:
    posted = serve_form(page, "{not json")

    page.goto("/pow-test/")
    expect(page.locator("[data-altcha-status]")).to_contain_text("could not run the security check")
    page.get_by_role("button", name="Reserve").click()
    page.wait_for_url("**/pow-submit/")

    assert posted[0]["altcha"] == [""]
    assert fairness.verify_solution(posted[0]["altcha"][0]) is False


def test_the_fields_are_accessible_while_and_after_solving(axe_page: Page, settings: SettingsWrapper) -> None:
    settings.ALTCHA_MAX_NUMBER = 20_000
    serve_form(axe_page, fairness.challenge_json())

    axe_page.goto("/pow-test/")
    expect(axe_page.locator("[data-altcha-status]")).to_have_attribute("aria-live", "polite")
    expect(axe_page.locator("[data-altcha-status]")).to_have_text("Security check done.")

    assert_no_axe_violations(axe_page)
