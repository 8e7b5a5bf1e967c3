"""In a real Chromium: a citizen submits from the summary page, pays with the demo provider and
downloads the receipt; every page of the submission and payment has no axe violations."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from playwright.sync_api import Page, expect
from pytest_django import Settings

from buergerbuero.accounts.constants import UserKind
from buergerbuero.accounts.models import User
from buergerbuero.applications.constants import PaymentState
from buergerbuero.applications.models import Case
from buergerbuero.core.tenancy import scopes_disabled
from buergerbuero.tenants.models import Municipality
from tests.accounts.test_browser_login import citizen_round_trip
from tests.applications.factories import online_service
from tests.applications.submit_helpers import ready_draft
from tests.harness.axe import assert_no_axe_violations

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def portal_at_live_server(live_server: object, use_oidc_provider: str, settings: Settings) -> Iterator[str]:
    settings.SITE_URL = live_server.url  # type: ignore[attr-defined]
    yield use_oidc_provider


def test_a_citizen_submits_pays_and_downloads_the_receipt(
    axe_page: Page, portal_at_live_server: str, municipality_a: Municipality
) -> None:
    page = axe_page
    citizen_round_trip(page, "jonas.schmitz")
    citizen = User.objects.filter(kind=UserKind.CITIZEN).latest("date_joined")
    with scopes_disabled():
        _, form = online_service(municipality_a)
        draft = ready_draft(citizen, form, municipality_a)

    page.goto(f"/antraege/entwurf/{draft.public_id}/zusammenfassung/")
    page.locator("form[action$='/absenden/'] input[name=consent]").check()
    page.locator("form[action$='/absenden/'] button[type=submit]").click()
    page.wait_for_url("**/bezahlen/demo/**")
    with scopes_disabled():
        case = Case.objects.get(draft_id=draft.public_id)
    expect(page.locator("main")).to_contain_text(case.file_number)
    assert_no_axe_violations(page)

    page.locator("button[value=pay]").click()
    page.wait_for_url("**/ergebnis/")
    assert_no_axe_violations(page)
    with scopes_disabled():
        case.refresh_from_db()
    assert case.payment_state == PaymentState.PAID

    page.goto(f"/antraege/vorgang/{case.public_id}/eingegangen/")
    expect(page.get_by_role("heading", level=1)).to_be_visible()
    expect(page.locator("main")).to_contain_text(case.file_number)
    assert_no_axe_violations(page)
    with page.expect_download() as download:
        page.locator(f"a[href$='{case.public_id}/eingangsbestaetigung.pdf']").click()
    assert download.value.suggested_filename.endswith(".pdf")
    assert download.value.path().read_bytes().startswith(b"%PDF-")


def test_the_failed_payment_page_has_no_axe_violations(
    axe_page: Page, portal_at_live_server: str, municipality_a: Municipality
) -> None:
    page = axe_page
    citizen_round_trip(page, "jonas.schmitz")
    citizen = User.objects.filter(kind=UserKind.CITIZEN).latest("date_joined")
    with scopes_disabled():
        _, form = online_service(municipality_a)
        draft = ready_draft(citizen, form, municipality_a)
    page.goto(f"/antraege/entwurf/{draft.public_id}/zusammenfassung/")
    page.locator("form[action$='/absenden/'] input[name=consent]").check()
    page.locator("form[action$='/absenden/'] button[type=submit]").click()
    page.wait_for_url("**/bezahlen/demo/**")
    page.locator("button[value=fail]").click()
    page.wait_for_url("**/ergebnis/")
    assert_no_axe_violations(page)
    page.locator("form[action*='/bezahlen/vorgang/'] button[type=submit]").click()  # try again
    page.wait_for_url("**/bezahlen/demo/**")
