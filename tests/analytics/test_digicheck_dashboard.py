"""The Digitalisierungscheck's figures on hand-made data, the gap map, and who may see which page."""

from __future__ import annotations

import datetime as dt

import pytest
from django.test import Client
from django.urls import reverse

from buergerbuero.accounts.models import User
from buergerbuero.analytics.models import ChecklistUse, Rating, StandardTime, SurveyVote
from buergerbuero.analytics.selectors_digicheck import digicheck, months_ending
from buergerbuero.catalog.models import Service
from buergerbuero.core.tenancy import scopes_disabled, tenant_scope
from buergerbuero.queueing.constants import TicketState
from buergerbuero.tenants.models import District, Municipality, Office
from tests.applications.factories import CaseFactory, online_service
from tests.catalog.factories import ServiceFactory, ServiceOfferingFactory

from .digicheck_data import at, visit

TODAY = dt.date(2026, 3, 15)
MARCH, FEBRUARY, JANUARY = 11, 10, 9  # positions in the 12 months April 2025 … March 2026


@pytest.fixture
def data(district: District, municipality_a: Municipality, municipality_b: Municipality, office_a: Office) -> dict:
    """Kaarst: online service S (4 applications, 3 decided), T only on site, U online without standard time."""
    with scopes_disabled():
        s, form = online_service(municipality_a, slug="wohnsitz")
        s.counter_minutes = 20
        s.save()
        t = ServiceFactory(name_de="Hund anmelden", counter_minutes=10)
        u = ServiceFactory(name_de="Anwohnerparken", counter_minutes=12)

        def case(service: Service, submitted: dt.datetime, decided: dt.datetime | None = None, *, town=municipality_a):
            return CaseFactory(
                municipality=town, service=service, form=form, submitted_at=submitted, decided_at=decided
            )

        case(s, at(dt.date(2026, 3, 2), 10), at(dt.date(2026, 3, 4), 10))  # 2 days
        case(s, at(dt.date(2026, 3, 5), 10), at(dt.date(2026, 3, 9), 10))  # 4 days
        case(s, at(dt.date(2026, 3, 6), 10))  # not decided
        case(s, at(dt.date(2026, 2, 27), 10), at(dt.date(2026, 3, 10), 10))  # 11 days, decided in March
        case(u, at(dt.date(2026, 1, 20), 10))
        case(s, at(dt.date(2026, 3, 3), 10), town=municipality_b)  # another town: never counted for Kaarst
        case(s, at(dt.date(2025, 3, 31), 10))  # before the period

        visit(office_a, dt.date(2026, 3, 10), service=s, wait_minutes=10)
        visit(office_a, dt.date(2026, 3, 11), service=t, wait_minutes=20)
        visit(office_a, dt.date(2026, 3, 12), service=s, wait_minutes=90, state=TicketState.NO_SHOW)
        visit(office_a, dt.date(2026, 1, 12), service=None, wait_minutes=7)

        StandardTime.objects.create(district=district, service=s, on_site_minutes=30, online_minutes=10)
        ChecklistUse.objects.create(municipality=municipality_a, service=t, day=dt.date(2026, 3, 3), count=4)
        ChecklistUse.objects.create(municipality=municipality_b, service=t, day=dt.date(2026, 3, 3), count=50)

        Rating.objects.create(municipality=municipality_a, context="visit", stars=5, day=dt.date(2026, 3, 1))
        Rating.objects.create(
            municipality=municipality_a, context="visit", stars=4, day=dt.date(2026, 3, 2), comment="Sehr nett"
        )
        Rating.objects.create(
            municipality=municipality_a, context="application", stars=1, day=dt.date(2026, 2, 2), comment="Zu lange"
        )
        Rating.objects.create(municipality=municipality_b, context="visit", stars=1, day=dt.date(2026, 3, 2))

        for service, town in [(t, municipality_a), (t, municipality_a), (u, municipality_a), (t, municipality_b)]:
            SurveyVote.objects.create(district=district, municipality=town, service=service, day=dt.date(2026, 3, 5))
        for text in ["Hund anmelden", "hund anmelden", "Sperrmüll"]:
            SurveyVote.objects.create(district=district, municipality=municipality_a, suggestion=text, day=TODAY)

        ServiceOfferingFactory(municipality=municipality_b, service=t, online_application=False)
    return {"s": s, "t": t, "u": u}


def test_the_months_are_the_last_twelve() -> None:
    months = months_ending(TODAY)
    assert months[0] == dt.date(2025, 4, 1) and months[-1] == dt.date(2026, 3, 1) and len(months) == 12
    assert months_ending(dt.date(2026, 1, 31), 2) == [dt.date(2025, 12, 1), dt.date(2026, 1, 1)]


def test_each_figure_on_hand_made_data(data: dict, district: District, municipality_a: Municipality) -> None:
    with tenant_scope([municipality_a]):
        board = digicheck(municipalities=[municipality_a], district=district, today=TODAY, with_gap_map=False)

    # Online share: S had 3 online applications and 1 finished visit in March, 1 application in February.
    by_service = {share.service.pk: share for share in board.services}
    s = by_service[data["s"].pk]
    assert s.online[MARCH] == 3 and s.on_site[MARCH] == 1 and s.share[MARCH] == 75.0
    assert s.share[FEBRUARY] == 100.0 and s.share[JANUARY] is None
    assert s.total_share == 80.0
    assert data["t"].pk not in by_service  # never online: not in the online share
    assert board.online_share[MARCH] == 75.0 and board.online_share[FEBRUARY] == 100.0
    assert board.online_share[JANUARY] == 100.0  # U: one online application, no visit

    # Days to decision: decided in March after 2, 4 and 11 days → median 4.
    assert board.decision_days[MARCH] == 4.0 and board.decisions[MARCH] == 3
    assert board.decision_days[FEBRUARY] is None

    # Wait: finished visits in March waited 10 and 20 minutes (the no-show does not count).
    assert board.wait_minutes[MARCH] == 15.0 and board.visits[MARCH] == 2
    assert board.wait_minutes[JANUARY] == 7.0

    # Visits avoided: 3 applications × 1 + 4 checklists × 0.5 in March; February 1; January 1 (U).
    assert board.checklists[MARCH] == 4
    assert board.visits_avoided[MARCH] == 5.0 and board.visits_avoided[FEBRUARY] == 1.0
    assert board.visits_avoided[JANUARY] == 1.0

    # Hours saved: S (standard time 30 − 10 min) × 3 in March = 1 h; U falls back to 12 − 6 min.
    assert board.hours_saved[MARCH] == 1.0 and board.hours_saved[FEBRUARY] == 0.3 and board.hours_saved[JANUARY] == 0.1
    hours = {item.service.pk: item for item in board.hours_by_service}
    assert (hours[data["s"].pk].from_standard_time, hours[data["s"].pk].hours) == (True, 1.3)
    assert (hours[data["u"].pk].on_site_minutes, hours[data["u"].pk].online_minutes) == (12.0, 6.0)
    assert hours[data["u"].pk].from_standard_time is False

    # Satisfaction: March 5 and 4 stars, February 1 star; Jüchen's rating is not Kaarst's.
    ratings = board.ratings
    assert ratings.average[MARCH] == 4.5 and ratings.count[MARCH] == 2 and ratings.average[FEBRUARY] == 1.0
    assert ratings.distribution == {5: 1, 4: 1, 3: 0, 2: 0, 1: 1} and ratings.total == 3
    assert ratings.overall_average == 3.33
    assert [r.comment for r in ratings.latest_comments] == ["Sehr nett", "Zu lange"]

    # Survey: T twice, U once in Kaarst; the free suggestions grouped regardless of case.
    assert [(service.pk, votes) for service, votes in board.survey] == [(data["t"].pk, 2), (data["u"].pk, 1)]
    assert board.suggestions[0][1] == 2 and board.suggestions[0][0].lower() == "hund anmelden"
    assert board.suggestions[1] == ("Sperrmüll", 1)
    assert board.survey_total == 6


def test_the_kreis_sums_up_every_town(data: dict, district: District, municipality_a, municipality_b) -> None:
    with scopes_disabled():
        board = digicheck(municipalities=[municipality_a, municipality_b], district=district, today=TODAY, kreis=True)
    assert board.online_applications[MARCH] == 4  # Kaarst's 3 and Jüchen's 1 of S
    assert board.checklists[MARCH] == 54
    assert board.ratings.total == 4
    assert next((service.pk, votes) for service, votes in board.survey) == (data["t"].pk, 3)


def test_the_gap_map_says_online_on_site_or_not_offered(
    data: dict, client: Client, admin_a: User, staff_client, municipality_a: Municipality
) -> None:
    page = staff_client(admin_a).get(reverse("digicheck:municipality", args=[municipality_a.slug]))
    assert page.status_code == 200
    html = page.content.decode()
    gap = html[html.index('id="gap-map"') :]
    row_s = gap[gap.index(data["s"].name_de) :].split("</tr>")[0]
    row_t = gap[gap.index("Hund anmelden") :].split("</tr>")[0]
    # Columns: Jüchen, Kaarst (by name). S: Jüchen not offered, Kaarst online. T: Jüchen on site, Kaarst not.
    cells_s, cells_t = row_s.split("<td")[1:], row_t.split("<td")[1:]
    assert len(cells_s) == 2 and "gap--none" in cells_s[0] and "gap--online" in cells_s[1]
    assert "gap--on-site" in cells_t[0] and "gap--none" in cells_t[1]
    # Text in every cell, not colour only.
    for cell in cells_s + cells_t:
        assert len(cell.split(">", 1)[1].replace("</td>", "").strip()) > 3
    # Every figure explains itself.
    assert html.count("So wird das berechnet") >= 8
    assert "<svg" in html and "<details" in html


def test_who_may_see_which_dashboard(
    data: dict, staff_client, admin_a: User, clerk_a: User, clerk_b: User, kreis_admin: User, municipality_a
) -> None:
    town = reverse("digicheck:municipality", args=[municipality_a.slug])
    kreis = reverse("digicheck:kreis")
    leader, kreis_client = staff_client(admin_a), staff_client(kreis_admin)
    assert leader.get(town).status_code == 200
    assert staff_client(clerk_a).get(town).status_code == 404  # not a leader
    assert staff_client(clerk_b).get(town).status_code == 404  # another town's staff
    assert kreis_client.get(town).status_code == 200
    assert leader.get(kreis).status_code == 404
    kreis_page = kreis_client.get(kreis)
    assert kreis_page.status_code == 200 and "Jüchen" in kreis_page.content.decode()
    assert Client().get(town).status_code == 302  # to the login
