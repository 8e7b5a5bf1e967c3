"""The catalogue pages in a real Chromium: no axe violations, the finder works with the keyboard, reflow at 320 px."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, ViewportSize, expect

from buergerbuero.catalog.models import Service
from tests.catalog import test_pages_catalog
from tests.harness.axe import assert_no_axe_violations
from tests.harness.browser import DESKTOP, PHONE

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

# The catalogue of the page tests (fixtures), without their English-only client.
catalogue = test_pages_catalog.catalogue
kreis = test_pages_catalog.kreis

VIEWPORTS = pytest.mark.parametrize("viewport", [PHONE, DESKTOP], ids=["phone", "desktop"])
PAGES = [
    "/leistungen/",
    "/kaarst/leistungen/",
    "/leistungen/lebenslage/umzug/",
    "/leistungen/personalausweis/?postcode=41564&street=Am+Neumarkt&house_number=2",
    "/leistungen/personalausweis/?postcode=33154",
    "/leistungen/zulassung/?postcode=50667",
    "/leistungen/personalausweis/?postcode=123",
    "/kaarst/leistungen/verfuegbarkeit/",
]


@VIEWPORTS
def test_the_catalogue_pages_have_no_accessibility_violations(
    axe_page: Page, catalogue: dict[str, Service], viewport: ViewportSize
) -> None:
    for path in PAGES:
        axe_page.goto(path)
        assert_no_axe_violations(axe_page)


def test_a_citizen_answers_the_follow_up_question_with_the_keyboard(page: Page, catalogue: dict[str, Service]) -> None:
    page.goto("/leistungen/zulassung/")
    # By id: the labels are German once the lead has translated them, English until then.
    page.locator("#finder-postcode").fill("33154")
    page.locator("#finder-street").fill("Marienplatz")
    page.locator("#finder-postcode").press("Enter")

    page.locator("#ags-05774036").check()
    expect(page.locator("label[for=ags-05774036]")).to_have_text("Salzkotten (Kreis Paderborn)")
    page.locator(".finder__followup button").press("Enter")

    expect(page.locator(".finder__answer")).to_contain_text("05774036")
    expect(page.locator("#finder-street")).to_have_value("Marienplatz")


def test_the_availability_map_fits_a_320_px_screen(page: Page, catalogue: dict[str, Service]) -> None:
    page.set_viewport_size({"width": 320, "height": 640})
    for path in ("/leistungen/verfuegbarkeit/", "/leistungen/personalausweis/?postcode=41564"):
        page.goto(path)
        overflow = page.evaluate("() => document.documentElement.scrollWidth - document.documentElement.clientWidth")
        assert overflow <= 0, f"{path} scrolls horizontally by {overflow}px at 320 px"
