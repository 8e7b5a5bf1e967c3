"""Suppression of derived figures: a median, percentile, mean or share computed from counts that would be
suppressed is suppressed too, in the CSV and XLSX downloads and in the open data (one rule:
``statistics.published``)."""

from __future__ import annotations

import csv
import datetime as dt
import io

import pytest
import time_machine
from django.test import Client
from openpyxl import load_workbook

from buergerbuero.analytics.exports_stats import columns_for, csv_bytes, statistics_table, xlsx_bytes
from buergerbuero.analytics.selectors_stats import ScopeKind, Statistics, StatsQuery, StatsScope
from buergerbuero.analytics.statistics import (
    Granularity,
    ServiceShareRow,
    StatsRow,
    period_of,
    published,
    suppress_measure,
    suppress_share,
)
from buergerbuero.appointments.constants import AppointmentState
from buergerbuero.core.tenancy import scopes_disabled
from buergerbuero.tenants.models import Office
from tests.analytics.stats_data import appointment, at
from tests.catalog.factories import ServiceFactory
from tests.queueing.factories import queue_office

N = 5


def test_a_share_is_suppressed_when_either_part_is_a_small_count() -> None:
    assert suppress_share(0.6, 3, 5, N) == "n<5"  # 3 online, 2 on site
    assert suppress_share(0.02, 2, 100, N) == "n<5"  # 2 of 100: the share and the 100 give the 2 away
    assert suppress_share(0.98, 98, 100, N) == "n<5"  # the other part is 2
    assert suppress_share(0.5, 5, 10, N) == 0.5
    assert suppress_share(0.0, 0, 40, N) == 0.0  # zero discloses nobody
    assert suppress_share(1.0, 40, 40, N) == 1.0
    assert suppress_share(None, 0, 0, N) is None  # nothing to compute from
    with pytest.raises(ValueError):
        suppress_share(1.5, 6, 4, N)


def test_a_measure_is_suppressed_below_the_minimum_number_of_values() -> None:
    assert suppress_measure(12.0, 4, N) == "n<5"
    assert suppress_measure(12.0, 1, N) == "n<5"
    assert suppress_measure(12.0, 5, N) == 12.0
    assert suppress_measure(None, 0, N) is None


def _row(**figures: object) -> StatsRow:
    return StatsRow(period=period_of(dt.date(2026, 10, 1), Granularity.MONTH), label="Oktober 2026", **figures)  # type: ignore[arg-type]


def test_every_figure_of_a_row_has_its_rule() -> None:
    row = _row(
        visitors=40,
        served=3,
        wait_count=40,
        wait_median=12.5,
        wait_p90=30.0,
        service_count=3,
        service_median=8.0,
        service_p90=11.0,
        appointments_due=50,
        no_shows=3,
        no_show_rate=0.06,
        tickets_per_counter=1.5,
        cases_decided=7,
        processing_median_days=9.0,
    )
    assert published(row, "visitors", N) == 40
    assert published(row, "served", N) == "<5"
    assert published(row, "walk_ins", N) == 0
    assert published(row, "wait_median", N) == 12.5
    assert published(row, "wait_p90", N) == 30.0
    assert published(row, "service_median", N) == "n<5"
    assert published(row, "service_p90", N) == "n<5"
    assert published(row, "no_show_rate", N) == "n<5"  # 3 of 50
    assert published(row, "tickets_per_counter", N) == "n<5"  # 3 served tickets
    assert published(row, "processing_median_days", N) == 9.0
    assert published(row, "processing_p90_days", N) is None
    assert published(_row(appointments_due=50, no_shows=5, no_show_rate=0.1), "no_show_rate", N) == 0.1
    assert published(_row(appointments_due=50, no_shows=47, no_show_rate=0.94), "no_show_rate", N) == "n<5"


@pytest.fixture
def october() -> Statistics:
    row = _row(
        visitors=100,
        walk_ins=97,
        with_appointment=3,
        served=100,
        wait_count=100,
        wait_median=10.0,
        wait_p90=25.0,
        service_count=100,
        service_median=6.0,
        service_p90=9.0,
        appointments_due=40,
        no_shows=2,
        no_show_rate=0.05,
        counters=4,
        tickets_per_counter=25.0,
        cases_submitted=12,
        cases_decided=4,
        processing_median_days=3.0,
        processing_p90_days=6.0,
        backlog=8,
        overdue=1,
    )
    scope = StatsScope(ScopeKind.MUNICIPALITY, 1, "Kaarst", "kaarst")
    query = StatsQuery(scope, dt.date(2026, 10, 1), dt.date(2026, 10, 31), Granularity.MONTH)
    services = [
        ServiceShareRow(1, "Personalausweis", online=3, on_site=2),  # 60 % of 5 would reveal both
        ServiceShareRow(2, "Gewerbeanzeige", online=2, on_site=98),  # 2 % of 100 would reveal the 2
        ServiceShareRow(3, "Meldebescheinigung", online=30, on_site=10),
        ServiceShareRow(4, "Führungszeugnis", online=0, on_site=12),
    ]
    return Statistics(query=query, rows=[row], total=row, services=services)


def _keys(stats: Statistics) -> list[str]:
    """The columns by StatsRow attribute (the titles are translated)."""
    return ["label", *(column.key for column in columns_for(stats))]


def test_the_csv_suppresses_rates_and_measures_cell_by_cell(october: Statistics) -> None:
    rows = list(csv.reader(io.StringIO(csv_bytes(october, min_count=N).decode("utf-8-sig"))))
    _header, _definitions, month, total = rows
    cells = dict(zip(_keys(october), month, strict=True))
    assert cells["visitors"] == "100"
    assert cells["with_appointment"] == "<5"
    assert cells["wait_median"] == "10.0"
    assert cells["no_shows"] == "<5"
    assert cells["no_show_rate"] == "n<5"  # 2 of 40: 5 % of 40 would give the 2 away
    assert cells["tickets_per_counter"] == "25.0"
    assert cells["processing_median_days"] == "n<5"  # 4 decided applications
    assert cells["processing_p90_days"] == "n<5"
    assert cells["overdue"] == "<5"
    assert total == month


def test_the_page_table_keeps_the_exact_figures(october: Statistics) -> None:
    table = statistics_table(october)
    cells = dict(zip(_keys(october), table.rows[0], strict=True))
    assert cells["no_show_rate"] == 5.0 and cells["no_shows"] == 2


def test_the_xlsx_suppresses_the_online_share_when_a_part_is_small(october: Statistics) -> None:
    workbook = load_workbook(io.BytesIO(xlsx_bytes(october, min_count=N)))
    month = dict(zip(_keys(october), next(workbook.worksheets[0].iter_rows(min_row=3, values_only=True)), strict=True))
    assert month["no_show_rate"] == "n<5"
    assert month["wait_p90"] == 25
    shares = list(workbook.worksheets[1].iter_rows(values_only=True))
    assert shares[1] == ("Personalausweis", "<5", "<5", "n<5")
    assert shares[2] == ("Gewerbeanzeige", "<5", 98, "n<5")
    assert shares[3] == ("Meldebescheinigung", 30, 10, 75)
    assert shares[4] == ("Führungszeugnis", 0, 12, 0)


@pytest.mark.django_db
def test_open_data_suppresses_a_no_show_rate_that_would_reveal_the_no_shows(
    office_a: Office, clock: time_machine.Coordinates
) -> None:
    """October: 10 appointments due, 2 not attended (rate hidden); September: 10 due, 5 not attended (shown)."""
    with scopes_disabled():
        group = queue_office(office_a)["a"]
        service = ServiceFactory()
        for month, no_shows in ((9, 5), (10, 2)):
            for index in range(10):
                state = AppointmentState.NO_SHOW if index < no_shows else AppointmentState.COMPLETED
                appointment(office_a, group, at(dt.date(2026, month, 1 + index), 10), state, [service])
    url = f"/api/opendata/offices/{office_a.public_id}/statistics"
    body = Client().get(url, {"from": "2026-09-01", "to": "2026-10-31"}).json()
    september, october = body["months"]
    assert (september["appointments_due"], september["no_shows"], september["no_show_rate"]) == (10, 5, 0.5)
    assert (october["appointments_due"], october["no_shows"], october["no_show_rate"]) == (10, "<5", "n<5")
    rows = list(
        csv.reader(
            io.StringIO(Client().get(url, {"format": "csv", "from": "2026-09-01", "to": "2026-10-31"}).content.decode())
        )
    )
    cells = dict(zip(rows[0], rows[2], strict=True))
    assert (cells["no_shows"], cells["no_show_rate"]) == ("<5", "n<5")
    assert dict(zip(rows[0], rows[1], strict=True))["no_show_rate"] == "0.5"
