"""A submitted Gewerbeanzeige becomes one XGewerbeanzeige hand-off per recipient, delivered exactly once
through the outbox into files or over HTTP; staff download the message (other municipalities: 404)."""

from __future__ import annotations

import copy
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from django.urls import reverse
from django.utils import timezone

from buergerbuero.accounts.models import User
from buergerbuero.applications.constants import CaseEventKind, HandoffKind, HandoffState
from buergerbuero.applications.models import Case, CaseEvent, Handoff
from buergerbuero.applications.signals import case_submitted
from buergerbuero.applications.xgewerbeanzeige import NS, parse_message
from buergerbuero.core.models import OutboxMessage
from buergerbuero.core.outbox import dispatch_due
from buergerbuero.tenants.models import Municipality
from tests.applications.factories import CaseFactory, online_service
from tests.applications.xga_data import HAIRDRESSER, definition
from tests.harness.staff import StaffClient

pytestmark = pytest.mark.django_db

RECIPIENTS = [
    "finanzamt",
    "statistik",
    "hwk",
    "gewerbeaufsicht",
    "arbeitsagentur",
    "berufsgenossenschaft",
    "registergericht",
    "auslaenderbehoerde",
]


@pytest.fixture
def case(municipality_a: Municipality, kreis_scope: None) -> Case:
    service, form = online_service(municipality_a, slug="gewerbe-anmeldung", definition=definition("gewerbe-anmeldung"))
    data = copy.deepcopy(HAIRDRESSER)
    return CaseFactory(municipality=municipality_a, service=service, form=form, data=data, applicant_name="Tibor Pick")


def _xga_messages() -> list[OutboxMessage]:
    return list(OutboxMessage.objects.filter(kind="xgewerbeanzeige").order_by("pk"))


def test_it_creates_one_handoff_per_recipient_once(case: Case) -> None:
    case_submitted.send(sender=Case, case=case)
    case_submitted.send(sender=Case, case=case)  # a repeated signal changes nothing

    handoffs = list(Handoff.objects.filter(case=case, kind=HandoffKind.XGEWERBEANZEIGE).order_by("pk"))
    assert [h.recipient for h in handoffs] == RECIPIENTS
    assert handoffs[0].recipient_name == "Finanzamt Neuss"
    assert all(h.state == HandoffState.PENDING for h in handoffs)
    messages = _xga_messages()
    assert [m.payload["handoff_id"] for m in messages] == [h.pk for h in handoffs]
    assert {m.dedupe_key for m in messages} == {f"xga:{h.pk}" for h in handoffs}
    assert all(m.municipality_id == case.municipality_id for m in messages)

    root = parse_message(handoffs[0].document.encode())
    assert root.findtext(f".//{{{NS}}}gemeindeMeldungNr") == case.file_number
    assert root.findtext(f".//{{{NS}}}leser/{{{NS}}}behoerdenname") == "Finanzamt Neuss"

    events = list(CaseEvent.objects.filter(case=case, kind=CaseEventKind.HANDOFF))
    assert len(events) == 1 and events[0].visible_to_citizen
    assert [r["key"] for r in events[0].data["recipients"]] == RECIPIENTS


def test_other_services_get_no_xgewerbeanzeige(municipality_a: Municipality, kreis_scope: None) -> None:
    service, form = online_service(municipality_a)
    case = CaseFactory(municipality=municipality_a, service=service, form=form)
    case_submitted.send(sender=Case, case=case)
    assert not Handoff.objects.filter(case=case, kind=HandoffKind.XGEWERBEANZEIGE).exists()


def test_it_delivers_into_files_exactly_once(case: Case, settings: Any, tmp_path: Path) -> None:
    settings.XGEWERBEANZEIGE_TRANSPORT = "files"
    settings.XGEWERBEANZEIGE_DIR = tmp_path
    case_submitted.send(sender=Case, case=case)

    result = dispatch_due(now=timezone.now())
    assert result.sent == len(RECIPIENTS) and result.failed == 0
    files = sorted(tmp_path.glob("*/*.xml"))
    assert sorted(p.parent.name for p in files) == sorted(RECIPIENTS)
    finanzamt = Handoff.objects.get(case=case, recipient="finanzamt")
    (written,) = (tmp_path / "finanzamt").glob("*.xml")
    assert written.read_bytes() == finanzamt.document.encode()
    assert not list(tmp_path.glob("*/.tmp-*"))
    assert finanzamt.state == HandoffState.DELIVERED and finanzamt.delivered_at is not None

    # a retry of an already-sent message (as after a crash before the outbox row was marked) writes nothing new
    from buergerbuero.applications.handlers import deliver_xgewerbeanzeige

    Handoff.objects.filter(pk=finanzamt.pk).update(state=HandoffState.PENDING)
    deliver_xgewerbeanzeige({"handoff_id": finanzamt.pk})
    assert len(list(tmp_path.glob("*/*.xml"))) == len(RECIPIENTS)
    assert dispatch_due(now=timezone.now()).sent == 0


class _Receiver(BaseHTTPRequestHandler):
    received: list[tuple[str, str, bytes]] = []
    fail_first = 0

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers["Content-Length"]))
        if _Receiver.fail_first > 0:
            _Receiver.fail_first -= 1
            self.send_response(503)
            self.end_headers()
            return
        _Receiver.received.append((self.headers["Idempotency-Key"], self.headers["X-Recipient"], body))
        self.send_response(202)
        self.end_headers()

    def log_message(self, *args: Any) -> None:
        pass


@pytest.fixture
def receiver() -> Iterator[str]:
    _Receiver.received = []
    _Receiver.fail_first = 0
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Receiver)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/xgewerbeanzeige"
    finally:
        server.shutdown()
        server.server_close()


def test_it_delivers_over_http_exactly_once(case: Case, settings: Any, receiver: str) -> None:
    settings.XGEWERBEANZEIGE_TRANSPORT = "http"
    settings.XGEWERBEANZEIGE_ENDPOINT = receiver
    case_submitted.send(sender=Case, case=case)
    _Receiver.fail_first = 1  # the first POST fails: that message is retried later

    first = dispatch_due(now=timezone.now())
    assert (first.sent, first.retried) == (len(RECIPIENTS) - 1, 1)
    later = timezone.now() + timezone.timedelta(hours=1)
    assert dispatch_due(now=later).sent == 1
    assert dispatch_due(now=later + timezone.timedelta(hours=1)).sent == 0

    assert sorted(r[1] for r in _Receiver.received) == sorted(RECIPIENTS)
    keys = [r[0] for r in _Receiver.received]
    assert len(set(keys)) == len(RECIPIENTS)
    for key, recipient, body in _Receiver.received:
        root = parse_message(body)
        assert root.findtext(f".//{{{NS}}}nachrichtenUUID") == key
        assert Handoff.objects.get(case=case, recipient=recipient).state == HandoffState.DELIVERED


def _url(municipality: Municipality, case: Case) -> str:
    return reverse(
        "exports:xgewerbeanzeige", kwargs={"municipality_slug": municipality.slug, "case_id": case.public_id}
    )


def test_a_clerk_downloads_the_message(
    case: Case, staff_client: StaffClient, clerk_a: User, municipality_a: Municipality
) -> None:
    case_submitted.send(sender=Case, case=case)
    client = staff_client(clerk_a)  # one sign-in: a TOTP code is accepted once
    response = client.get(_url(municipality_a, case) + "?empfaenger=hwk")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/xml")
    assert response.content == Handoff.objects.get(case=case, recipient="hwk").document.encode()
    assert client.get(_url(municipality_a, case) + "?empfaenger=nobody").status_code == 404


def test_a_clerk_of_another_municipality_gets_404(
    case: Case, staff_client: StaffClient, clerk_b: User, municipality_a: Municipality, municipality_b: Municipality
) -> None:
    client = staff_client(clerk_b)
    assert client.get(_url(municipality_a, case)).status_code == 404
    assert client.get(_url(municipality_b, case)).status_code == 404
