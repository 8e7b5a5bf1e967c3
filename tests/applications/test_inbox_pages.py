"""The inbox and the case page in the back office, and the staff API: filters, sorting, pages at a
constant number of queries, the workflow through the page, and a 404 for another municipality's clerk."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

import pytest
import time_machine
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from pytest_django import DjangoAssertNumQueries

from buergerbuero.accounts.models import User
from buergerbuero.applications.constants import CaseState, Direction
from buergerbuero.applications.models import Case, FormDefinition, MailboxMessage
from buergerbuero.applications.selectors_inbox import InboxFilters, inbox_page
from buergerbuero.catalog.models import Service
from buergerbuero.core.tenancy import scopes_disabled
from buergerbuero.tenants.models import Municipality
from tests.applications.factories import CaseFactory, online_service
from tests.harness.clock import FIXED_NOW

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("clock")]

DAY = dt.timedelta(days=1)
#: Queries of one inbox page view, whatever the filter, sort or page (``make bench-inbox`` counts the same).
PAGE_QUERIES = 14


@pytest.fixture
def service_form(municipality_a: Municipality) -> tuple[Service, FormDefinition]:
    with scopes_disabled():
        return online_service(municipality_a)


def make_cases(
    municipality: Municipality, service_form: tuple[Service, FormDefinition], n: int, **fields: object
) -> list[Case]:
    service, form = service_form
    with scopes_disabled():
        return [CaseFactory(municipality=municipality, service=service, form=form, **fields) for _ in range(n)]


def inbox(municipality: Municipality, viewer: User | None = None, page: int = 1, **filters: str) -> list[str]:
    with scopes_disabled():
        result = inbox_page(
            municipality=municipality, filters=InboxFilters(**filters), page=page, per_page=5, viewer=viewer
        )
    return [case.file_number for case in result.rows]


def test_the_inbox_filters_by_state_assignee_deadline_service_and_text(
    municipality_a: Municipality, service_form: tuple[Service, FormDefinition], clerk_a: User, admin_a: User
) -> None:
    received = make_cases(municipality_a, service_form, 1, submitted_at=FIXED_NOW - 3 * DAY)[0]
    mine = make_cases(
        municipality_a,
        service_form,
        1,
        state=CaseState.IN_REVIEW,
        assignee=clerk_a,
        due_at=FIXED_NOW - DAY,
        submitted_at=FIXED_NOW - 2 * DAY,
    )[0]
    theirs = make_cases(
        municipality_a,
        service_form,
        1,
        state=CaseState.WAITING,
        assignee=admin_a,
        due_at=FIXED_NOW + 2 * DAY,
        submitted_at=FIXED_NOW - DAY,
        applicant_name="Max Gewerbe",
    )[0]
    decided = make_cases(
        municipality_a, service_form, 1, state=CaseState.DECIDED, due_at=FIXED_NOW - DAY, submitted_at=FIXED_NOW
    )[0]
    assert inbox(municipality_a) == [decided.file_number, theirs.file_number, mine.file_number, received.file_number]
    assert inbox(municipality_a, state="open") == [theirs.file_number, mine.file_number, received.file_number]
    assert inbox(municipality_a, state="decided") == [decided.file_number]
    assert inbox(municipality_a, clerk_a, assignee="me") == [mine.file_number]
    assert inbox(municipality_a, assignee="nobody") == [decided.file_number, received.file_number]
    assert inbox(municipality_a, assignee=str(admin_a.pk)) == [theirs.file_number]
    assert inbox(municipality_a, deadline="overdue") == [mine.file_number]  # the decided one is not overdue
    assert inbox(municipality_a, deadline="due_this_week") == [theirs.file_number]  # Tuesday + 2 days
    assert inbox(municipality_a, search="gewerbe") == [theirs.file_number]
    assert inbox(municipality_a, search=mine.file_number) == [mine.file_number]
    assert len(inbox(municipality_a, search="32.11/2026/")) == 4  # a prefix
    assert inbox(municipality_a, service="other") == []
    due_sorted = inbox(municipality_a, sort="due")
    assert due_sorted[-1] == received.file_number  # no deadline: last
    assert due_sorted[-2] == theirs.file_number
    assert inbox(municipality_a, sort="file_number") == sorted(inbox(municipality_a))


def test_the_inbox_pages_at_a_constant_number_of_queries(
    municipality_a: Municipality,
    service_form: tuple[Service, FormDefinition],
    clerk_a: User,
    django_assert_num_queries: DjangoAssertNumQueries,
) -> None:
    make_cases(municipality_a, service_form, 12, assignee=clerk_a)
    with scopes_disabled():
        with django_assert_num_queries(2):
            first = inbox_page(municipality=municipality_a, filters=InboxFilters(), page=1, per_page=5)
            [(case.service.name, case.assignee) for case in first.rows]
        with django_assert_num_queries(2):
            third = inbox_page(municipality=municipality_a, filters=InboxFilters(state="open"), page=3, per_page=5)
            [(case.service.name, case.assignee) for case in third.rows]
    assert (len(first.rows), len(third.rows)) == (5, 2)
    assert (first.total, first.pages, third.number) == (12, 3, 3)
    assert first.state_counts == {CaseState.RECEIVED: 12}


def test_the_inbox_page_costs_the_same_queries_for_every_page_and_filter(
    municipality_a: Municipality,
    service_form: tuple[Service, FormDefinition],
    clerk_a: User,
    staff_client: Callable[[User], Client],
) -> None:
    make_cases(municipality_a, service_form, 30, assignee=clerk_a, due_at=FIXED_NOW - DAY)
    client = staff_client(clerk_a)
    counts = []
    for query in ("", "?seite=2", "?status=open&bearbeitung=me&frist=overdue&sortierung=due", "?suche=nichts"):
        with CaptureQueriesContext(connection) as queries:
            response = client.get(f"/backoffice/kaarst/antraege/{query}")
        assert response.status_code == 200
        counts.append(len(queries))
    # Session, user, TOTP device, roles for the tenant scope, municipality, roles in it (once: the view
    # reuses what staff_view found), assignable staff, services, counts per state, rows, the Kreis
    # (layout), and saving the session (SESSION_SAVE_EVERY_REQUEST).
    assert counts == [PAGE_QUERIES] * 4, counts
    page = client.get("/backoffice/kaarst/antraege/?sortierung=due").content.decode()
    assert 'aria-sort="ascending"' in page
    assert "überfällig" in page or "overdue" in page
    assert "Seite 1 von 2" in page or "Page 1 of 2" in page


def test_the_inbox_rows_show_link_service_state_deadline_and_assignee(
    municipality_a: Municipality,
    service_form: tuple[Service, FormDefinition],
    clerk_a: User,
    staff_client: Callable[[User], Client],
) -> None:
    (mine,) = make_cases(municipality_a, service_form, 1, assignee=clerk_a, due_at=FIXED_NOW - DAY)
    (nobodys,) = make_cases(
        municipality_a, service_form, 1, state=CaseState.DECIDED, due_at=None, applicant_name="Jonas <b>Weber</b>"
    )
    client = staff_client(clerk_a)
    page = client.get("/backoffice/kaarst/antraege/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    rows = page.split("<tbody>")[1].split("</tbody>")[0]
    assert f'<a href="/backoffice/kaarst/antraege/{mine.public_id}/">{mine.file_number}</a>' in rows
    assert f'<a href="/backoffice/kaarst/antraege/{nobodys.public_id}/">{nobodys.file_number}</a>' in rows
    service = service_form[0]
    assert rows.count(f"<td>{service.name_en or service.name_de}</td>") == 2
    assert "<td>Jonas &lt;b&gt;Weber&lt;/b&gt;</td>" in rows  # escaped like any other text
    due = (FIXED_NOW - DAY).strftime("%m/%d/%Y")  # FIXED_NOW is local time; English short date
    assert f'<span aria-hidden="true">⚠ </span>overdue: {due}</span>' in rows
    assert "<td>–</td>" in rows  # no deadline
    assert f"<td>{clerk_a.get_full_name() or clerk_a.username}</td>" in rows
    assert "<td>nobody</td>" in rows
    assert "<td>received</td>" in rows and "<td>decided</td>" in rows


def test_another_municipalitys_clerk_gets_404_on_pages_and_api(
    municipality_a: Municipality,
    municipality_b: Municipality,
    service_form: tuple[Service, FormDefinition],
    clerk_b: User,
    staff_client: Callable[[User], Client],
) -> None:
    (case,) = make_cases(municipality_a, service_form, 1)
    client = staff_client(clerk_b)
    assert client.get("/backoffice/juechen/antraege/").status_code == 200
    for url in (
        "/backoffice/kaarst/antraege/",
        f"/backoffice/kaarst/antraege/{case.public_id}/",
        f"/backoffice/juechen/antraege/{case.public_id}/",  # the case in the wrong municipality's URL
        f"/backoffice/kaarst/antraege/{case.public_id}/eingangsbestaetigung.pdf",
        "/api/backoffice/kaarst/cases",
        f"/api/backoffice/kaarst/cases/{case.public_id}",
        f"/api/backoffice/juechen/cases/{case.public_id}",
    ):
        assert client.get(url).status_code == 404, url
    assert client.post(f"/backoffice/kaarst/antraege/{case.public_id}/", {"action": "close"}).status_code == 404


def test_the_api_lists_and_shows_cases_to_signed_in_staff_only(
    municipality_a: Municipality,
    service_form: tuple[Service, FormDefinition],
    clerk_a: User,
    staff_client: Callable[[User], Client],
) -> None:
    cases = make_cases(municipality_a, service_form, 3, due_at=FIXED_NOW - DAY)
    assert Client().get("/api/backoffice/kaarst/cases").status_code == 401
    client = staff_client(clerk_a)
    body = client.get("/api/backoffice/kaarst/cases?per_page=2&page=2&deadline=overdue").json()
    assert (body["total"], body["pages"], body["page"]) == (3, 2, 2)
    assert body["counts"]["received"] == 3
    (item,) = body["items"]
    assert item["overdue"] is True
    assert item["url"] == f"/backoffice/kaarst/antraege/{item['id']}/"
    detail = client.get(f"/api/backoffice/kaarst/cases/{cases[0].public_id}").json()
    assert detail["file_number"] == cases[0].file_number
    assert detail["data"]["adresse"]["plz"] == "41564"
    schema = client.get("/api/openapi.json").json()
    assert "/api/backoffice/{municipality_slug}/cases" in schema["paths"]
    assert "/api/backoffice/{municipality_slug}/cases/{case_id}" in schema["paths"]


def test_the_clerk_works_a_case_through_its_page(
    clock: time_machine.Coordinates,
    municipality_a: Municipality,
    service_form: tuple[Service, FormDefinition],
    clerk_a: User,
    staff_client: Callable[[User], Client],
) -> None:
    (case,) = make_cases(municipality_a, service_form, 1)
    client = staff_client(clerk_a)
    url = f"/backoffice/kaarst/antraege/{case.public_id}/"
    page = client.get(url)
    assert page.status_code == 200
    assert "Erika" in page.content.decode()  # the summary of the submitted data
    version = page.context["version"]

    empty = client.post(url, {"action": "ask", "version": version, "ask-body": "  "})
    assert empty.status_code == 400
    html = empty.content.decode()
    assert 'aria-invalid="true"' in html
    assert 'href="#id_ask-body"' in html  # the error summary links to the field

    clock.shift(dt.timedelta(minutes=1))  # time passes between the page and the question
    asked = client.post(url, {"action": "ask", "version": version, "ask-body": "Bitte Erlaubnis nachreichen."})
    assert asked.status_code == 302
    stale = client.post(url, {"action": "start_review", "version": version})  # the page before the question
    assert stale.status_code == 409
    with scopes_disabled():
        case.refresh_from_db()
        assert case.state == CaseState.WAITING
        assert MailboxMessage.objects.filter(case=case, direction=Direction.TO_CITIZEN).count() == 1

    version = client.get(url).context["version"]
    rejected = client.post(url, {"action": "decide", "version": version, "decide-decision": "rejected"})
    assert rejected.status_code == 400
    assert 'id="id_decide-reasons_error"' in rejected.content.decode()
    note = client.post(url, {"action": "note", "version": version, "note-text": "Nur intern."})
    assert note.status_code == 302
    approved = client.post(url, {"action": "decide", "version": version, "decide-decision": "approved"})
    assert approved.status_code == 302
    pdf = client.get(f"{url}bescheid.pdf")
    assert pdf.status_code == 200
    assert pdf["Content-Type"] == "application/pdf"
    with scopes_disabled():
        case.refresh_from_db()
    assert case.state == CaseState.DECIDED
    assert "Nur intern." in client.get(url).content.decode()
