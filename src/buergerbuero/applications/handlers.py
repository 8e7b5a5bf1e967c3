"""Outbox handlers of the applications app: the delivery of XGewerbeanzeige hand-offs.

(FIT-Connect registers its own handler in ``fitconnect/handler.py``.)

``deliver_xgewerbeanzeige`` sends one hand-off's message through the configured transport:

* ``files`` — writes ``<XGEWERBEANZEIGE_DIR>/<recipient>/<message uuid>.xml`` atomically (a temporary
  file renamed into place); a file already there with the same content counts as delivered.
* ``http`` — POSTs the message to ``XGEWERBEANZEIGE_ENDPOINT`` with the message UUID as
  ``Idempotency-Key``, so the receiver can drop a repeat after a lost answer.

Then the hand-off is marked delivered, in one transaction with its audit entry (the outbox runs handlers
outside any transaction), and only if it was not delivered yet (a conditional update). A delivered
hand-off is never sent again. When the last attempt the outbox allows fails, the hand-off is marked
failed, again with its audit entry in one transaction (the case page shows it, the Postausgang offers a
resend); a resend that gets through marks it delivered. A worker that dies during the last attempt
leaves the hand-off pending (the outbox message is failed and shown in the Postausgang).
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import httpx
from django.conf import settings
from django.db import transaction
from django.utils import timezone

from buergerbuero.core.audit import log_action
from buergerbuero.core.models import OutboxMessage
from buergerbuero.core.outbox import register_handler
from buergerbuero.core.tenancy import scopes_disabled, tenant_scope

from .constants import HandoffKind, HandoffState
from .models import Handoff
from .services.handoffs import OUTBOX_KIND
from .xgewerbeanzeige import NS, parse_message

__all__ = ["deliver_xgewerbeanzeige", "message_uuid"]


def message_uuid(document: bytes) -> str:
    element = parse_message(document).find(
        f"{{{NS}}}nachrichtenkopf/{{{NS}}}identifikation.nachricht/{{{NS}}}nachrichtenUUID"
    )
    if element is None or not element.text:
        raise ValueError("the message has no nachrichtenUUID")
    return element.text.strip()


def _write_file(recipient: str, name: str, document: bytes) -> None:
    folder = Path(settings.XGEWERBEANZEIGE_DIR) / recipient
    folder.mkdir(parents=True, exist_ok=True)
    target = folder / f"{name}.xml"
    if target.exists() and target.read_bytes() == document:
        return
    handle, temporary = tempfile.mkstemp(dir=folder, prefix=".tmp-", suffix=".xml")
    try:
        with os.fdopen(handle, "wb") as stream:
            stream.write(document)
            stream.flush()
            os.fsync(stream.fileno())
        Path(temporary).replace(target)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def _post(recipient: str, name: str, document: bytes) -> None:
    endpoint = str(settings.XGEWERBEANZEIGE_ENDPOINT)
    if not endpoint:
        raise RuntimeError("XGEWERBEANZEIGE_ENDPOINT is not set")
    response = httpx.post(
        endpoint,
        content=document,
        headers={
            "Content-Type": "application/xml; charset=utf-8",
            "Idempotency-Key": name,
            "X-Recipient": recipient,
        },
        timeout=float(settings.XGEWERBEANZEIGE_TIMEOUT_SECONDS),
    )
    response.raise_for_status()


def deliver_xgewerbeanzeige(payload: Mapping[str, Any]) -> None:
    with scopes_disabled():  # the payload names the hand-off; its municipality then scopes the work
        handoff = Handoff.objects.select_related("case").get(
            pk=int(payload["handoff_id"]), kind=HandoffKind.XGEWERBEANZEIGE
        )
    if handoff.state == HandoffState.DELIVERED:
        return
    try:
        document = handoff.document.encode("utf-8")
        name = message_uuid(document)
        if settings.XGEWERBEANZEIGE_TRANSPORT == "http":
            _post(handoff.recipient, name, document)
        else:
            _write_file(handoff.recipient, name, document)
    except Exception as error:
        if _is_last_attempt(payload):
            _mark_failed(handoff, f"{type(error).__name__}: {error}")
        raise  # the outbox records the failure (and, after the last attempt, offers staff a resend)
    with tenant_scope([handoff.case.municipality_id]), transaction.atomic():
        delivered = (
            Handoff.objects.filter(pk=handoff.pk)
            .exclude(state=HandoffState.DELIVERED)
            .update(state=HandoffState.DELIVERED, delivered_at=timezone.now())
        )
        if not delivered:  # another run got there first; it wrote the audit entry
            return
        log_action(
            actor=None,
            action="applications.handoff.delivered",
            obj=handoff,
            municipality=handoff.case.municipality,
            changes={"kind": HandoffKind.XGEWERBEANZEIGE, "recipient": handoff.recipient, "message": name},
        )


def _is_last_attempt(payload: Mapping[str, Any]) -> bool:
    """Whether the outbox gives up on this message when this attempt fails (the claim counted it)."""
    outbox_id = payload.get("_outbox_id")
    if outbox_id is None:  # called outside the outbox (a test, a shell): no attempts to count
        return False
    attempts = OutboxMessage.objects.filter(pk=int(outbox_id)).values_list("attempts", flat=True).first()
    return attempts is not None and attempts >= int(settings.OUTBOX_MAX_ATTEMPTS)


def _mark_failed(handoff: Handoff, error: str) -> None:
    """The hand-off failed for good: staff see it on the case page; a resend that gets through marks it delivered."""
    with tenant_scope([handoff.case.municipality_id]), transaction.atomic():
        if (
            not Handoff.objects.filter(pk=handoff.pk)
            .exclude(state=HandoffState.DELIVERED)
            .update(state=HandoffState.FAILED)
        ):
            return
        log_action(
            actor=None,
            action="applications.handoff.failed",
            obj=handoff,
            municipality=handoff.case.municipality,
            changes={"kind": HandoffKind.XGEWERBEANZEIGE, "recipient": handoff.recipient, "error": error[:500]},
        )


register_handler(OUTBOX_KIND, deliver_xgewerbeanzeige)
