"""An XGewerbeanzeige hand-off whose delivery fails for good shows as failed; a resend that gets through
marks it delivered. Real outbox, real transports: a closed port, then files."""

from __future__ import annotations

import copy
import socket
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from django.urls import reverse
from django.utils import timezone, translation

from buergerbuero.accounts.models import User
from buergerbuero.applications.constants import HandoffKind, HandoffState
from buergerbuero.applications.models import Case, Handoff
from buergerbuero.applications.signals import case_submitted
from buergerbuero.core.models import AuditEntry, OutboxMessage
from buergerbuero.core.outbox import dispatch_due, resend
from buergerbuero.core.tenancy import scopes_disabled
from buergerbuero.tenants.models import Municipality
from tests.applications.factories import CaseFactory, online_service
from tests.applications.xga_data import HAIRDRESSER, definition
from tests.harness.staff import StaffClient

pytestmark = pytest.mark.django_db


@pytest.fixture
def case(municipality_a: Municipality, kreis_scope: None) -> Case:
    service, form = online_service(municipality_a, slug="gewerbe-anmeldung", definition=definition("gewerbe-anmeldung"))
    case = CaseFactory(
        municipality=municipality_a, service=service, form=form, data=copy.deepcopy(HAIRDRESSER), applicant_email=""
    )
    case_submitted.send(sender=Case, case=case)
    return case


@pytest.fixture
def closed_port() -> str:
    """An address where nothing listens: the connection is refused at once."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    return f"http://127.0.0.1:{port}/xga"


def _states(case: Case) -> set[str]:
    with scopes_disabled():
        return set(Handoff.objects.filter(case=case, kind=HandoffKind.XGEWERBEANZEIGE).values_list("state", flat=True))


def _case_page(client: Any, case: Case) -> str:
    url = reverse("inbox:case", kwargs={"municipality_slug": case.municipality.slug, "case_id": case.public_id})
    with translation.override("en"):
        response = client.get(url, HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 200
    return str(response.content.decode())


def test_a_handoff_that_fails_for_good_is_failed_and_a_delivered_resend_makes_it_delivered(
    case: Case, clerk_a: User, settings: Any, closed_port: str, tmp_path: Path, staff_client: StaffClient
) -> None:
    settings.OUTBOX_MAX_ATTEMPTS = 2
    settings.XGEWERBEANZEIGE_TRANSPORT = "http"
    settings.XGEWERBEANZEIGE_ENDPOINT = closed_port
    now = timezone.now()

    first = dispatch_due(now=now)
    assert first.retried > 0 and first.failed == 0
    assert _states(case) == {HandoffState.PENDING}  # a retry is still to come: not failed yet

    second = dispatch_due(now=now + timedelta(days=1))
    assert second.failed == first.retried
    assert _states(case) == {HandoffState.FAILED}
    assert AuditEntry.objects.filter(action="applications.handoff.failed").count() == second.failed
    client = staff_client(clerk_a)
    page = _case_page(client, case)
    assert "Finanzamt Neuss: failed" in page

    settings.XGEWERBEANZEIGE_TRANSPORT = "files"
    settings.XGEWERBEANZEIGE_DIR = tmp_path
    with scopes_disabled():
        failed = list(OutboxMessage.objects.filter(kind="xgewerbeanzeige", state=OutboxMessage.State.FAILED))
    assert failed
    for message in failed:
        assert resend(message, actor=clerk_a)
    third = dispatch_due(now=now + timedelta(days=2))

    assert third.sent == len(failed)
    assert _states(case) == {HandoffState.DELIVERED}
    assert "Finanzamt Neuss: delivered" in _case_page(client, case)
    assert "failed" not in _case_page(client, case).split("handoffs-title")[1].split("</section>")[0]


def test_a_failure_before_the_last_attempt_leaves_the_handoff_pending(
    case: Case, settings: Any, closed_port: str
) -> None:
    settings.OUTBOX_MAX_ATTEMPTS = 5
    settings.XGEWERBEANZEIGE_TRANSPORT = "http"
    settings.XGEWERBEANZEIGE_ENDPOINT = closed_port

    assert dispatch_due(now=timezone.now()).retried > 0

    assert _states(case) == {HandoffState.PENDING}
    assert not AuditEntry.objects.filter(action="applications.handoff.failed").exists()
