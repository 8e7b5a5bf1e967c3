"""The municipality's back-office navigation shows each link exactly to the roles its page admits: every link
shown opens (200), every page left out is a 404 for that person."""

from __future__ import annotations

import re

import pytest
from django.test import Client

from buergerbuero.accounts.constants import Role
from buergerbuero.accounts.models import User
from buergerbuero.tenants.models import Municipality
from tests.accounts.factories import StaffRoleFactory
from tests.harness.staff import StaffClient

pytestmark = pytest.mark.django_db

PAGES = {
    "Overview": "/backoffice/kaarst/",
    "Appointments": "/backoffice/kaarst/termine/",
    "Live queue": "/backoffice/kaarst/warteschlange/",
    "Applications": "/backoffice/kaarst/antraege/",
    "Settings": "/backoffice/kaarst/einstellungen/",
    "Services": "/backoffice/kaarst/leistungen/",
    "Audit log": "/backoffice/kaarst/protokoll/",
    "Outbox": "/backoffice/kaarst/postausgang/",
    "Statistics": "/backoffice/kaarst/statistik/",
    "Digitalisierungscheck": "/backoffice/kaarst/digitalisierungscheck/",
}
EVERY_STAFF = ["Overview", "Appointments", "Live queue", "Applications"]
EXPECTED = {
    "clerk": EVERY_STAFF,
    "team_lead": [*EVERY_STAFF, "Outbox", "Statistics"],
    "municipality_admin": [
        *EVERY_STAFF,
        *("Settings", "Services", "Audit log", "Outbox", "Statistics", "Digitalisierungscheck"),
    ],
    "district_admin": list(PAGES),
}


def nav_links(client: Client, path: str) -> list[str]:
    response = client.get(path)
    assert response.status_code == 200
    page = response.content.decode()
    nav = re.search(r'<nav class="section-nav".*?</nav>', page, re.S)
    assert nav is not None
    return re.findall(r'<a href="([^"]+)"', nav.group(0))


@pytest.fixture
def people(municipality_a: Municipality, clerk_a: User, admin_a: User, kreis_admin: User) -> dict[str, User]:
    lead = StaffRoleFactory(municipality=municipality_a, role=Role.TEAM_LEAD, user__username="lead_a").user
    return {"clerk": clerk_a, "team_lead": lead, "municipality_admin": admin_a, "district_admin": kreis_admin}


@pytest.mark.parametrize("role", list(EXPECTED))
def test_each_role_sees_exactly_the_pages_it_may_open(
    role: str, people: dict[str, User], staff_client: StaffClient
) -> None:
    client = staff_client(people[role])
    expected = [PAGES[name] for name in EXPECTED[role]]
    assert nav_links(client, PAGES["Overview"]) == expected
    for name, path in PAGES.items():
        assert client.get(path).status_code == (200 if name in EXPECTED[role] else 404), (role, name)


def test_the_nav_is_the_same_on_every_page_and_marks_the_current_one(
    people: dict[str, User], staff_client: StaffClient
) -> None:
    client = staff_client(people["team_lead"])
    expected = [PAGES[name] for name in EXPECTED["team_lead"]]
    for name in ("Applications", "Statistics", "Outbox", "Live queue", "Appointments"):
        assert nav_links(client, PAGES[name]) == expected, name
    page = client.get(PAGES["Statistics"]).content.decode()
    assert f'<a href="{PAGES["Statistics"]}" aria-current="page">' in page
