"""The catalogue back office in a real Chromium: accessible, and the preview works without any script."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from buergerbuero.accounts.models import User
from buergerbuero.catalog.models import Service
from buergerbuero.core.tenancy import scopes_disabled
from buergerbuero.tenants.models import Municipality, Office
from tests.accounts.factories import STAFF_PASSWORD
from tests.catalog.factories import DocumentRequirementFactory, ServiceFactory, ServiceOfferingFactory
from tests.harness.axe import assert_no_axe_violations
from tests.harness.staff import confirmed_device, current_code

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

QUESTIONS = [{"key": "age", "kind": "number", "label_de": "Alter", "label_en": "Age", "min": 0, "max": 130}]


@pytest.fixture
def service(db: None) -> Service:
    service = ServiceFactory(slug="reisepass", name_de="Reisepass beantragen", questions=QUESTIONS)
    DocumentRequirementFactory(service=service, position=1, name_de="Passfoto", condition=None)
    DocumentRequirementFactory(
        service=service, position=2, name_de="Zustimmung der Eltern", condition={"q": "age", "op": "lt", "value": 18}
    )
    return service


def sign_in(page: Page, user: User) -> None:
    device = confirmed_device(user)
    page.goto("/backoffice/anmelden/")
    page.get_by_label("Benutzername").fill(user.username)
    page.get_by_label("Passwort").fill(STAFF_PASSWORD)
    page.get_by_role("button", name="Anmelden", exact=True).click()
    device.refresh_from_db()
    page.get_by_label("Bestätigungscode").fill(current_code(device))
    page.get_by_role("button", name="Bestätigen").click()
    page.wait_for_url("**/backoffice/")


def test_the_kreis_admin_previews_the_checklist_and_the_pages_are_accessible(
    axe_page: Page, kreis_admin: User, municipality_a: Municipality, service: Service
) -> None:
    page = axe_page
    sign_in(page, kreis_admin)
    # Selectors by id and URL: the lead translates the new strings at the end.
    page.locator('a[href="/backoffice/katalog/"]').click()
    assert_no_axe_violations(page)
    page.locator('a[href="/backoffice/katalog/reisepass/"]').click()
    assert_no_axe_violations(page)

    page.locator("#id_requirements-1-condition").fill("age < 16")
    page.locator("#id_answer-age").fill("17")
    page.locator('button[formaction^="/backoffice/katalog/reisepass/vorschau/"]').click()
    expect(page.locator(".preview-item--applies")).to_have_count(1)
    expect(page.locator(".preview-item--skipped")).to_contain_text("Zustimmung der Eltern")
    assert_no_axe_violations(page)
    # Unsaved: the edited condition and the sample answer are still in their fields.
    expect(page.locator("#id_requirements-1-condition")).to_have_value("age < 16")
    expect(page.locator("#id_answer-age")).to_have_value("17")


def test_the_offering_pages_are_accessible(
    axe_page: Page, admin_a: User, municipality_a: Municipality, office_a: Office, service: Service
) -> None:
    with scopes_disabled():
        ServiceOfferingFactory(municipality=municipality_a, service=service, offices=[office_a])
    page = axe_page
    sign_in(page, admin_a)
    page.goto(f"/backoffice/{municipality_a.slug}/leistungen/")
    assert_no_axe_violations(page)
    page.goto(f"/backoffice/{municipality_a.slug}/leistungen/{service.slug}/")
    assert_no_axe_violations(page)
