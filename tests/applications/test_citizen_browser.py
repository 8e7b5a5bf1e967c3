"""In Chromium: 'Meine Anträge' and a case page with a question from the office, answered in the
browser; no accessibility violations on either page."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from playwright.sync_api import Page, expect
from pytest_django import Settings

from buergerbuero.accounts.models import User
from buergerbuero.applications.constants import CaseEventKind, CaseState
from buergerbuero.applications.models import Case, CaseEvent, Draft
from buergerbuero.applications.services import workflow
from buergerbuero.core.tenancy import scopes_disabled
from buergerbuero.tenants.models import Municipality
from tests.applications.factories import CaseFactory, online_service
from tests.harness.axe import assert_no_axe_violations

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def portal_at_live_server(live_server: object, use_oidc_provider: str, settings: Settings) -> Iterator[str]:
    settings.SITE_URL = live_server.url  # type: ignore[attr-defined]
    yield use_oidc_provider


def log_in(page: Page, sub: str) -> User:
    page.goto("/konto/anmelden/")
    page.get_by_role("button", name="Mit BundID anmelden").click()
    page.get_by_role("button", name=sub).click()
    page.wait_for_url("**/konto/")
    return User.objects.get(oidc_subject=sub)


def test_a_citizen_follows_a_case_and_answers_a_question(
    axe_page: Page, portal_at_live_server: str, municipality_a: Municipality, clerk_a: User
) -> None:
    page = axe_page
    citizen = log_in(page, "jonas.schmitz")  # substantial, as the service needs
    with scopes_disabled():
        service, form = online_service(municipality_a)
        case: Case = CaseFactory(citizen=citizen, municipality=municipality_a, service=service, form=form)
        CaseEvent.objects.create(case=case, kind=CaseEventKind.SUBMITTED, data={"file_number": case.file_number})
        Draft.objects.create(citizen=citizen, form=form, step="adresse")
        workflow.ask_citizen(case=case, actor=clerk_a, body="Seit wann wohnen Sie in Kaarst?")

    page.goto("/antraege/meine/")
    expect(page.locator("main")).to_contain_text(case.file_number)
    assert_no_axe_violations(page)

    page.locator(f'a[href="/antraege/vorgang/{case.public_id}/"]').click()
    expect(page.locator("main")).to_contain_text("Seit wann wohnen Sie in Kaarst?")
    assert_no_axe_violations(page)

    page.locator("#id_body").fill("Seit 2019.")
    page.locator("form.case-answer button[type=submit]").click()
    expect(page.locator(".case-thread")).to_contain_text("Seit 2019.")
    assert_no_axe_violations(page)
    with scopes_disabled():
        case.refresh_from_db()
    assert case.state == CaseState.IN_REVIEW

    page.locator("form.case-answer button[type=submit]").click()  # empty: the error is shown
    expect(page.locator("#id_body_error")).to_be_visible()
    assert_no_axe_violations(page)
