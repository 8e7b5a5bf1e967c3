"""The citizen's side of the live queue over HTTP: drawing remotely (with the proof of work and the rate
limit), checking in with the office's daily code, the ticket page and its status.json, moving back,
giving back, the alert form, Web Push subscriptions, and a pre-call alert that reaches a push service
which verifies VAPID and decrypts it."""

from __future__ import annotations

import datetime as dt
import html
import json
import re
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from buergerbuero.appointments.models import ServiceGroup
from buergerbuero.core.outbox import dispatch_due
from buergerbuero.core.tenancy import scopes_disabled
from buergerbuero.notifications import webpush
from buergerbuero.queueing import links
from buergerbuero.queueing.constants import RemoteTickets, TicketSource, TicketState
from buergerbuero.queueing.models import PushSubscription, Ticket
from buergerbuero.queueing.services import counters, tickets
from buergerbuero.queueing.services.push import forget_endpoint
from buergerbuero.queueing.views.ticket import COOKIE
from buergerbuero.tenants.models import Office
from tests.appointments.altcha_helpers import solved
from tests.harness.push_service import PushService
from tests.queueing.factories import queue_office, sign_in

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("clock")]


@pytest.fixture(autouse=True)
def quick_proof_of_work(settings: Any) -> None:
    settings.ALTCHA_MAX_NUMBER = 2_000
    settings.APPOINTMENTS_RATE_LIMITS = {"reserve": (50, 60)}


def draw_url(office: Office) -> str:
    return reverse("queueing:draw", kwargs={"municipality": office.municipality.slug, "office": office.slug})


def challenge_of(response: Any) -> dict[str, Any]:
    match = re.search(r'data-altcha-challenge="([^"]+)"', response.content.decode())
    assert match, "the draw form carries no challenge"
    return json.loads(html.unescape(match[1]))


def draw(client: Client, office: Office, line: str = "a", **extra: str) -> Any:
    page = client.get(draw_url(office))
    assert page.status_code == 200
    return client.post(draw_url(office), {"line": line, "altcha": solved(challenge_of(page)), **extra})


def only_ticket() -> Ticket:
    with scopes_disabled():
        return Ticket.objects.select_related("group").get()


def ticket_url(ticket: Ticket, name: str = "queueing:ticket") -> str:
    return reverse(name, kwargs={"public_id": ticket.public_id})


# -- remote draw ---------------------------------------------------------------------------------


def test_it_draws_a_virtual_ticket_remotely_with_an_alert_and_remembers_it(client: Client, office_a: Office) -> None:
    queue_office(office_a)
    page = client.get(draw_url(office_a))
    assert 'data-mode="check_in"' in page.content.decode()
    response = draw(client, office_a, "k", alert="m:20", needs_accessibility="on")
    ticket = only_ticket()
    assert response.status_code == 302 and response["Location"] == ticket_url(ticket)
    assert (ticket.code, ticket.state, ticket.source) == ("K001", TicketState.VIRTUAL, TicketSource.REMOTE)
    assert ticket.needs_accessibility and ticket.alert_minutes == 20
    assert str(ticket.public_id) in client.cookies[COOKIE].value
    shown = client.get(response["Location"]).content.decode()
    assert "K001" in shown and 'id="ticket-check-in"' in shown


def test_it_puts_a_remote_ticket_in_line_at_once_where_the_office_allows_it(client: Client, office_a: Office) -> None:
    queue_office(office_a, remote_tickets=RemoteTickets.DIRECT)
    assert 'data-mode="direct"' in client.get(draw_url(office_a)).content.decode()
    draw(client, office_a)
    assert only_ticket().state == TicketState.WAITING


def test_it_refuses_a_draw_without_the_security_check(client: Client, office_a: Office) -> None:
    queue_office(office_a)
    response = client.post(draw_url(office_a), {"line": "a", "altcha": ""})
    assert response.status_code == 200 and "Sicherheitsprüfung" in response.content.decode()
    with scopes_disabled():
        assert not Ticket.objects.exists()


def test_it_limits_how_often_one_client_draws(client: Client, office_a: Office, settings: Any) -> None:
    queue_office(office_a)
    settings.APPOINTMENTS_RATE_LIMITS = {"reserve": (1, 60)}
    assert draw(client, office_a).status_code == 302
    refused = draw(client, office_a)
    assert refused.status_code == 429 and int(refused["Retry-After"]) > 0


def test_it_offers_no_remote_draw_where_the_office_does_not(client: Client, office_a: Office) -> None:
    queue_office(office_a, remote_tickets=RemoteTickets.OFF)
    page = client.get(draw_url(office_a)).content.decode()
    assert 'id="draw-unavailable"' in page and 'id="draw-form"' not in page


# -- check-in ------------------------------------------------------------------------------------


def checkin_path(office: Office, token: str) -> str:
    kwargs = {"municipality": office.municipality.slug, "office": office.slug, "token": token}
    return reverse("queueing:check-in", kwargs=kwargs)


def test_it_checks_in_only_on_the_post_of_the_confirm_button(client: Client, office_a: Office) -> None:
    queue_office(office_a)
    draw(client, office_a)
    path = checkin_path(office_a, links.checkin_token(office_a))
    page = client.get(path)
    assert page.status_code == 200 and 'id="check-in-form"' in page.content.decode()
    assert only_ticket().state == TicketState.VIRTUAL  # a prefetched link changes nothing
    response = client.post(path, follow=True)
    ticket = only_ticket()
    assert ticket.state == TicketState.WAITING and ticket.arrived_at == timezone.now()
    assert response.redirect_chain[-1][0] == ticket_url(ticket)
    assert "Sie sind eingecheckt" in response.content.decode()


def test_it_explains_a_forged_foreign_or_old_check_in_code(client: Client, office_a: Office, office_b: Office) -> None:
    queue_office(office_a)
    draw(client, office_a)
    yesterday = timezone.localdate() - dt.timedelta(days=1)
    for token in ("not-a-code", links.checkin_token(office_b), links.checkin_token(office_a, yesterday)):
        for method in (client.get, client.post):
            response = method(checkin_path(office_a, token))
            assert response.status_code == 404 and 'data-problem="invalid"' in response.content.decode()
    assert only_ticket().state == TicketState.VIRTUAL


def test_it_explains_a_check_in_without_a_ticket_of_this_office(
    client: Client, office_a: Office, office_b: Office
) -> None:
    queue_office(office_a)
    queue_office(office_b)
    draw(client, office_a)  # this browser's ticket is for office A
    response = client.post(checkin_path(office_b, links.checkin_token(office_b)))
    page = response.content.decode()
    assert response.status_code == 200 and 'data-problem="no_ticket"' in page and draw_url(office_b) in page
    stranger = Client().post(checkin_path(office_a, links.checkin_token(office_a)))
    assert 'data-problem="no_ticket"' in stranger.content.decode()
    assert only_ticket().state == TicketState.VIRTUAL


# -- the ticket page, status.json and the citizen's actions ---------------------------------------


def test_it_shows_position_and_wait_in_the_page_and_in_status_json(client: Client, office_a: Office) -> None:
    lines = queue_office(office_a)
    tickets.draw_ticket(office_a, lines["a"], source=TicketSource.KIOSK)
    mine = tickets.draw_ticket(office_a, lines["a"], source=TicketSource.KIOSK)
    status = client.get(ticket_url(mine, "queueing:ticket-status")).json()
    assert (status["code"], status["state"], status["position"]) == ("A002", "waiting", 1)
    assert 0 <= status["low"] <= status["estimate"] <= status["high"]
    assert status["office"]["status"] == "open" and status["office"]["waiting"] == 2
    page = client.get(ticket_url(mine)).content.decode()
    assert "Vor Ihnen ist noch 1 Person." in page and f"etwa {status['low']} bis {status['high']} Minuten" in page


def test_it_shows_the_counter_when_the_ticket_is_called(client: Client, office_a: Office, clerk_a: Any) -> None:
    lines = queue_office(office_a)
    mine = tickets.draw_ticket(office_a, lines["a"], source=TicketSource.KIOSK)
    counters.call_next(sign_in(clerk_a, office_a, "Platz 1", [lines["a"]]))
    status = client.get(ticket_url(mine, "queueing:ticket-status")).json()
    assert (status["state"], status["counter"], status["can_cancel"]) == ("called", "Platz 1", False)
    page = client.get(ticket_url(mine)).content.decode()
    assert re.search(
        r'id="ticket-called" role="alert">\s*<p[^>]*>Sie sind an der Reihe: Bitte gehen Sie jetzt zu Platz 1', page
    )


def test_it_answers_404_for_an_unknown_ticket(client: Client, office_a: Office) -> None:
    unknown = "00000000-0000-4000-8000-000000000000"
    assert client.get(f"/warteschlange/ticket/{unknown}/").status_code == 404
    assert client.get(f"/warteschlange/ticket/{unknown}/status.json").status_code == 404


def test_it_moves_a_ticket_back_and_gives_it_back_after_confirmation(client: Client, office_a: Office) -> None:
    lines = queue_office(office_a, postpone_minutes=10, max_postpones=1)
    mine = tickets.draw_ticket(office_a, lines["a"], source=TicketSource.KIOSK)
    assert client.get(ticket_url(mine, "queueing:ticket-postpone")).status_code == 405
    moved = client.post(ticket_url(mine, "queueing:ticket-postpone"), follow=True)
    assert "nicht vor 09:40 Uhr aufgerufen" in moved.content.decode()
    again = client.post(ticket_url(mine, "queueing:ticket-postpone"), follow=True)
    assert "so oft wie erlaubt" in again.content.decode()
    ticket = only_ticket()
    assert ticket.postpones == 1 and ticket.ready_at == timezone.now() + dt.timedelta(minutes=10)

    confirm = client.get(ticket_url(mine, "queueing:ticket-cancel"))
    assert 'id="cancel-form"' in confirm.content.decode()
    assert only_ticket().state == TicketState.WAITING
    client.post(ticket_url(mine, "queueing:ticket-cancel"))
    assert only_ticket().state == TicketState.CANCELLED
    assert client.get(ticket_url(mine, "queueing:ticket-status")).json()["final"] is True


@pytest.mark.parametrize(
    ("data", "field", "message"),
    [
        ({"kind": "minutes", "minutes": ""}, "minutes", "Bitte geben Sie an, wie viele Minuten vor Ihrem Aufruf."),
        ({"kind": "minutes", "minutes": "500"}, "minutes", "Bitte geben Sie höchstens 120 Minuten ein."),
        (
            {"kind": "positions", "positions": ""},
            "positions",
            "Bitte geben Sie an, wie viele Personen noch vor Ihnen sein dürfen.",
        ),
        ({"kind": "", "minutes": "10"}, "kind", "Bitte wählen Sie Minuten oder Personen vor Ihnen."),
        (
            {"kind": "minutes", "minutes": "10", "phone": "02131 123456"},
            "phone",
            "Bitte geben Sie eine deutsche Mobilfunknummer ein",
        ),
        (
            {"kind": "minutes", "minutes": "10", "email": "nope"},
            "email",
            "Bitte geben Sie eine gültige E-Mail-Adresse ein",
        ),
    ],
)
def test_it_explains_what_is_wrong_in_the_alert_form(
    client: Client, office_a: Office, data: dict[str, str], field: str, message: str
) -> None:
    lines = queue_office(office_a)
    mine = tickets.draw_ticket(office_a, lines["a"], source=TicketSource.KIOSK)
    response = client.post(ticket_url(mine, "queueing:ticket-alert"), data)
    page = response.content.decode()
    assert response.status_code == 200 and message in page
    assert f'id="id_{field}_error"' in page or field == "kind"  # the radio group's error is in the summary
    ticket = only_ticket()
    assert ticket.alert_minutes is None and ticket.alert_positions is None


def test_it_saves_an_alert_with_a_normalised_mobile_number(client: Client, office_a: Office) -> None:
    lines = queue_office(office_a)
    mine = tickets.draw_ticket(office_a, lines["a"], source=TicketSource.KIOSK)
    data = {"kind": "positions", "positions": "2", "minutes": "15", "phone": "0151 2345 6789", "email": "a@b.de"}
    response = client.post(ticket_url(mine, "queueing:ticket-alert"), data)
    assert response.status_code == 302
    ticket = only_ticket()
    assert (ticket.alert_positions, ticket.alert_minutes) == (2, None)
    assert (ticket.alert_phone, ticket.alert_email) == ("+4915123456789", "a@b.de")


# -- Web Push ------------------------------------------------------------------------------------


def post_json(client: Client, url: str, data: Any) -> Any:
    return client.post(url, json.dumps(data) if not isinstance(data, str) else data, content_type="application/json")


def test_it_validates_and_stores_a_push_subscription_once(
    client: Client, office_a: Office, push_service: PushService
) -> None:
    lines = queue_office(office_a)
    mine = tickets.draw_ticket(office_a, lines["a"], source=TicketSource.KIOSK)
    url = ticket_url(mine, "queueing:ticket-push")
    subscriber = push_service.subscribe(webpush.vapid_public_key())
    good = subscriber.subscription
    internal = {**good, "endpoint": "https://10.0.0.1/push/x"}
    no_keys = {"endpoint": good["endpoint"]}
    for bad in ("{not json", internal, no_keys, {**good, "keys": {"p256dh": "abc", "auth": "def"}}):
        assert post_json(client, url, bad).status_code == 400
    assert post_json(client, url, good).status_code == 201
    assert post_json(client, url, good).status_code == 201  # the same browser again
    with scopes_disabled():
        (stored,) = PushSubscription.objects.filter(ticket=mine)
    assert stored.as_subscription() == {"endpoint": good["endpoint"], "keys": good["keys"]}
    forget_endpoint(good["endpoint"])  # what the push service's 410 triggers
    with scopes_disabled():
        assert not PushSubscription.objects.exists()


def test_it_refuses_push_for_a_finished_ticket(client: Client, office_a: Office, push_service: PushService) -> None:
    lines = queue_office(office_a)
    mine = tickets.cancel(tickets.draw_ticket(office_a, lines["a"], source=TicketSource.KIOSK))
    subscription = push_service.subscribe(webpush.vapid_public_key()).subscription
    assert post_json(client, ticket_url(mine, "queueing:ticket-push"), subscription).status_code == 409


def test_it_pushes_the_pre_call_alert_to_the_subscribed_browser(
    client: Client, office_a: Office, push_service: PushService, django_capture_on_commit_callbacks: Any
) -> None:
    lines: dict[str, ServiceGroup] = queue_office(office_a)
    for _ in range(3):
        tickets.draw_ticket(office_a, lines["a"], source=TicketSource.KIOSK)
    mine = tickets.draw_ticket(office_a, lines["a"], source=TicketSource.KIOSK)
    subscriber = push_service.subscribe(webpush.vapid_public_key())
    assert post_json(client, ticket_url(mine, "queueing:ticket-push"), subscriber.subscription).status_code == 201
    with django_capture_on_commit_callbacks(execute=True):
        client.post(ticket_url(mine, "queueing:ticket-alert"), {"kind": "positions", "positions": "3"})
    assert only_ticket_alerted(mine)
    assert dispatch_due().sent == 1
    (delivery,) = push_service.wait_for_deliveries(1)
    assert push_service.rejections == []
    assert delivery.payload["title"] == "A004: Sie sind bald an der Reihe"
    assert delivery.payload["url"].endswith(ticket_url(mine))
    assert delivery.claims["aud"] == push_service.origin


def test_it_forgets_a_subscription_the_push_service_says_is_gone(
    client: Client, office_a: Office, push_service: PushService, django_capture_on_commit_callbacks: Any
) -> None:
    lines = queue_office(office_a)
    mine = tickets.draw_ticket(office_a, lines["a"], source=TicketSource.KIOSK)
    subscriber = push_service.subscribe(webpush.vapid_public_key())
    post_json(client, ticket_url(mine, "queueing:ticket-push"), subscriber.subscription)
    subscriber.gone = True  # the citizen unsubscribed in the browser
    with django_capture_on_commit_callbacks(execute=True):
        client.post(ticket_url(mine, "queueing:ticket-alert"), {"kind": "positions", "positions": "0"})
    dispatch_due()
    assert [r.status for r in push_service.rejections] == [410]
    with scopes_disabled():
        assert not PushSubscription.objects.exists()  # queueing's ready() registered the callback


def only_ticket_alerted(ticket: Ticket) -> bool:
    with scopes_disabled():
        return Ticket.objects.get(pk=ticket.pk).alert_sent_at is not None


# -- the web app ---------------------------------------------------------------------------------


def test_it_serves_the_manifest_and_the_service_worker(client: Client, office_a: Office) -> None:
    lines = queue_office(office_a)
    mine = tickets.draw_ticket(office_a, lines["a"], source=TicketSource.KIOSK)
    response = client.get(f"/warteschlange/manifest.webmanifest?ticket={mine.public_id}")
    assert response["Content-Type"] == "application/manifest+json"
    manifest = response.json()
    assert manifest["start_url"] == ticket_url(mine) and manifest["scope"] == "/warteschlange/"
    assert manifest["display"] == "standalone" and {icon["sizes"] for icon in manifest["icons"]} >= {"192x192"}
    assert client.get("/warteschlange/manifest.webmanifest?ticket=junk").json()["start_url"] == "/warteschlange/"
    worker = client.get("/warteschlange/sw.js")
    assert worker["Content-Type"].startswith("text/javascript")
    assert worker["Service-Worker-Allowed"] == "/warteschlange/"
    assert b'addEventListener("push"' in worker.content and b"notificationclick" in worker.content
    for size in ("192", "512"):
        assert client.get(f"/static/queueing/icons/icon-{size}.png").status_code == 200
