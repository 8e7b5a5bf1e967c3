"""The search page in a real Chromium: accessibility (axe), the box works without JavaScript, the count is announced."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, ViewportSize, expect

from buergerbuero.core.tenancy import scopes_disabled
from buergerbuero.tenants.models import Municipality, Office
from tests.catalog.factories import LifeSituationFactory, ServiceFactory, ServiceOfferingFactory
from tests.harness.axe import assert_no_axe_violations
from tests.harness.browser import DESKTOP, PHONE

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def services(municipality_a: Municipality, office_a: Office) -> None:
    moving = LifeSituationFactory(slug="umzug", name_de="Umzug", name_en="Moving")
    ausweis = ServiceFactory(slug="personalausweis", name_de="Personalausweis", keywords="Perso")
    anmeldung = ServiceFactory(slug="wohnsitzanmeldung", name_de="Wohnsitzanmeldung", keywords="Ummelden, Ausweis")
    anmeldung.life_situations.add(moving)
    with scopes_disabled():
        ServiceOfferingFactory(municipality=municipality_a, service=ausweis, offices=[office_a])
        ServiceOfferingFactory(municipality=municipality_a, service=anmeldung, offices=[office_a])


@pytest.mark.parametrize("viewport", [PHONE, DESKTOP], ids=["phone", "desktop"])
def test_the_search_page_has_no_accessibility_violations(
    axe_page: Page, services: None, viewport: ViewportSize
) -> None:
    axe_page.goto("/kaarst/")
    axe_page.get_by_role("searchbox").fill("Ausweis")
    axe_page.get_by_role("searchbox").press("Enter")

    expect(axe_page.get_by_role("status")).to_contain_text("2")
    expect(axe_page.get_by_role("link", name="Personalausweis")).to_have_attribute(
        "href", "/kaarst/leistungen/personalausweis/"
    )
    assert_no_axe_violations(axe_page)

    axe_page.goto("/leistungen/suche/?q=Zeppelinlandeplatz")
    assert_no_axe_violations(axe_page)
