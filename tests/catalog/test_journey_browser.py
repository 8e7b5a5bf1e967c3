"""The citizen's whole way through the catalogue, as issue 3 asks for it, in a real Chromium.

On the Kreis portal: search "Perso", open the Personalausweis, enter a Kaarst address, see the
Kaarst office and its hours, answer the questionnaire as a naturalised adult with a former
non-EU citizenship applying for the first time, and get exactly that checklist. axe-core checks
every page on the way.
"""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from buergerbuero.demo.loader import load_demo
from tests.harness.axe import assert_no_axe_violations

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_citizen_finds_the_id_card_its_office_and_their_checklist(axe_page: Page) -> None:
    load_demo()
    page = axe_page

    page.goto("/")
    assert_no_axe_violations(page)
    page.locator("#search-q").fill("Perso")
    page.locator("#search-q").press("Enter")

    expect(page).to_have_url(re.compile(r"/leistungen/suche/\?q=Perso"))
    assert_no_axe_violations(page)
    first = page.locator("main a[href='/leistungen/personalausweis/']").first
    expect(first).to_be_visible()
    first.click()

    expect(page.get_by_role("heading", level=1)).to_contain_text("Personalausweis")
    assert_no_axe_violations(page)
    page.locator("#finder-postcode").fill("41564")
    page.locator("#finder-street").fill("Am Neumarkt")
    page.locator("#finder-number").fill("2")
    page.locator("#finder-postcode").press("Enter")

    result = page.locator("section.finder")
    expect(result).to_contain_text("Bürgerbüro Kaarst")
    expect(result).to_contain_text("Am Neumarkt 2, 41564 Kaarst")
    expect(result).to_contain_text("08:00")  # the office's weekly hours
    assert_no_axe_violations(page)

    page.locator("main a[href*='/personalausweis/checkliste/']").first.click()
    assert_no_axe_violations(page)
    page.locator("#q-age").fill("34")
    page.locator("input[name=application][value=first]").check()
    page.locator("input[name=nationality][value=non_eu]").check()
    page.locator("input[name=name_change][value=false]").check()
    page.locator("input[name=on_behalf][value=false]").check()
    page.locator("form.checklist-form button[type=submit]").click()

    documents = page.locator("[aria-labelledby=documents-title]")
    expect(documents).to_contain_text("Biometrisches Passfoto")
    expect(documents).to_contain_text("Geburtsurkunde")
    expect(documents).to_contain_text("Einbürgerungsurkunde")
    expect(documents).to_contain_text("Ausländischer Reisepass")
    for not_needed in ("Bisheriger Personalausweis", "Verlustanzeige", "Sorgeberechtigten", "Vollmacht"):
        expect(documents).not_to_contain_text(not_needed)
    expect(page.locator("main")).to_contain_text("37,00 €")  # the fee from age 24
    share = page.locator("#share-url").input_value()
    assert "nationality=non_eu" in share and "application=first" in share
    assert_no_axe_violations(page)

    # The shared link reproduces the checklist.
    page.goto(share)
    expect(page.locator("[aria-labelledby=documents-title]")).to_contain_text("Ausländischer Reisepass")
