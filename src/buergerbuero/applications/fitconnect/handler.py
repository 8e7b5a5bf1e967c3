"""The outbox handler that delivers a FIT-Connect hand-off (registered on import; ``receivers`` imports it).

One attempt: build the case's envelope, send it with the configured client, then mark the hand-off
delivered, store the metadata as sent and record a case event (one transaction). The FIT-Connect
submission ID is committed to the outbox message's payload (``Delivery.save_progress``) as soon as
the submission is announced, before anything is uploaded or submitted, so a later attempt (after a
failed call or a killed worker) continues that submission instead of announcing another one; its
repeated submit is answered 409 and counts as delivered. So each case is submitted exactly once.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from django.db import transaction
from django.utils import timezone

from buergerbuero.core.audit import log_action
from buergerbuero.core.outbox import current_delivery, register_handler
from buergerbuero.core.tenancy import scopes_disabled, tenant_scope

from ..constants import CaseEventKind, HandoffKind, HandoffState
from ..models import CaseEvent, Handoff
from .client import FitConnectError, SubmissionSender, configured_client
from .envelope import build_envelope

__all__ = ["KIND", "dedupe_key", "deliver", "sender"]

KIND = "fitconnect"


def dedupe_key(handoff: Handoff) -> str:
    return f"fitconnect:{handoff.pk}"


def sender() -> SubmissionSender:
    """The configured sender; raising keeps the message queued (and visible) until it is configured."""
    client = configured_client()
    if client is None:
        raise FitConnectError("configuration", "FITCONNECT_TOKEN_URL, _SUBMISSION_API_URL, _CLIENT_ID, _SECRET")
    return client


def deliver(payload: Mapping[str, Any]) -> None:
    with scopes_disabled():  # the message names the hand-off; its municipality then scopes the work
        handoff = Handoff.objects.select_related("case").get(pk=int(payload["handoff_id"]), kind=HandoffKind.FITCONNECT)
    if handoff.state == HandoffState.DELIVERED:
        return
    case = handoff.case
    with tenant_scope([case.municipality_id]):
        envelope = build_envelope(case)

        def remember(submission_id: str, fitconnect_case_id: str) -> None:
            # Committed before anything else is sent: a retry (after a failure or a killed worker)
            # continues this submission, and FIT-Connect refuses a second submit of it (409).
            delivery = current_delivery()
            if delivery is not None:
                delivery.save_progress(submission_id=submission_id)

        receipt = sender().send(
            envelope,
            destination_id=handoff.recipient,
            submission_id=str(payload.get("submission_id") or "") or None,
            on_announced=remember,
        )
        details = {
            "handoff": "fitconnect",
            "destination_id": receipt.destination_id,
            "submission_id": receipt.submission_id,
            "fitconnect_case_id": receipt.case_id,
        }
        with transaction.atomic():
            handoff.document = json.dumps(envelope.metadata, ensure_ascii=False, indent=2)
            handoff.state = HandoffState.DELIVERED
            handoff.delivered_at = timezone.now()
            handoff.save(update_fields=["document", "state", "delivered_at"])
            CaseEvent.objects.create(case=case, kind=CaseEventKind.HANDOFF, data=details, visible_to_citizen=False)
            log_action(
                actor=None,
                action="applications.handoff.delivered",
                obj=handoff,
                municipality=case.municipality,
                changes=details,
            )


register_handler(KIND, deliver)
