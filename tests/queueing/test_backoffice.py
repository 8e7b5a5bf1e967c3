"""The queue back office through its views: the counter console end to end, the stale-form guard,
the overview, the ticket stop and the settings (team lead, not clerk), and isolation."""

from __future__ import annotations

import datetime as dt
from typing import Any
from urllib.parse import urlencode

import pytest
from django.contrib.messages import get_messages
from django.test import Client
from django.urls import reverse

from buergerbuero.accounts.constants import Role
from buergerbuero.accounts.models import User
from buergerbuero.appointments.models import ServiceGroup
from buergerbuero.core.models import AuditEntry
from buergerbuero.core.tenancy import scopes_disabled
from buergerbuero.queueing import links, selectors
from buergerbuero.queueing.constants import QueueStatus, TicketSource, TicketState
from buergerbuero.queueing.models import CounterSession, QueueSettings, Ticket, TicketEvent
from buergerbuero.queueing.services import tickets
from buergerbuero.tenants.models import Counter, Municipality, Office
from tests.accounts.factories import StaffRoleFactory
from tests.harness.staff import StaffClient
from tests.queueing.factories import queue_office

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("clock")]

TODAY = dt.date(2026, 11, 17)


def url(name: str, office: Office) -> str:
    return reverse(f"queueing_backoffice:{name}", args=[office.municipality.slug, office.slug])


def counter(office: Office, name: str) -> Counter:
    with scopes_disabled():
        return Counter.objects.get(office=office, name=name)


def ticket(code: str, office: Office) -> Ticket:
    with scopes_disabled():
        return Ticket.objects.get(office=office, day=TODAY, prefix=code[0], number=int(code[1:]))


def draw(office: Office, line: ServiceGroup, count: int = 1) -> list[Ticket]:
    return [tickets.draw_ticket(office, line, source=TicketSource.KIOSK) for _ in range(count)]


def texts(response: Any) -> list[str]:
    return [str(m) for m in get_messages(response.wsgi_request)]


class Console:
    """The clerk at the counter console: presses buttons with the ids the page showed."""

    def __init__(self, client: Client, office: Office) -> None:
        self.client = client
        self.office = office
        self.url = url("console", office)

    def page(self) -> Any:
        response = self.client.get(self.url)
        assert response.status_code == 200
        return response

    def shown(self) -> tuple[int, str]:
        """The session and ticket ids the console's forms carry right now."""
        context = self.page().context
        current = context["current"]
        return context["session"].pk, "" if current is None else str(current.pk)

    def press(self, action: str, *, form: tuple[int, str] | None = None, **extra: object) -> list[str]:
        session, number = form or self.shown()
        response = self.client.post(self.url, {"action": action, "sitzung": session, "nummer": number, **extra})
        assert response.status_code == 302, response.content[:500]
        assert response["Location"] == self.url
        return texts(response)


@pytest.fixture
def lines(office_a: Office) -> dict[str, ServiceGroup]:
    return queue_office(office_a, max_recalls=2)


@pytest.fixture
def team_lead_a(municipality_a: Municipality) -> User:
    return StaffRoleFactory(municipality=municipality_a, role=Role.TEAM_LEAD, user__username="lead_a").user


def sign_in_at_console(client: Client, office: Office, counter_name: str, groups: list[ServiceGroup]) -> Console:
    console = Console(client, office)
    first = console.page()
    assert first.context["form"] is not None  # not signed in yet: the sign-in form
    response = client.post(
        console.url,
        {"action": "sign_in", "schalter": counter(office, counter_name).pk, "linien": [g.pk for g in groups]},
    )
    assert response.status_code == 302, response.content[:1000]
    return console


def test_it_serves_a_queue_from_the_console(
    staff_client: StaffClient, clerk_a: User, office_a: Office, lines: dict[str, ServiceGroup]
) -> None:
    draw(office_a, lines["a"], 3)
    console = sign_in_at_console(staff_client(clerk_a), office_a, "Platz 1", [lines["a"]])
    with scopes_disabled():
        session = CounterSession.objects.get(user=clerk_a, ended_at__isnull=True)
    assert session.counter.name == "Platz 1"
    assert console.page().context["current"] is None

    assert "A001 ist zu Platz 1 aufgerufen." in console.press("call_next")
    assert "A001" in console.page().content.decode()
    # Call again up to the office's limit of 2, then the button refuses with a clear message.
    console.press("recall")
    assert "A001 ist erneut aufgerufen (2 von 2)." in console.press("recall")
    assert console.page().context["can_recall"] is False
    assert any("so oft wie erlaubt" in m for m in console.press("recall"))
    assert ticket("A001", office_a).recalls == 2
    assert "A001 ist als „nicht erschienen“ markiert." in console.press("no_show")
    assert ticket("A001", office_a).state == TicketState.NO_SHOW

    console.press("call_next")
    assert "A002 wird bedient." in console.press("start")
    assert "A002 ist geparkt." in console.press("park")
    console.press("call_next")
    assert "A003 ist abgeschlossen." in console.press("finish")
    parked = ticket("A002", office_a)
    assert "A002 ist zu Platz 1 zurückgeholt." in console.press("resume_parked", ticket=parked.pk)
    console.press("start")
    # Transfer to the Kfz line at Platz 2: keeps its number, waits only for that counter.
    message = console.press(
        "transfer", **{"transfer-linie": lines["k"].pk, "transfer-ziel": counter(office_a, "Platz 2").pk}
    )
    assert "A002 ist an Platz 2 weitergeleitet." in message
    moved = ticket("A002", office_a)
    assert (moved.state, moved.group_id, moved.target_counter_id) == (
        TicketState.WAITING,
        lines["k"].pk,
        counter(office_a, "Platz 2").pk,
    )
    assert "In Ihren Warteschlangen wartet niemand." in console.press("call_next")

    # The statistics inputs are recorded.
    done = ticket("A003", office_a)
    assert done.state == TicketState.DONE
    assert None not in (done.arrived_at, done.called_at, done.started_at, done.ended_at)
    with scopes_disabled():
        kinds = list(TicketEvent.objects.filter(ticket=parked).values_list("kind", flat=True))
    assert kinds == ["drawn", "called", "started", "parked", "resumed", "started", "transferred"]

    console.press("pause")
    assert console.page().context["paused"] is True
    assert any("pausiert" in m for m in console.press("call_next"))
    console.press("resume")
    assert "Sie sind von Platz 1 abgemeldet." in console.press("sign_out")
    with scopes_disabled():
        assert not CounterSession.objects.filter(user=clerk_a, ended_at__isnull=True).exists()
    assert console.page().context["form"] is not None  # back at the sign-in form


def test_it_refuses_a_stale_form_so_a_double_press_never_skips_a_citizen(
    staff_client: StaffClient, clerk_a: User, office_a: Office, lines: dict[str, ServiceGroup]
) -> None:
    draw(office_a, lines["a"], 3)
    console = sign_in_at_console(staff_client(clerk_a), office_a, "Platz 1", [lines["a"]])
    empty = console.shown()
    console.press("call_next", form=empty)
    # The same form again (a second press before the page reloaded): nothing happens.
    refused = console.press("call_next", form=empty)
    assert any("inzwischen geändert" in m and "A001" in m for m in refused)
    assert ticket("A001", office_a).state == TicketState.CALLED
    assert ticket("A002", office_a).state == TicketState.WAITING

    with_a001 = console.shown()
    console.press("call_next", form=with_a001)
    console.press("call_next", form=with_a001)  # pressed twice: A002 stays called, A003 still waits
    assert ticket("A001", office_a).state == TicketState.DONE
    assert ticket("A002", office_a).state == TicketState.CALLED
    assert ticket("A003", office_a).state == TicketState.WAITING
    # Finishing or marking a no-show from an old page does not touch the new ticket either.
    console.press("no_show", form=with_a001)
    assert ticket("A002", office_a).state == TicketState.CALLED


def test_it_refuses_actions_for_a_counter_session_that_is_not_the_clerk_s(
    staff_client: StaffClient,
    clerk_a: User,
    team_lead_a: User,
    office_a: Office,
    lines: dict[str, ServiceGroup],
) -> None:
    draw(office_a, lines["a"], 1)
    colleague = sign_in_at_console(staff_client(team_lead_a), office_a, "Platz 2", [lines["a"]])
    theirs = colleague.shown()
    console = sign_in_at_console(staff_client(clerk_a), office_a, "Platz 1", [lines["a"]])
    refused = console.press("call_next", form=theirs)
    assert any("nicht mehr angemeldet" in m for m in refused)
    assert ticket("A001", office_a).state == TicketState.WAITING


def test_it_shows_the_office_overview_and_draws_tickets_at_the_desk(
    staff_client: StaffClient, clerk_a: User, office_a: Office, lines: dict[str, ServiceGroup]
) -> None:
    draw(office_a, lines["a"], 2)
    client = staff_client(clerk_a)
    console = sign_in_at_console(client, office_a, "Platz 1", [lines["a"]])
    console.press("call_next")
    console.press("start")

    page = client.get(url("overview", office_a))
    assert page.status_code == 200
    html = page.content.decode()
    assert "A001" in html and "A002" in html
    assert urlencode({"key": links.kiosk_key(office_a)}) in html and "<svg" in html  # kiosk link and its QR
    assert page.context["office_status"].status == QueueStatus.OPEN
    assert [len(line["waiting"]) for line in page.context["lines"]] == [1, 0]
    assert page.context["lines"][0]["walk_in"] is not None  # predicted wait for a new ticket
    assert page.context["counter_rows"][0]["ticket"].code == "A001"
    assert "lines" in html and "09:30" in html  # arrival, call and start times of today's tickets
    assert not page.context["can_manage_queue"]  # a clerk sees no stop switch
    assert 'value="stop"' not in html

    response = client.post(url("overview", office_a), {"draw-linie": lines["a"].pk, "draw-barrierefrei": "on"})
    assert response.status_code == 302
    assert "Wartenummer A003 ist für die Warteschlange Pass und Ausweis gezogen." in texts(response)
    drawn = ticket("A003", office_a)
    assert (drawn.source, drawn.needs_accessibility, drawn.state) == (TicketSource.STAFF, True, TicketState.WAITING)

    # Nobody serves the Kfz line now (only Platz 2 does, and nobody is signed in there): ticket stop.
    stopped = client.post(url("overview", office_a), {"draw-linie": lines["k"].pk})
    assert stopped.status_code == 409 and texts(stopped)
    # A service of another line is refused by the form.
    with scopes_disabled():
        other_service = lines["a"].services.get()
    refused = client.post(url("overview", office_a), {"draw-linie": lines["k"].pk, "draw-leistung": other_service.pk})
    assert refused.status_code == 400


def test_it_lets_team_leads_stop_tickets_and_change_settings_but_not_clerks(
    staff_client: StaffClient,
    clerk_a: User,
    team_lead_a: User,
    municipality_a: Municipality,
    office_a: Office,
    lines: dict[str, ServiceGroup],
) -> None:
    clerk = staff_client(clerk_a)
    assert clerk.get(url("settings", office_a)).status_code == 404
    assert clerk.post(url("settings", office_a), {"form": "stop", "stop-grund": "x"}).status_code == 404

    lead = staff_client(team_lead_a)
    overview = lead.get(url("overview", office_a))
    assert overview.context["can_manage_queue"] and 'value="stop"' in overview.content.decode()
    response = lead.post(
        url("settings", office_a), {"form": "stop", "stop-grund": "Alle Schalter ausgebucht", "back": "overview"}
    )
    assert response.status_code == 302 and response["Location"] == url("overview", office_a)
    status = selectors.queue_status(office_a)
    assert (status.status, status.stop_reason) == (QueueStatus.TICKET_STOP, "Alle Schalter ausgebucht")
    refused = lead.post(url("overview", office_a), {"draw-linie": lines["a"].pk})
    assert refused.status_code == 409 and "Alle Schalter ausgebucht" in texts(refused)

    assert lead.post(url("settings", office_a), {"form": "resume"}).status_code == 302
    assert selectors.queue_status(office_a).status == QueueStatus.OPEN

    form = lead.get(url("settings", office_a)).context["settings_form"]
    data = {f"q-{name}": value for name, value in form.initial.items() if value is not None and value is not False}
    data.update({"form": "settings", "q-max_recalls": 5})
    assert lead.post(url("settings", office_a), data).status_code == 302
    with scopes_disabled():
        assert QueueSettings.objects.get(office=office_a).max_recalls == 5
        entries = list(
            AuditEntry.objects.filter(municipality=municipality_a, action__startswith="queueing.settings.")
            .order_by("pk")
            .values_list("action", "actor__username", "changes")
        )
    assert [(action, actor) for action, actor, _changes in entries] == [
        ("queueing.settings.stop_tickets", "lead_a"),
        ("queueing.settings.resume_tickets", "lead_a"),
        ("queueing.settings.change", "lead_a"),
    ]
    assert entries[0][2]["stopped_on"] == [None, "2026-11-17"]
    assert entries[2][2] == {"max_recalls": [2, 5]}

    invalid = lead.post(url("settings", office_a), {**data, "q-max_recalls": -1})
    assert invalid.status_code == 400


def test_it_shows_staff_of_another_municipality_a_404_for_every_page_and_action(
    staff_client: StaffClient, clerk_a: User, clerk_b: User, office_a: Office, lines: dict[str, ServiceGroup]
) -> None:
    draw(office_a, lines["a"], 1)
    console = sign_in_at_console(staff_client(clerk_a), office_a, "Platz 1", [lines["a"]])
    session, number = console.shown()
    outsider = staff_client(clerk_b)
    for name in ("overview", "settings", "console"):
        assert outsider.get(url(name, office_a)).status_code == 404, name
    assert outsider.get(reverse("queueing_backoffice:index", args=[office_a.municipality.slug])).status_code == 404
    assert (
        outsider.post(
            url("console", office_a), {"action": "call_next", "sitzung": session, "nummer": number}
        ).status_code
        == 404
    )
    assert outsider.post(url("overview", office_a), {"draw-linie": lines["a"].pk}).status_code == 404
    assert outsider.post(url("settings", office_a), {"form": "stop"}).status_code == 404
    assert ticket("A001", office_a).state == TicketState.WAITING
    with scopes_disabled():
        assert Ticket.objects.filter(office=office_a).count() == 1
        assert QueueSettings.objects.get(office=office_a).stopped_on is None
