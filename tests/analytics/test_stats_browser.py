"""The statistics page in a real Chromium: no axe violations, and the CSV download parses."""

from __future__ import annotations

import csv
import io

import pytest
from playwright.sync_api import Page, expect

from buergerbuero.accounts.constants import Role
from buergerbuero.tenants.models import Municipality, Office
from tests.accounts.factories import StaffRoleFactory
from tests.analytics.stats_data import build_history
from tests.catalog.test_backoffice_browser import sign_in
from tests.harness.axe import assert_no_axe_violations

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_team_lead_reads_the_statistics_and_downloads_the_csv(
    axe_page: Page, municipality_a: Municipality, office_a: Office, office_b: Office
) -> None:
    build_history(municipality_a, office_a, office_b)
    lead = StaffRoleFactory(municipality=municipality_a, role=Role.TEAM_LEAD, user__username="lead_a").user
    page = axe_page
    sign_in(page, lead)
    page.goto("/backoffice/kaarst/statistik/?von=2026-10-01&bis=2026-11-30&einteilung=month")
    expect(page.locator(".statistics-table tbody tr")).to_have_count(3)
    expect(page.locator("figure.chart")).to_have_count(4)
    assert_no_axe_violations(page)

    # A bad range is explained at the field and in the summary, and the page stays accessible.
    page.locator("#id_bis").fill("2026-09-01")
    page.locator(".statistics-filter button[type=submit]").click()
    expect(page.locator("#id_bis_error")).to_be_visible()
    expect(page.locator(".error-summary a[href='#id_bis']")).to_be_visible()
    assert_no_axe_violations(page)

    page.goto("/backoffice/kaarst/statistik/?von=2026-10-01&bis=2026-11-30&einteilung=month")
    with page.expect_download() as download_info:
        page.locator(".statistics-downloads a[href*='format=csv']").click()
    download = download_info.value
    assert download.suggested_filename == "statistik-kaarst-2026-10-01-2026-11-30.csv"
    path = download.path()
    rows = list(csv.reader(io.StringIO(path.read_bytes().decode("utf-8-sig"))))
    assert len(rows) == 5 and len(set(map(len, rows))) == 1
    assert rows[2][1] == "<5"  # October's 3 visitors, suppressed
