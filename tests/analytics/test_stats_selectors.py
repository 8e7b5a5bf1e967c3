"""The statistics selector on hand-made history: every figure checked against numbers worked out by hand."""

from __future__ import annotations

import datetime as dt
import time

import pytest
import time_machine

from buergerbuero.analytics.selectors_stats import StatsQuery, StatsScope, statistics
from buergerbuero.analytics.statistics import Granularity
from buergerbuero.core.tenancy import ScopeError, tenant_scope
from buergerbuero.tenants.models import District, Municipality, Office
from tests.analytics.stats_data import build_history

pytestmark = pytest.mark.django_db

OCT_1, NOV_30 = dt.date(2026, 10, 1), dt.date(2026, 11, 30)


@pytest.fixture
def history(municipality_a: Municipality, office_a: Office, office_b: Office, clock: time_machine.Coordinates):
    return build_history(municipality_a, office_a, office_b)


def test_it_computes_the_queue_figures_of_a_municipality(history, municipality_a: Municipality) -> None:
    with tenant_scope([municipality_a]):
        stats = statistics(StatsQuery(StatsScope.of_municipality(municipality_a), OCT_1, NOV_30, Granularity.MONTH))
    october, november = stats.rows
    assert [october.label, november.label] == [stats.rows[0].period.label, stats.rows[1].period.label]
    assert (october.visitors, october.walk_ins, october.with_appointment, october.served) == (3, 2, 1, 2)
    assert (october.wait_count, october.wait_median, october.wait_p90) == (3, 20.0, 28.0)
    assert (october.service_count, october.service_median, october.service_p90) == (2, 10.0, 10.0)
    assert (october.counters, october.tickets_per_counter) == (2, 1.0)
    # Due: completed (with ticket), no-show, completed (without ticket); the cancelled one is not due.
    assert (october.appointments_due, october.no_shows) == (3, 1)
    assert october.no_show_rate == pytest.approx(1 / 3)
    assert (november.visitors, november.walk_ins, november.with_appointment, november.served) == (1, 1, 0, 1)
    assert (november.wait_median, november.service_median) == (40.0, 15.0)
    # The booked appointment of 3 November is past and due; the one of 20 November is still ahead.
    assert (november.appointments_due, november.no_shows, november.no_show_rate) == (1, 0, 0.0)
    assert (stats.total.visitors, stats.total.wait_count, stats.total.wait_median) == (4, 4, 25.0)
    assert stats.total.wait_p90 == 37.0  # [10, 20, 30, 40]: rank 2.7 → 30 + 0.7 × 10


def test_it_computes_processing_times_backlog_and_overdue_cases(history, municipality_a: Municipality) -> None:
    with tenant_scope([municipality_a]):
        stats = statistics(StatsQuery(StatsScope.of_municipality(municipality_a), OCT_1, NOV_30, Granularity.MONTH))
    october, november = stats.rows
    assert (october.cases_submitted, october.cases_decided, october.processing_median_days) == (2, 1, 10.0)
    # At the end of October: the case of 10 October (deadline 24 October passed) and the one of 20 September.
    assert (october.backlog, october.overdue) == (2, 1)
    assert (november.cases_submitted, november.cases_decided, november.processing_median_days) == (1, 1, 25.0)
    # November is not over: the backlog is the one of now (17 November), the 10 November case is overdue.
    assert (november.backlog, november.overdue) == (2, 1)
    assert (stats.total.cases_submitted, stats.total.cases_decided, stats.total.processing_median_days) == (3, 2, 17.5)
    assert stats.total.processing_p90_days == 23.5


def test_it_shares_online_and_on_site_per_service(history, municipality_a: Municipality) -> None:
    with tenant_scope([municipality_a]):
        stats = statistics(StatsQuery(StatsScope.of_municipality(municipality_a), OCT_1, NOV_30, Granularity.MONTH))
    shares = {row.service_id: (row.online, row.on_site) for row in stats.services}
    # S1: three cases online; on site a kiosk ticket for it and the appointment's ticket (not counted twice).
    # S2: the kiosk ticket and the attended appointment without a ticket.
    assert shares == {history.online.pk: (3, 2), history.other.pk: (0, 2)}
    assert {row.service_id: row.online_share for row in stats.services}[history.online.pk] == 0.6
    assert sorted((row.counter, row.served) for row in stats.counters) == [("Platz 1", 2), ("Platz 2", 1)]


def test_an_office_has_queue_figures_but_no_cases(history, municipality_a: Municipality) -> None:
    with tenant_scope([municipality_a]):
        stats = statistics(StatsQuery(StatsScope.of_office(history.office_a), OCT_1, NOV_30, Granularity.WEEK))
    assert not stats.has_cases
    assert sum(row.visitors for row in stats.rows) == 4
    assert sum(row.cases_submitted for row in stats.rows) == 0
    assert stats.rows[0].label == "KW 40/2026"
    week_41 = next(row for row in stats.rows if row.period and row.period.key == "2026-W41")
    assert (week_41.visitors, week_41.wait_median) == (3, 20.0)


def test_it_filters_by_service(history, municipality_a: Municipality) -> None:
    with tenant_scope([municipality_a]):
        query = StatsQuery(StatsScope.of_municipality(municipality_a), OCT_1, NOV_30, Granularity.MONTH)
        stats = statistics(StatsQuery(query.scope, query.first, query.last, query.granularity, history.other.pk))
    october, november = stats.rows
    assert (october.visitors, november.visitors) == (0, 1)
    assert (october.appointments_due, november.appointments_due) == (1, 1)
    assert stats.total.cases_submitted == 0
    assert [row.service_id for row in stats.services] == [history.other.pk]


def test_the_kreis_sees_every_municipality_and_a_town_only_its_own(
    history, district: District, municipality_a: Municipality, municipality_b: Municipality
) -> None:
    kreis = statistics(StatsQuery(StatsScope.of_district(district), OCT_1, NOV_30, Granularity.MONTH))
    assert kreis.rows[0].visitors == 4 and kreis.rows[0].wait_count == 4
    assert kreis.total.cases_submitted == 3
    with tenant_scope([municipality_b]):
        # Asking for A's figures inside B's scope finds nothing of A: the tenant scope holds.
        foreign = statistics(StatsQuery(StatsScope.of_municipality(municipality_a), OCT_1, NOV_30))
    assert foreign.total.visitors == 0 and foreign.total.cases_submitted == 0
    with pytest.raises(ScopeError):
        statistics(StatsQuery(StatsScope.of_municipality(municipality_a), OCT_1, NOV_30))


def test_a_year_of_kreis_figures_takes_few_queries(
    history, district: District, django_assert_max_num_queries, municipality_a: Municipality
) -> None:
    query = StatsQuery(StatsScope.of_district(district), dt.date(2025, 12, 1), NOV_30, Granularity.DAY)
    statistics(query)  # warm: translations and formats are loaded once per process
    with django_assert_max_num_queries(6):
        started = time.perf_counter()
        stats = statistics(query)
        elapsed = time.perf_counter() - started
    assert len(stats.rows) == 365
    assert elapsed < 1.0
