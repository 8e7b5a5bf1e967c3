"""Marking an XGewerbeanzeige hand-off delivered and its audit entry are one transaction: the outbox runs
handlers outside any transaction, so without one a failed audit write would leave a delivered hand-off
that nobody can trace. Real outbox handler, real file transport; the audit write's failure is injected."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import pytest

from buergerbuero.applications import handlers
from buergerbuero.applications.constants import HandoffKind, HandoffState
from buergerbuero.applications.models import Case, Handoff
from buergerbuero.applications.signals import case_submitted
from buergerbuero.core.models import AuditEntry
from buergerbuero.core.tenancy import scopes_disabled
from buergerbuero.tenants.models import Municipality
from tests.applications.factories import CaseFactory, online_service
from tests.applications.xga_data import HAIRDRESSER, definition

pytestmark = pytest.mark.django_db


@pytest.fixture
def handoff(municipality_a: Municipality, kreis_scope: None, settings: Any, tmp_path: Path) -> Handoff:
    settings.XGEWERBEANZEIGE_TRANSPORT = "files"
    settings.XGEWERBEANZEIGE_DIR = str(tmp_path)
    service, form = online_service(municipality_a, slug="gewerbe-anmeldung", definition=definition("gewerbe-anmeldung"))
    case = CaseFactory(
        municipality=municipality_a, service=service, form=form, data=copy.deepcopy(HAIRDRESSER), applicant_email=""
    )
    case_submitted.send(sender=Case, case=case)
    with scopes_disabled():
        return Handoff.objects.filter(case=case, kind=HandoffKind.XGEWERBEANZEIGE).order_by("pk").first()


def _state(handoff: Handoff) -> str:
    with scopes_disabled():
        return Handoff.objects.get(pk=handoff.pk).state


def test_a_failed_audit_write_leaves_the_handoff_undelivered(handoff: Handoff, monkeypatch: pytest.MonkeyPatch) -> None:
    def audit_fails(**kwargs: Any) -> None:
        raise RuntimeError("audit log unavailable")

    monkeypatch.setattr(handlers, "log_action", audit_fails)
    with pytest.raises(RuntimeError):
        handlers.deliver_xgewerbeanzeige({"handoff_id": handoff.pk})
    assert _state(handoff) == HandoffState.PENDING  # the outbox retries; nothing half-done stays
    monkeypatch.undo()

    handlers.deliver_xgewerbeanzeige({"handoff_id": handoff.pk})
    assert _state(handoff) == HandoffState.DELIVERED
    assert AuditEntry.objects.filter(action="applications.handoff.delivered", object_id=str(handoff.pk)).count() == 1


def test_a_handoff_another_run_delivered_meanwhile_is_not_audited_again(
    handoff: Handoff, monkeypatch: pytest.MonkeyPatch
) -> None:
    write_file = handlers._write_file

    def another_run_finishes_meanwhile(recipient: str, name: str, document: bytes) -> None:
        write_file(recipient, name, document)
        with scopes_disabled():
            Handoff.objects.filter(pk=handoff.pk).update(state=HandoffState.DELIVERED)

    monkeypatch.setattr(handlers, "_write_file", another_run_finishes_meanwhile)
    handlers.deliver_xgewerbeanzeige({"handoff_id": handoff.pk})
    assert _state(handoff) == HandoffState.DELIVERED
    assert not AuditEntry.objects.filter(action="applications.handoff.delivered", object_id=str(handoff.pk)).exists()
