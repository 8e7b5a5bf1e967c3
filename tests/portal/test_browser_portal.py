"""The portal in a real Chromium: accessibility (axe, keyboard), language switch, CSP, service worker."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from playwright.sync_api import ConsoleMessage, Page, ViewportSize, expect
from playwright.sync_api import Error as PlaywrightError

from buergerbuero.core.tenancy import scopes_disabled
from buergerbuero.tenants.models import Municipality, Office
from tests.harness.axe import assert_no_axe_violations
from tests.harness.browser import DESKTOP, PHONE

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

VIEWPORTS = pytest.mark.parametrize("viewport", [PHONE, DESKTOP], ids=["phone", "desktop"])


@VIEWPORTS
def test_the_home_page_has_no_accessibility_violations(
    axe_page: Page, municipality_a: Municipality, municipality_b: Municipality, viewport: ViewportSize
) -> None:
    axe_page.goto("/")

    expect(axe_page.get_by_role("heading", level=1)).to_contain_text("Rhein-Kreis Neuss")
    assert_no_axe_violations(axe_page)


@VIEWPORTS
def test_the_municipality_page_has_no_accessibility_violations(
    axe_page: Page, office_a: Office, viewport: ViewportSize
) -> None:
    axe_page.goto("/kaarst/")

    expect(axe_page.get_by_role("heading", level=1)).to_have_text("Kaarst")
    assert_no_axe_violations(axe_page)


def test_the_404_and_offline_pages_have_no_accessibility_violations(
    axe_page: Page, municipality_a: Municipality
) -> None:
    axe_page.goto("/atlantis/")
    assert_no_axe_violations(axe_page)

    axe_page.goto("/offline/")
    assert_no_axe_violations(axe_page)


def test_it_fits_a_320_px_screen_without_horizontal_scrolling(page: Page, office_a: Office) -> None:
    # 320 CSS px is a 1280 px window at 400 % zoom (WCAG 1.4.10 Reflow).
    page.set_viewport_size({"width": 320, "height": 640})
    for path in ("/", "/kaarst/"):
        page.goto(path)

        overflow = page.evaluate("() => document.documentElement.scrollWidth - document.documentElement.clientWidth")
        assert overflow <= 0, f"{path} scrolls horizontally by {overflow}px at 320 px"


def test_the_skip_link_comes_first_and_moves_focus_to_main(page: Page, office_a: Office) -> None:
    page.goto("/kaarst/")

    page.keyboard.press("Tab")
    skip_link = page.get_by_role("link", name="Zum Inhalt springen")
    expect(skip_link).to_be_focused()
    expect(skip_link).to_be_in_viewport()

    page.keyboard.press("Enter")

    assert page.evaluate("() => document.activeElement.id") == "main"


def test_the_language_switch_changes_language_and_texts(page: Page, office_a: Office) -> None:
    page.goto("/kaarst/")
    expect(page.locator("html")).to_have_attribute("lang", "de")
    expect(page.get_by_role("table")).to_contain_text("Mo")

    page.get_by_role("button", name="English").click()

    expect(page.locator("html")).to_have_attribute("lang", "en")
    assert page.url.endswith("/kaarst/")
    expect(page.get_by_role("link", name="Skip to content")).to_be_attached()
    expect(page.get_by_role("heading", name="Offices and opening hours")).to_be_visible()
    expect(page.get_by_role("button", name="English")).to_have_attribute("aria-current", "true")

    page.get_by_role("button", name="Deutsch").click()

    expect(page.locator("html")).to_have_attribute("lang", "de")
    expect(page.get_by_role("heading", name="Standorte und Öffnungszeiten")).to_be_visible()


def test_pages_load_without_csp_violations_or_script_errors(page: Page, office_a: Office) -> None:
    problems: list[str] = []
    page.on("console", lambda message: _collect_errors(message, problems))
    page.on("pageerror", lambda error: problems.append(str(error)))

    for path in ("/", "/kaarst/", "/offline/"):
        page.goto(path)
        page.wait_for_load_state("networkidle")

    assert problems == []


def test_the_csp_is_enforced_in_the_ordinary_page(page: Page, district: object) -> None:
    """Guards the harness: CSP problems only show up in the browser if the policy is not bypassed."""
    page.goto("/")

    with pytest.raises(PlaywrightError):
        page.add_script_tag(content="window.injected = true;")

    assert page.evaluate("() => window.injected === undefined")


def test_axe_reports_violations(axe_page: Page, district: object) -> None:
    """Guards the harness: a check that cannot fail would prove nothing."""
    axe_page.goto("/")
    axe_page.evaluate("() => document.querySelector('main').insertAdjacentHTML('beforeend', '<img src=x.png>')")

    with pytest.raises(AssertionError, match=r"image-alt \(critical\)"):
        assert_no_axe_violations(axe_page)


def _collect_errors(message: ConsoleMessage, problems: list[str]) -> None:
    if message.type == "error":
        problems.append(message.text)


def test_the_municipality_colour_reaches_the_header(page: Page, office_a: Office) -> None:
    page.goto("/kaarst/")

    background = page.evaluate("() => getComputedStyle(document.querySelector('.site-header')).backgroundColor")
    assert background == "rgb(0, 90, 156)"  # #005a9c, the factory's colour for Kaarst


def test_the_service_worker_registers_and_precaches_the_offline_page(page: Page, district: object) -> None:
    page.goto("/")

    scope = page.evaluate("async () => (await navigator.serviceWorker.ready).scope")
    assert scope.endswith("/")
    assert scope.count("/") == 3  # http://host:port/
    cached = page.evaluate(
        """async () => {
            for (const name of await caches.keys()) {
                const cache = await caches.open(name);
                if (await cache.match('/offline/')) return true;
            }
            return false;
        }"""
    )
    assert cached


def test_offline_navigation_falls_back_to_the_offline_page(page: Page, office_a: Office) -> None:
    page.goto("/")
    page.evaluate("async () => { await navigator.serviceWorker.ready; }")
    page.reload()  # now controlled by the service worker
    assert page.evaluate("() => navigator.serviceWorker.controller !== null")

    page.context.set_offline(True)
    page.goto("/juechen-gibt-es-noch-nicht/")

    expect(page.get_by_role("heading", level=1)).to_have_text("Sie sind offline")
    page.context.set_offline(False)


@pytest.mark.parametrize("viewport", [DESKTOP], ids=["desktop"])
def test_screenshots_for_the_readme(
    page: Page, office_a: Office, municipality_b: Municipality, viewport: ViewportSize
) -> None:
    """Saves portal-home.png and portal-kaarst.png (1280 × 800) when SCREENSHOT_DIR is set.

    ``SCREENSHOT_DIR=docs/images pytest tests/portal/test_browser_portal.py -k screenshots``
    """
    municipality = office_a.municipality
    municipality.tagline = "Stadt im Grünen"
    municipality.contact_email = "buergerbuero@example.org"
    municipality.save()
    with scopes_disabled():
        office_a.email = "buergerbuero@example.org"
        office_a.accessibility = "Stufenloser Zugang, Aufzug, Behindertenparkplatz vor dem Rathaus"
        office_a.save()
    target = os.environ.get("SCREENSHOT_DIR")
    page.emulate_media(reduced_motion="reduce")
    for path, name in (("/", "portal-home.png"), ("/kaarst/", "portal-kaarst.png")):
        page.goto(path)
        page.wait_for_load_state("networkidle")
        if target:
            Path(target).mkdir(parents=True, exist_ok=True)
            page.screenshot(path=str(Path(target) / name))
