"""The checklist in a real Chromium: accessible questionnaire, errors and result; works without JavaScript."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, ViewportSize, expect

from buergerbuero.catalog.models import Service
from buergerbuero.core.tenancy import scopes_disabled
from buergerbuero.tenants.models import Municipality
from tests.catalog.factories import DocumentRequirementFactory, ServiceFactory, ServiceOfferingFactory
from tests.catalog.test_checklist_pages import QUESTIONS
from tests.harness.axe import assert_no_axe_violations
from tests.harness.browser import DESKTOP, PHONE

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

VIEWPORTS = pytest.mark.parametrize("viewport", [PHONE, DESKTOP], ids=["phone", "desktop"])


@pytest.fixture
def passport(municipality_a: Municipality) -> Service:
    service = ServiceFactory(slug="reisepass", name_de="Reisepass beantragen", questions=QUESTIONS)
    DocumentRequirementFactory(service=service, name_de="Biometrisches Passfoto", note_de="nicht älter als 6 Monate")
    DocumentRequirementFactory(
        service=service, name_de="Einverständnis der Eltern", condition={"q": "age", "op": "lt", "value": 18}
    )
    with scopes_disabled():
        ServiceOfferingFactory(municipality=municipality_a, service=service, note_de="Nur Barzahlung.")
    return service


@VIEWPORTS
def test_the_questionnaire_errors_and_checklist_have_no_accessibility_violations(
    axe_page: Page, passport: Service, viewport: ViewportSize
) -> None:
    axe_page.goto("/kaarst/leistungen/reisepass/checkliste/")
    assert_no_axe_violations(axe_page)

    axe_page.get_by_label("Alter").fill("200")
    axe_page.locator(".checklist-form button[type=submit]").click()
    expect(axe_page.get_by_role("alert")).to_contain_text("Alter")
    assert_no_axe_violations(axe_page)

    axe_page.get_by_label("Alter").fill("16")
    axe_page.get_by_label("Erstantrag").check()
    axe_page.locator("#q-on_behalf-no").check()
    axe_page.locator(".checklist-form button[type=submit]").click()
    expect(axe_page.locator(".checklist-items li")).to_have_count(2)
    expect(axe_page.get_by_text("Nur Barzahlung.")).to_be_visible()
    assert_no_axe_violations(axe_page)


def test_it_works_without_javascript_and_hides_the_navigation_in_print(
    browser: object, live_server: object, passport: Service
) -> None:
    from playwright.sync_api import Browser

    from tests.harness.browser import new_context

    assert isinstance(browser, Browser)
    context = new_context(browser, live_server.url, DESKTOP, java_script_enabled=False)  # type: ignore[attr-defined]
    page = context.new_page()
    page.goto("/leistungen/reisepass/checkliste/?age=40&application=first&on_behalf=false")
    expect(page.locator(".checklist-items li")).to_have_count(1)
    assert "age=40" in page.locator("#share-url").input_value()
    page.emulate_media(media="print")
    expect(page.locator(".site-nav")).to_be_hidden()
    expect(page.locator(".checklist-share")).to_be_hidden()
    context.close()
