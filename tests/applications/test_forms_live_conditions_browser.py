"""conditions.js in a real Chromium under the site's CSP: the company name appears as soon as the citizen
chooses "Unternehmen" (no round trip), disappears and is not posted when they go back to "Privatperson";
axe finds nothing either way; without JavaScript the server still shows the field after "Weiter"."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from uuid import UUID

import pytest
from playwright.sync_api import Browser, Page, Request, ViewportSize, expect
from pytest_django import Settings

from buergerbuero.applications.models import Draft
from buergerbuero.core.tenancy import scopes_disabled
from buergerbuero.tenants.models import Municipality
from tests.applications.factories import online_service
from tests.harness.axe import assert_no_axe_violations
from tests.harness.browser import new_context

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

NEXT = re.compile("^(Weiter|Next)$")
COMPANY_NAME = "Name des Unternehmens"


@pytest.fixture
def portal(
    live_server: Any, use_oidc_provider: str, settings: Settings, tmp_path: Path, municipality_a: Municipality
) -> Iterator[str]:
    settings.SITE_URL = live_server.url
    settings.PRIVATE_MEDIA_ROOT = tmp_path
    with scopes_disabled():
        online_service(municipality_a)
    yield live_server.url


def log_in_and_start(page: Page) -> str:
    """Log in through the local identity provider, start the sample application; the person step's URL."""
    page.goto("/konto/anmelden/")
    page.get_by_role("button", name="Mit BundID anmelden").click()
    page.get_by_role("button", name="jonas.schmitz").click()
    page.wait_for_url("**/konto/")
    page.goto("/antraege/probeantrag/")
    page.locator("main form button[type=submit]").click()
    page.wait_for_url("**/person/")
    return page.url


def draft_of(url: str) -> Draft:
    draft_id = UUID(url.rstrip("/").split("/")[-2])
    return Draft.objects.get(public_id=draft_id)


def fill_person(page: Page) -> None:
    page.get_by_label("Vorname").fill("Jonas")
    page.get_by_label("Familienname").fill("Schmitz")
    page.get_by_label("E-Mail").fill("jonas@example.org")


def test_the_company_name_follows_the_legal_form_without_a_round_trip(
    browser: Browser, page: Page, portal: str, viewport: ViewportSize
) -> None:
    console: list[str] = []
    page.on("console", lambda message: console.append(message.text))
    page.on("pageerror", lambda error: console.append(str(error)))
    step_url = log_in_and_start(page)
    company = page.get_by_label(COMPANY_NAME, exact=False)
    expect(page.get_by_role("radio", name="Privatperson")).to_be_visible()
    expect(company).to_be_hidden()  # nothing chosen yet
    expect(company).to_be_disabled()  # hidden inputs are not posted

    documents: list[str] = []
    posts: list[Request] = []
    page.on("request", lambda request: documents.append(request.url) if request.resource_type == "document" else None)
    page.on("request", lambda request: posts.append(request) if request.method == "POST" else None)

    page.get_by_role("radio", name="Unternehmen").check()
    expect(company).to_be_visible()
    expect(company).to_be_enabled()
    assert documents == []  # no round trip
    assert page.evaluate("() => document.activeElement && document.activeElement.value") == "company"
    company.fill("Schmitz Feinkost GmbH")

    page.get_by_role("radio", name="Privatperson").check()
    expect(company).to_be_hidden()
    expect(company).to_be_disabled()
    assert documents == []
    fill_person(page)

    # Accessible in both states (axe needs a context that lets it inject its script).
    axe = new_context(browser, portal, viewport, bypass_csp=True)
    axe.add_cookies(page.context.cookies())
    axe_page = axe.new_page()
    axe_page.goto(step_url)
    expect(axe_page.get_by_label(COMPANY_NAME)).to_be_hidden()
    assert_no_axe_violations(axe_page)
    axe_page.get_by_role("radio", name="Unternehmen").check()
    expect(axe_page.get_by_label(COMPANY_NAME)).to_be_visible()
    assert_no_axe_violations(axe_page)
    axe.close()

    # As a private person the hidden company name is not submitted at all.
    page.get_by_role("button", name=NEXT).click()
    page.wait_for_url("**/adresse/")
    person_post = posts[-1]
    assert "person.rechtsform=person" in (person_post.post_data or "")
    assert "firmenname" not in (person_post.post_data or "")
    draft = draft_of(step_url)
    assert draft.data["person"]["rechtsform"] == "person"
    assert "firmenname" not in draft.data["person"]

    # Back on the step, as a company: the field comes back empty and is posted and saved.
    page.goto(step_url)
    expect(company).to_be_hidden()
    expect(company).to_have_value("")
    page.get_by_role("radio", name="Unternehmen").check()
    company.fill("Schmitz Feinkost GmbH")
    page.get_by_role("button", name=NEXT).click()
    page.wait_for_url("**/adresse/")
    assert "person.firmenname=Schmitz+Feinkost+GmbH" in (posts[-1].post_data or "")
    draft.refresh_from_db()
    assert draft.data["person"]["firmenname"] == "Schmitz Feinkost GmbH"
    page.goto(step_url)
    expect(company).to_be_visible()
    expect(company).to_have_value("Schmitz Feinkost GmbH")

    problems = [text for text in console if "Content Security Policy" in text or "Error" in text]
    assert problems == []


def test_without_javascript_the_server_shows_the_field_after_next(
    browser: Browser, portal: str, viewport: ViewportSize
) -> None:
    context = new_context(browser, portal, viewport, java_script_enabled=False)
    page = context.new_page()
    log_in_and_start(page)
    company = page.get_by_label(COMPANY_NAME)
    expect(company).to_be_hidden()
    fill_person(page)
    page.get_by_role("radio", name="Unternehmen").check()
    expect(company).to_be_hidden()  # nothing runs in the page
    page.get_by_role("button", name=NEXT).click()
    expect(page.locator(".error-summary")).to_contain_text(COMPANY_NAME)
    expect(company).to_be_visible()
    expect(company).to_be_enabled()
    company.fill("Schmitz Feinkost GmbH")
    page.get_by_role("button", name=NEXT).click()
    page.wait_for_url("**/adresse/")
    context.close()
