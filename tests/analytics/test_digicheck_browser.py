"""In the browser: a town's leader opens the Digitalisierungscheck; a citizen rates a visit. Zero axe violations."""

from __future__ import annotations

import datetime as dt

import pytest
from playwright.sync_api import Page

from buergerbuero.accounts.models import User
from buergerbuero.analytics.models import Rating
from buergerbuero.analytics.rating_links import rating_url, subject_key
from buergerbuero.core.tenancy import scopes_disabled
from buergerbuero.tenants.models import Municipality, Office
from tests.catalog.test_backoffice_browser import sign_in
from tests.harness.axe import assert_no_axe_violations

from .digicheck_data import visit

pytestmark = pytest.mark.browser


def test_a_leader_reads_the_dashboard(
    axe_page: Page, admin_a: User, municipality_a: Municipality, office_a: Office
) -> None:
    today = dt.date.today()
    with scopes_disabled():
        visit(office_a, today, service=None, wait_minutes=12)
        Rating.objects.create(municipality=municipality_a, context="visit", stars=4, day=today, comment="Gut")
    page = axe_page
    sign_in(page, admin_a)
    page.goto(f"/backoffice/{municipality_a.slug}/digitalisierungscheck/")
    assert page.locator("#digicheck-title").is_visible()
    assert page.locator("figure.chart svg[role='img']").count() >= 6
    page.locator("#wait details.digicheck__how summary").click()
    assert_no_axe_violations(page)


def test_a_citizen_rates_a_visit(axe_page: Page, office_a: Office) -> None:
    with scopes_disabled():
        ticket = visit(office_a, dt.date.today(), service=None, wait_minutes=5)
    page = axe_page
    page.goto(rating_url(subject_key("ticket", ticket.public_id)))
    assert_no_axe_violations(page)
    page.locator("#rating-submit").click()  # nothing chosen: the error summary
    assert page.locator(".error-summary").is_visible()
    assert_no_axe_violations(page)
    page.locator("#id_stars_1").check()
    page.locator("#id_comment").fill("Schnell und freundlich")
    page.locator("#rating-submit").click()
    page.wait_for_url("**/rueckmeldung/bewertung/danke/")
    assert_no_axe_violations(page)
    with scopes_disabled():
        assert Rating.objects.get().stars == 4
