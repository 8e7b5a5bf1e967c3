"""The demo's figures make sense: after ``load_demo`` the Kreis's Digitalisierungscheck and statistics are
non-empty and plausible, the gap map lists every town, and every office page recommends a time to come.

One demo load for the module, on a Tuesday morning with every office open, with three weeks of history: the
tests' usual 14 days leave offices open Monday to Friday with ten days of waits, the least the forecast learns
from, and some of them get none.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

import pytest
import time_machine
from django.db import transaction
from django.test import Client, override_settings
from django.urls import reverse
from pytest_django import DjangoDbBlocker

from buergerbuero.analytics.selectors_besttime import best_time
from buergerbuero.analytics.selectors_digicheck import Dashboard, digicheck
from buergerbuero.analytics.selectors_stats import Statistics, StatsQuery, StatsScope, statistics
from buergerbuero.analytics.statistics import Granularity
from buergerbuero.core.tenancy import scopes_disabled
from buergerbuero.demo.loader import load_demo
from buergerbuero.tenants.models import District, Municipality, Office

from .conftest import DURING_OPENING

pytestmark = pytest.mark.django_db

TODAY = DURING_OPENING.date()
HISTORY_DAYS = 21


@pytest.fixture(scope="module")
def demo(django_db_setup: None, django_db_blocker: DjangoDbBlocker) -> Iterator[District]:
    with (
        django_db_blocker.unblock(),
        time_machine.travel(DURING_OPENING, tick=True),
        override_settings(DEMO_HISTORY_DAYS=HISTORY_DAYS),
        scopes_disabled(),
        transaction.atomic(),
    ):
        yield load_demo()
        transaction.set_rollback(True)


def _towns(district: District) -> list[Municipality]:
    return list(Municipality.objects.filter(district=district).order_by("name"))


def _dashboard(district: District) -> Dashboard:
    return digicheck(municipalities=_towns(district), district=district, kreis=True, today=TODAY)


def _kreis_statistics(district: District) -> Statistics:
    query = StatsQuery(
        scope=StatsScope.of_district(district),
        first=TODAY - dt.timedelta(days=HISTORY_DAYS),
        last=TODAY - dt.timedelta(days=1),
        granularity=Granularity.WEEK,
    )
    return statistics(query, now=DURING_OPENING)


def _present(values: list[float | None]) -> list[float]:
    return [value for value in values if value is not None]


def test_the_kreis_dashboard_shows_plausible_figures(demo: District) -> None:
    dashboard = _dashboard(demo)
    # Online share: percent of the applications for services with an online form. Only the months with queue
    # history have on-site visits to compare with (the demo's online cases reach back three months).
    shares = [
        share
        for share, visits in zip(dashboard.online_share, dashboard.on_site_visits, strict=True)
        if visits and share is not None
    ]
    assert shares and all(0 < share < 100 for share in shares)
    assert dashboard.services and all(0 <= (item.total_share or 0) <= 100 for item in dashboard.services)
    assert sum(dashboard.online_applications) > 0 and sum(dashboard.on_site_visits) > 0
    # Days to decision and the wait on site.
    assert _present(dashboard.decision_days) and all(0 < days < 120 for days in _present(dashboard.decision_days))
    waits = _present(dashboard.wait_minutes)
    assert waits and all(0 < minutes < 60 for minutes in waits)
    assert sum(dashboard.visits) > 1000
    # Visits avoided and staff hours saved follow from the applications and checklists.
    assert sum(dashboard.visits_avoided) > 0 and sum(dashboard.checklists) > 0
    assert sum(dashboard.hours_saved) > 0 and dashboard.hours_by_service
    # Satisfaction: anonymous ratings from 1 to 5.
    ratings = dashboard.ratings
    assert ratings.total > 0 and ratings.overall_average is not None and 1 <= ratings.overall_average <= 5
    assert set(ratings.distribution) <= {1, 2, 3, 4, 5} and sum(ratings.distribution.values()) == ratings.total
    assert all(1 <= average <= 5 for average in _present(ratings.average))
    # The survey ranks what citizens want to do online next.
    assert dashboard.survey_total > 0 and dashboard.survey
    votes = [count for _service, count in dashboard.survey]
    assert votes == sorted(votes, reverse=True)


def test_the_gap_map_lists_every_town_and_the_online_services(demo: District) -> None:
    gaps = _dashboard(demo).gaps
    assert gaps is not None
    listed = {column.pk for column in gaps.columns}
    assert {town.pk for town in _towns(demo)} <= listed
    assert all(len(row.cells) == len(gaps.columns) for row in gaps.rows)
    online = [row for row in gaps.rows if any(cell.online for cell in row.cells)]
    assert online  # some services are online somewhere …
    assert any(not all(cell.online for cell in row.cells if cell.offered) for row in online)  # … but not everywhere


def test_the_kreis_statistics_show_plausible_figures(demo: District) -> None:
    stats = _kreis_statistics(demo)
    total = stats.total
    assert len(stats.rows) == 4  # three weeks back from a Tuesday touch four ISO weeks
    assert total.visitors > 1000 and total.visitors == total.walk_ins + total.with_appointment
    assert 0 < total.with_appointment < total.walk_ins
    assert total.served <= total.visitors
    assert total.wait_median is not None and total.wait_p90 is not None
    assert 0 <= total.wait_median <= total.wait_p90 and 5 < total.wait_p90 < 120
    assert total.service_median is not None and total.service_p90 is not None
    assert 2 < total.service_median <= total.service_p90 < 60
    assert total.no_show_rate is not None and 0 < total.no_show_rate < 0.2
    assert total.tickets_per_counter is not None and total.tickets_per_counter > 10
    assert total.cases_submitted > 0 and total.cases_decided > 0
    assert total.processing_median_days is not None and total.processing_median_days > 0
    assert total.backlog > 0 and 0 <= total.overdue <= total.backlog
    # Online share per service: a fraction, and the demo takes some services online.
    assert stats.services
    shares = [row.online_share for row in stats.services if row.online_share is not None]
    assert shares and all(0 <= share <= 1 for share in shares) and any(0 < share < 1 for share in shares)
    assert stats.counters and all(row.served > 0 for row in stats.counters)


def test_every_office_page_recommends_a_time_to_come(demo: District, client: Client) -> None:
    offices = list(Office.objects.filter(service_groups__isnull=False).select_related("municipality").distinct())
    assert offices
    for office in offices:
        result = best_time(office, now=DURING_OPENING)
        assert result.has_forecast and result.wait_chart is not None, office
        assert result.recommendation is not None and 0 <= result.recommendation.wait_min < 120, office
        response = client.get(reverse("queueing:office", args=[office.municipality.slug, office.slug]))
        assert response.status_code == 200, office
        page = response.content.decode()
        assert 'data-field="best-time-recommendation"' in page, office
        assert result.recommendation_text and "best-time-none" not in page, office


def test_the_median_visitor_waits_a_few_minutes(demo: District) -> None:
    total = _kreis_statistics(demo).total
    assert total.wait_median is not None and total.wait_median >= 1


def test_the_online_share_of_the_last_month_is_what_the_demo_models(demo: District) -> None:
    dashboard = _dashboard(demo)
    assert dashboard.online_share[-1] is not None and dashboard.online_share[-1] >= 10
