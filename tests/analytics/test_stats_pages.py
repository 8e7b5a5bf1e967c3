"""Staff statistics pages, their CSV/XLSX downloads, who may see them, and the open-data API."""

from __future__ import annotations

import csv
import io
import json

import pytest
import time_machine
from django.test import Client
from openpyxl import load_workbook

from buergerbuero.accounts.constants import Role
from buergerbuero.accounts.models import User
from buergerbuero.tenants.models import Municipality, Office
from tests.accounts.factories import StaffRoleFactory
from tests.analytics.stats_data import History, build_history
from tests.harness.staff import StaffClient

pytestmark = pytest.mark.django_db

RANGE = {"von": "2026-10-01", "bis": "2026-11-30", "einteilung": "month"}


@pytest.fixture
def history(
    municipality_a: Municipality, office_a: Office, office_b: Office, clock: time_machine.Coordinates
) -> History:
    return build_history(municipality_a, office_a, office_b)


@pytest.fixture
def lead_a(municipality_a: Municipality) -> User:
    return StaffRoleFactory(municipality=municipality_a, role=Role.TEAM_LEAD, user__username="lead_a").user


@pytest.fixture
def lead_b(municipality_b: Municipality) -> User:
    return StaffRoleFactory(municipality=municipality_b, role=Role.TEAM_LEAD, user__username="lead_b").user


def parse_csv(body: bytes) -> list[list[str]]:
    return list(csv.reader(io.StringIO(body.decode("utf-8-sig"))))


def test_a_team_lead_sees_the_figures_of_their_town(history: History, staff_client: StaffClient, lead_a: User) -> None:
    response = staff_client(lead_a).get("/backoffice/kaarst/statistik/", RANGE)
    assert response.status_code == 200
    page = response.content.decode()
    assert "Figures per period" in page or "Zahlen" in page
    assert "<svg" in page and "<details" in page  # charts with their tables
    assert response.context["table_rows"][0][1] == "3"  # October: three visitors


def test_others_get_a_404(
    history: History, staff_client: StaffClient, clerk_a: User, lead_b: User, lead_a: User, kreis_admin: User
) -> None:
    assert staff_client(clerk_a).get("/backoffice/kaarst/statistik/").status_code == 404  # a clerk
    assert staff_client(lead_b).get("/backoffice/kaarst/statistik/").status_code == 404  # another town
    assert staff_client(lead_a).get("/backoffice/statistik/").status_code == 404  # the Kreis page
    assert staff_client(kreis_admin).get("/backoffice/kaarst/statistik/", RANGE).status_code == 200
    assert Client().get("/backoffice/kaarst/statistik/").status_code == 302  # to the login


def test_the_kreis_admin_sees_the_kreis(history: History, staff_client: StaffClient, kreis_admin: User) -> None:
    response = staff_client(kreis_admin).get("/backoffice/statistik/", RANGE)
    assert response.status_code == 200
    assert response.context["stats"].rows[0].visitors == 4  # both towns


def test_bad_filters_are_explained_next_to_the_field(history: History, staff_client: StaffClient, lead_a: User) -> None:
    client = staff_client(lead_a)
    response = client.get(
        "/backoffice/kaarst/statistik/", {"von": "2026-11-30", "bis": "2026-10-01", "einteilung": "month"}
    )
    assert response.status_code == 400
    page = response.content.decode()
    assert 'id="id_bis_error"' in page and 'aria-invalid="true"' in page and "error-summary" in page
    assert 'value="2026-11-30"' in page  # nothing entered is lost
    response = client.get("/backoffice/kaarst/statistik/", {"von": "gestern"})
    assert response.status_code == 400 and 'id="id_von_error"' in response.content.decode()


def test_the_csv_download_parses_and_suppresses_small_counts(
    history: History, staff_client: StaffClient, lead_a: User
) -> None:
    response = staff_client(lead_a).get("/backoffice/kaarst/statistik/", {**RANGE, "format": "csv"})
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    assert 'filename="statistik-kaarst-2026-10-01-2026-11-30.csv"' in response["Content-Disposition"]
    rows = parse_csv(response.content)
    header, definitions, october, _november, total = rows
    assert len(header) == len(definitions) == len(october) == 19
    column = dict(zip(header, october, strict=True))
    visitors, wait_median = header[1], header[5]
    assert column[visitors] == "<5"  # 3 visitors
    assert column[wait_median] == "n<5"  # a median of 3 waits would describe people
    assert definitions[1]  # every column says how it is computed
    assert dict(zip(header, total, strict=True))[visitors] == "<5"


def test_the_xlsx_download_has_the_same_columns(history: History, staff_client: StaffClient, lead_a: User) -> None:
    client = staff_client(lead_a)
    csv_rows = parse_csv(client.get("/backoffice/kaarst/statistik/", {**RANGE, "format": "csv"}).content)
    response = client.get("/backoffice/kaarst/statistik/", {**RANGE, "format": "xlsx"})
    assert response.status_code == 200
    assert response["Content-Disposition"].endswith('statistik-kaarst-2026-10-01-2026-11-30.xlsx"')
    workbook = load_workbook(io.BytesIO(response.content))
    sheet = workbook.worksheets[0]
    values = [["" if cell is None else str(cell) for cell in row] for row in sheet.iter_rows(values_only=True)]
    assert values[: len(csv_rows)] == csv_rows
    shares = list(workbook.worksheets[1].iter_rows(values_only=True))
    # S1: 3 online, 2 on site; S2: 0 online, 2 on site: both shares would reveal a small count.
    assert shares[1][1:] == ("<5", "<5", "n<5")
    assert shares[2][1:] == (0, "<5", "n<5")


def test_open_data_lists_offices_and_their_monthly_figures(history: History, client: Client) -> None:
    listing = client.get("/api/opendata/offices").json()
    assert listing["licence"] == "CC BY 4.0"
    office = next(item for item in listing["offices"] if item["id"] == str(history.office_a.public_id))
    response = client.get(office["statistics_url"], {"from": "2026-10-01", "to": "2026-11-30"})
    assert response.status_code == 200
    body = response.json()
    assert body["licence_url"] == "https://creativecommons.org/licenses/by/4.0/"
    assert [month["month"] for month in body["months"]] == ["2026-10", "2026-11"]
    october = body["months"][0]
    assert october["visitors"] == "<5" and october["wait_median_min"] == "n<5" and october["no_show_rate"] == "n<5"
    assert "name" not in json.dumps(body["months"])  # no personal fields at all


def test_open_data_csv_has_the_licence_header(history: History, client: Client) -> None:
    url = f"/api/opendata/offices/{history.office_a.public_id}/statistics"
    response = client.get(url, {"format": "csv", "from": "2026-10-01", "to": "2026-11-30"})
    assert response.status_code == 200
    assert response["Link"] == '<https://creativecommons.org/licenses/by/4.0/>; rel="license"'
    rows = parse_csv(response.content)
    assert rows[0][:3] == ["month", "visitors", "walk_ins"]
    assert rows[1][:2] == ["2026-10", "<5"]
    assert client.get(url, {"from": "2026-11-30", "to": "2026-10-01"}).status_code == 422
    assert client.get("/api/opendata/offices/00000000-0000-0000-0000-000000000000/statistics").status_code == 404


def test_open_data_is_in_the_openapi_schema(client: Client, db: None) -> None:
    paths = client.get("/api/openapi.json").json()["paths"]
    assert "/api/opendata/offices" in paths
    operation = paths["/api/opendata/offices/{office_id}/statistics"]["get"]
    assert {parameter["name"] for parameter in operation["parameters"]} >= {"format", "from", "to"}
