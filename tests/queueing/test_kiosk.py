"""The ticket machine: who may use it (device key, cookie, staff), drawing through the page, the ticket
stop, and the printed ticket."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from django.contrib.staticfiles import finders
from django.core import signing
from django.test import Client
from django.urls import reverse
from django.utils import translation

from buergerbuero.core.tenancy import scopes_disabled
from buergerbuero.queueing import links
from buergerbuero.queueing.constants import Priority, TicketSource
from buergerbuero.queueing.models import Ticket
from buergerbuero.queueing.services import tickets
from buergerbuero.queueing.views.display import WaitRange, wait_range
from buergerbuero.queueing.views.kiosk import COOKIE_NAME
from tests.catalog.factories import ServiceFactory
from tests.queueing.factories import queue_office

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("clock")]


def kiosk_url(office) -> str:
    return reverse("queueing:kiosk", kwargs={"municipality": office.municipality.slug, "office": office.slug})


def kiosk_client(office, client: Client | None = None) -> Client:
    """A device set up the way staff do it: the key link opened once."""
    client = client or Client()
    response = client.get(kiosk_url(office), {"key": links.kiosk_key(office)})
    assert response.status_code == 302
    return client


def all_tickets() -> list[Ticket]:
    with scopes_disabled():
        return list(Ticket.objects.order_by("pk"))


# -- access ----------------------------------------------------------------------------------------


def test_it_refuses_a_device_that_was_not_set_up(client, office_a):
    queue_office(office_a)
    response = client.get(kiosk_url(office_a))
    assert response.status_code == 403
    assert b"kiosk-notice" in response.content
    assert b"kiosk-button" not in response.content
    assert client.post(kiosk_url(office_a), {"choice": "a"}).status_code == 403
    assert all_tickets() == []


def test_it_turns_a_device_into_a_kiosk_with_the_key_and_forgets_the_key_in_the_address(client, office_a):
    queue_office(office_a)
    response = client.get(kiosk_url(office_a), {"key": links.kiosk_key(office_a)})
    assert response.status_code == 302
    assert response["Location"] == kiosk_url(office_a)
    cookie = response.cookies[COOKIE_NAME]
    assert links.office_for_kiosk_key(cookie.value) == office_a.pk
    assert cookie["httponly"] is True
    assert cookie["samesite"] == "Lax"
    assert cookie["path"] == kiosk_url(office_a)
    assert int(cookie["max-age"]) >= 365 * 24 * 3600
    page = client.get(kiosk_url(office_a))
    assert page.status_code == 200
    assert b'name="choice" value="a"' in page.content
    assert b'name="accessibility"' in page.content


def test_it_refuses_a_forged_key_and_the_key_of_another_office(client, office_a, office_b):
    queue_office(office_a)
    forged = links.kiosk_key(office_a)[:-2] + "xx"
    for key in (forged, links.kiosk_key(office_b), signing.dumps({"o": office_a.pk}, salt="other")):
        response = client.get(kiosk_url(office_a), {"key": key})
        assert response.status_code == 403, key
        assert COOKIE_NAME not in response.cookies
    client.cookies[COOKIE_NAME] = links.kiosk_key(office_b)  # a Jüchen machine carried to Kaarst
    assert client.get(kiosk_url(office_a)).status_code == 403
    assert client.post(kiosk_url(office_a), {"choice": "a"}).status_code == 403
    assert all_tickets() == []


def test_it_lets_staff_of_the_municipality_try_it_but_not_staff_of_another(staff_client, office_a, clerk_a, clerk_b):
    queue_office(office_a)
    assert staff_client(clerk_a).get(kiosk_url(office_a)).status_code == 200
    assert staff_client(clerk_b).get(kiosk_url(office_a)).status_code == 403


def test_it_answers_404_for_an_unknown_office(client, office_a):
    url = reverse("queueing:kiosk", kwargs={"municipality": "kaarst", "office": "nirgendwo"})
    assert client.get(url, {"key": links.kiosk_key(office_a)}).status_code == 404


# -- drawing ---------------------------------------------------------------------------------------


def test_it_draws_a_ticket_and_shows_the_printable_ticket(office_a):
    lines = queue_office(office_a)
    client = kiosk_client(office_a)
    for _ in range(3):  # three people are already waiting
        tickets.draw_ticket(office_a, lines["a"], source=TicketSource.KIOSK)

    response = client.post(kiosk_url(office_a), {"choice": "a"})

    assert response.status_code == 302
    ticket = all_tickets()[-1]
    assert (ticket.code, ticket.source, ticket.needs_accessibility) == ("A004", TicketSource.KIOSK, False)
    assert response["Location"] == reverse(
        "queueing:kiosk-ticket", kwargs={"municipality": "kaarst", "office": "rathaus", "public_id": ticket.public_id}
    )
    page = client.get(response["Location"])
    assert page.status_code == 200
    html = page.content.decode()
    assert '<span class="kiosk-ticket__number" id="ticket-number">A004</span>' in html
    assert "Pass und Ausweis" in html
    assert "<dd data-ahead>3</dd>" in html
    assert "17.11.2026 09:30" in html
    assert '<svg role="img"' in html and 'class="qr"' in html
    assert "data-auto-print" in html and f'data-return-url="{kiosk_url(office_a)}"' in html
    wait = html[html.index("<dd data-wait>") :]
    assert wait[: wait.index("</dd>")].endswith("Min.")  # a range such as "etwa 10–25 Min."
    assert "–" in wait[: wait.index("</dd>")]


def test_it_puts_who_needs_assistance_first(office_a):
    lines = queue_office(office_a)
    client = kiosk_client(office_a)
    tickets.draw_ticket(office_a, lines["a"], source=TicketSource.KIOSK)

    response = client.post(kiosk_url(office_a), {"choice": "a", "accessibility": "1"})

    ticket = all_tickets()[-1]
    assert (ticket.code, ticket.needs_accessibility, ticket.priority) == ("A002", True, Priority.ACCESSIBILITY)
    assert "<dd data-ahead>0</dd>" in client.get(response["Location"]).content.decode()


def test_it_draws_for_a_service_when_the_line_has_few(office_a):
    lines = queue_office(office_a)
    with scopes_disabled():
        extra = lines["k"].services.first()
        other = ServiceFactory(counter_minutes=5)
        lines["k"].services.add(other)
    client = kiosk_client(office_a)
    page = client.get(kiosk_url(office_a)).content.decode()
    assert f'value="k:{extra.slug}"' in page and f'value="k:{other.slug}"' in page
    assert 'value="k"' not in page
    assert client.post(kiosk_url(office_a), {"choice": f"k:{other.slug}"}).status_code == 302
    ticket = all_tickets()[-1]
    assert (ticket.code, ticket.service_id) == ("K001", other.pk)


def test_it_refuses_an_unknown_choice(office_a):
    queue_office(office_a)
    response = kiosk_client(office_a).post(kiosk_url(office_a), {"choice": "zz"})
    assert response.status_code == 400
    assert b'role="alert"' in response.content
    assert all_tickets() == []


def test_it_needs_the_csrf_token_to_draw(office_a):
    queue_office(office_a)
    client = kiosk_client(office_a, Client(enforce_csrf_checks=True))
    assert client.post(kiosk_url(office_a), {"choice": "a"}).status_code == 403
    assert all_tickets() == []


def test_it_shows_the_ticket_stop_with_its_reason_and_refuses_to_draw(office_a):
    queue_office(office_a, stopped_on=dt.date(2026, 11, 17), stop_reason="Technische Störung im Meldewesen")
    client = kiosk_client(office_a)
    page = client.get(kiosk_url(office_a)).content.decode()
    assert "kiosk-status--ticket_stop" in page
    assert "Technische Störung im Meldewesen" in page
    assert page.count("disabled>") == 2  # both lines' buttons

    response = client.post(kiosk_url(office_a), {"choice": "a"})
    assert response.status_code == 409
    assert 'role="alert"' in response.content.decode()
    assert "Technische Störung im Meldewesen" in response.content.decode()
    assert all_tickets() == []


def test_it_shows_closed_after_hours_and_refuses_to_draw(office_a, clock):
    queue_office(office_a)
    clock.move_to(dt.datetime(2026, 11, 17, 18, 0, tzinfo=dt.timezone(dt.timedelta(hours=1))))
    client = kiosk_client(office_a)
    assert "kiosk-status--closed" in client.get(kiosk_url(office_a)).content.decode()
    response = client.post(kiosk_url(office_a), {"choice": "a"})
    assert response.status_code == 409
    assert all_tickets() == []


def test_it_shows_the_check_in_code_for_remote_tickets(office_a):
    queue_office(office_a)
    html = kiosk_client(office_a).get(kiosk_url(office_a)).content.decode()
    assert html.count('<svg role="img"') == 1


# -- the printed ticket ------------------------------------------------------------------------------


def test_it_shows_a_ticket_only_to_the_kiosk_of_its_office(client, office_a, office_b):
    lines = queue_office(office_a)
    ticket = tickets.draw_ticket(office_a, lines["a"], source=TicketSource.KIOSK)
    url = reverse(
        "queueing:kiosk-ticket", kwargs={"municipality": "kaarst", "office": "rathaus", "public_id": ticket.public_id}
    )
    assert client.get(url).status_code == 403
    assert kiosk_client(office_a).get(url).status_code == 200
    elsewhere = reverse(
        "queueing:kiosk-ticket", kwargs={"municipality": "juechen", "office": "rathaus", "public_id": ticket.public_id}
    )
    assert kiosk_client(office_b).get(elsewhere).status_code == 404


def test_it_sizes_the_print_for_an_80_mm_receipt_printer():
    css = Path(str(finders.find("queueing/kiosk.css"))).read_text(encoding="utf-8")
    print_rules = css[css.index("@media print") :]
    assert "size: 80mm auto" in print_rules
    assert ".no-print" in print_rules


@pytest.mark.parametrize(
    ("low", "high", "expected"),
    [
        (12.4, 23.1, WaitRange(10, 25)),
        (15, 25, WaitRange(15, 25)),
        (0, 3, WaitRange(0, 5)),
        (0, 0, WaitRange(0, 0)),
        (20, 20, WaitRange(20, 25)),
        (None, 10, None),
        (float("inf"), float("inf"), None),
    ],
)
def test_it_rounds_the_wait_outwards_to_five_minutes(low, high, expected):
    assert wait_range(low, high) == expected


def test_it_labels_the_wait_as_a_range():
    with translation.override("en"):
        assert WaitRange(15, 25).label == "about 15–25 min"
        assert WaitRange(0, 5).label == "less than 5 min"
        assert WaitRange(0, 0).label == "no wait"
