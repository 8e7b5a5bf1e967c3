"""The application pages in a real Chromium: start, a step with errors, the summary; no axe violations."""

from __future__ import annotations

import io
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from PIL import Image
from playwright.sync_api import Page, expect
from pytest_django import Settings

from buergerbuero.core.tenancy import scopes_disabled
from buergerbuero.tenants.models import Municipality
from tests.applications.factories import online_service
from tests.harness.axe import assert_no_axe_violations

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

NEXT = re.compile("^(Weiter|Next)$")


@pytest.fixture
def portal_at_live_server(
    live_server: object, use_oidc_provider: str, settings: Settings, tmp_path: Path
) -> Iterator[str]:
    settings.SITE_URL = live_server.url  # type: ignore[attr-defined]
    settings.PRIVATE_MEDIA_ROOT = tmp_path
    yield use_oidc_provider


def test_a_citizen_fills_the_form_without_accessibility_violations(
    axe_page: Page, portal_at_live_server: str, municipality_a: Municipality, tmp_path: Path
) -> None:
    with scopes_disabled():
        online_service(municipality_a)
    page = axe_page
    page.goto("/konto/anmelden/")
    page.get_by_role("button", name="Mit BundID anmelden").click()
    page.get_by_role("button", name="jonas.schmitz").click()
    page.wait_for_url("**/konto/")

    page.goto("/antraege/probeantrag/")
    expect(page.get_by_role("heading", level=1)).to_contain_text("Probeantrag")
    assert_no_axe_violations(page)
    page.locator("main form button[type=submit]").click()
    page.wait_for_url("**/person/")
    expect(page.locator("[aria-current=step]")).to_contain_text("Angaben zur Person")

    page.get_by_label("Familienname").fill("")
    page.get_by_label("E-Mail").fill("kaputt")
    page.get_by_role("button", name=NEXT).click()
    expect(page.locator(".error-summary")).to_be_visible()
    expect(page.get_by_label("E-Mail")).to_have_value("kaputt")
    assert_no_axe_violations(page)

    page.get_by_label("Familienname").fill("Schmitz")
    page.get_by_label("E-Mail").fill("jonas@example.org")
    page.get_by_label("Privatperson").check()
    page.get_by_role("button", name=NEXT).click()
    page.wait_for_url("**/adresse/")
    page.get_by_label("Straße und Hausnummer").fill("Am Neumarkt 1")
    page.get_by_label("Postleitzahl").fill("41564")
    page.get_by_label("Ort").fill("Kaarst")
    assert_no_axe_violations(page)
    page.get_by_role("button", name=NEXT).click()
    page.wait_for_url("**/nachweise/")
    image = tmp_path / "ausweis.png"
    buffer = io.BytesIO()
    Image.new("RGB", (4, 4), "white").save(buffer, format="PNG")
    image.write_bytes(buffer.getvalue())
    page.get_by_label("Personalausweis (Vorder- und Rückseite)").set_input_files(str(image))
    assert_no_axe_violations(page)
    page.get_by_role("button", name=NEXT).click()
    page.wait_for_url("**/zusammenfassung/")
    expect(page.locator("main")).to_contain_text("ausweis.png")
    expect(page.locator("main")).to_contain_text("Schmitz")
    assert_no_axe_violations(page)
