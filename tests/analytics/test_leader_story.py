"""The issue's story in a real Chromium: Kaarst's municipality leader signs in (password and TOTP), reads the
Digitalisierungscheck, then the statistics, downloads the CSV (a small count reads "<5"), and finally opens the
office's public page with its "best time to come" heat map, table alternative and "now" marker. Zero axe
violations on every page.

The data is built with the real code, not hand-written figures: four weeks of Moers-shaped queue history for the
office (``demo.history.load_ticket_history``), the nightly forecast (``recompute_forecasts``), three online
applications decided through the workflow service and anonymous ratings through the feedback service.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
from collections.abc import Iterator

import pytest
import time_machine
from playwright.sync_api import Browser, Page, ViewportSize, expect

from buergerbuero.accounts.models import User
from buergerbuero.analytics.exports_stats import COLUMNS
from buergerbuero.analytics.models import ForecastSlot
from buergerbuero.analytics.services.feedback import submit_rating
from buergerbuero.analytics.services.forecasts import recompute_forecasts
from buergerbuero.applications.services.workflow import decide
from buergerbuero.core.tenancy import scopes_disabled
from buergerbuero.demo.history import load_ticket_history, moers_pattern
from buergerbuero.queueing.models import Ticket
from buergerbuero.tenants.models import Municipality, Office
from tests.applications.factories import CaseFactory, online_service
from tests.catalog.test_backoffice_browser import sign_in
from tests.harness.axe import assert_no_axe_violations
from tests.harness.browser import new_context
from tests.harness.clock import FIXED_NOW
from tests.queueing.factories import queue_office

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

TODAY = FIXED_NOW.date()  # Tuesday, 17 November 2026, 9:30: the office is open
HISTORY_DAYS = 28
CASES = 3  # fewer than STATS_MIN_COUNT: suppressed in the export


@pytest.fixture(autouse=True)
def office_hours() -> Iterator[None]:
    with time_machine.travel(FIXED_NOW, tick=True):
        yield


@pytest.fixture
def kaarst_history(municipality_a: Municipality, office_a: Office, admin_a: User) -> Office:
    """Four weeks of the office's history, its forecast, three decided applications and five ratings."""
    queue_office(office_a)
    with scopes_disabled():
        visits = load_ticket_history(
            first=TODAY - dt.timedelta(days=HISTORY_DAYS), today=TODAY, pattern=moers_pattern(), online=set()
        )
        assert sum(visits.values()) > 500  # about four weeks of a busy Bürgerbüro
        [run] = recompute_forecasts(office=office_a)
        assert run.slots > 0
        service, form = online_service(municipality_a)
        for number in range(CASES):
            submitted = FIXED_NOW - dt.timedelta(days=10 + 3 * number)
            case = CaseFactory(municipality=municipality_a, service=service, form=form, submitted_at=submitted)
            with time_machine.travel(submitted + dt.timedelta(days=2, hours=3), tick=False):
                decide(case=case, actor=admin_a, approved=True, reasons="")
        for number, stars in enumerate((5, 4, 5, 3, 4)):
            submit_rating(
                subject_key=f"ticket:story-{number}",
                municipality=municipality_a,
                office=office_a,
                context="visit",
                stars=stars,
                comment="Schnell und freundlich" if number == 0 else "",
                today=TODAY - dt.timedelta(days=number),
            )
    return office_a


@pytest.fixture
def leader_page(browser: Browser, asgi_server: str, viewport: ViewportSize) -> Iterator[Page]:
    """A desktop page on the ASGI server (the office page holds an SSE stream, which Django's WSGI live server
    cannot serve and would not let go of); the CSP is bypassed so that axe can be injected."""
    context = new_context(browser, asgi_server, viewport, bypass_csp=True)
    yield context.new_page()
    context.close()


def _csv_rows(page: Page) -> list[list[str]]:
    with page.expect_download() as download_info:
        page.locator(".statistics-downloads a[href*='format=csv']").click()
    download = download_info.value
    assert download.suggested_filename == "statistik-kaarst-2026-10-20-2026-11-16.csv"
    return list(csv.reader(io.StringIO(download.path().read_bytes().decode("utf-8-sig"))))


def test_a_municipality_leader_reads_the_figures_and_the_best_time(
    leader_page: Page, admin_a: User, kaarst_history: Office
) -> None:
    page = leader_page
    sign_in(page, admin_a)

    # 1. The Digitalisierungscheck: every figure drawn, the ratings counted, the explanation opens.
    response = page.goto("/backoffice/kaarst/digitalisierungscheck/")
    assert response is not None and response.status == 200
    expect(page.locator("#digicheck-title")).to_be_visible()
    assert page.locator("figure.chart svg[role='img']").count() >= 6
    expect(page.locator("#satisfaction .digicheck__headline")).to_contain_text("5")
    expect(page.locator("#comments blockquote")).to_contain_text("Schnell und freundlich")
    page.locator("#wait details.digicheck__how summary").click()
    expect(page.locator("#wait details.digicheck__how dl")).to_be_visible()
    assert_no_axe_violations(page)

    # 2. The statistics of the last four weeks, per week: exact figures on the page.
    response = page.goto("/backoffice/kaarst/statistik/?von=2026-10-20&bis=2026-11-16&einteilung=week")
    assert response is not None and response.status == 200
    expect(page.locator(".statistics-table tbody tr")).to_have_count(6)  # 5 ISO weeks touched, and the total
    expect(page.locator("figure.chart").first).to_be_visible()
    assert_no_axe_violations(page)

    # 3. The CSV: header, definitions, one row per week, the total; large counts exact, small ones suppressed.
    rows = _csv_rows(page)
    assert len(rows) == 2 + 5 + 1 and len(set(map(len, rows))) == 1
    keys = [column.key for column in COLUMNS]
    visitors, submitted, decided, days = (
        1 + keys.index(key) for key in ("visitors", "cases_submitted", "cases_decided", "processing_median_days")
    )
    total = rows[-1]
    with scopes_disabled():
        came = Ticket.objects.filter(
            office=kaarst_history, day__range=(dt.date(2026, 10, 20), dt.date(2026, 11, 16))
        ).exclude(queued_at=None, arrived_at=None)
        assert int(total[visitors]) == came.count() > 500
    assert total[submitted] == "<5" and total[decided] == "<5"  # three applications: suppressed
    assert total[days] == "n<5"  # and so is their median processing time
    assert all(row[visitors].isdigit() for row in rows[2:])  # busy weeks are published

    # 4. The office's public page: the best time to come, with the heat map's table and the "now" marker.
    response = page.goto("/warteschlange/kaarst/rathaus/")
    assert response is not None and response.status == 200
    section = page.locator("#best-time")
    recommendation = section.locator("[data-field='best-time-recommendation']")
    expect(recommendation).to_be_visible()
    assert re.search(r"\d{1,2}(:00)?–\d{1,2}(:00)?", recommendation.inner_text())  # "13–14 Uhr"
    wait_chart = section.locator("figure.chart").first
    expect(wait_chart.locator("svg[role='img']")).to_be_visible()
    expect(wait_chart.locator("svg .chart__marker")).to_have_count(1)
    wait_chart.locator("details.chart__data summary").click()
    table = wait_chart.locator("table.chart__table")
    expect(table).to_be_visible()
    with scopes_disabled():
        open_days = ForecastSlot.objects.filter(
            office=kaarst_history, date__range=(TODAY, TODAY + dt.timedelta(days=6))
        ).dates("date", "day")
    expect(table.locator("tbody tr")).to_have_count(len(open_days))
    cells = table.locator("tbody td").all_inner_texts()
    assert len([cell for cell in cells if re.search(r"\(.+\)$", cell)]) == 1  # the current hour is named
    assert_no_axe_violations(page)
