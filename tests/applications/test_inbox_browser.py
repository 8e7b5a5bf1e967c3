"""The inbox and the case page in a real Chromium: the clerk signs in, filters the inbox, opens a case and
asks the applicant a question; every page has no axe violations."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone
from playwright.sync_api import Page, expect

from buergerbuero.accounts.models import User
from buergerbuero.applications.constants import CaseState, Direction
from buergerbuero.applications.models import MailboxMessage
from buergerbuero.core.tenancy import scopes_disabled
from buergerbuero.tenants.models import Municipality
from tests.applications.factories import CaseFactory, online_service
from tests.catalog.test_backoffice_browser import sign_in
from tests.harness.axe import assert_no_axe_violations
from tests.harness.browser import DESKTOP

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def viewport() -> object:
    return DESKTOP  # the inbox is a desk tool


def test_the_clerk_filters_the_inbox_opens_a_case_and_asks_a_question(
    axe_page: Page, clerk_a: User, municipality_a: Municipality
) -> None:
    with scopes_disabled():
        service, form = online_service(municipality_a)
        overdue = CaseFactory(
            municipality=municipality_a,
            service=service,
            form=form,
            applicant_name="Max Gewerbe",
            due_at=timezone.now() - dt.timedelta(days=3),
        )
        for _ in range(3):
            CaseFactory(municipality=municipality_a, service=service, form=form, state=CaseState.DECIDED)
    page = axe_page
    sign_in(page, clerk_a)

    page.goto("/backoffice/kaarst/antraege/")
    assert_no_axe_violations(page)
    expect(page.locator("#inbox-count")).to_contain_text("4")

    page.locator("#id_frist").select_option("overdue")
    page.locator("form.inbox-filter button[type=submit]").click()
    page.wait_for_url("**frist=overdue**")
    expect(page.locator(".inbox-table tbody tr")).to_have_count(1)
    expect(page.locator(".inbox-table .overdue")).to_be_visible()
    assert_no_axe_violations(page)

    page.get_by_role("link", name=overdue.file_number).click()
    page.wait_for_url(f"**/antraege/{overdue.public_id}/")
    assert_no_axe_violations(page)

    page.locator("form:has(input[value=ask]) button[type=submit]").click()  # empty: an error, nothing lost
    expect(page.locator("[data-error-summary]")).to_be_visible()
    expect(page.locator("#id_ask-body")).to_have_attribute("aria-invalid", "true")
    assert_no_axe_violations(page)

    page.locator("#id_ask-body").fill("Bitte reichen Sie die Erlaubnis nach § 34c GewO nach.")
    page.locator("form:has(input[value=ask]) button[type=submit]").click()
    expect(page.locator(".thread")).to_contain_text("§ 34c GewO")
    assert_no_axe_violations(page)
    with scopes_disabled():
        overdue.refresh_from_db()
        assert overdue.state == CaseState.WAITING
        assert MailboxMessage.objects.filter(case=overdue, direction=Direction.TO_CITIZEN).count() == 1
