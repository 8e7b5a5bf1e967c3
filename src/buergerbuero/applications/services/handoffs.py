"""Hand-offs of Gewerbeanzeigen to the recipients of § 14 GewO (connected to ``case_submitted``).

For a case of Gewerbe-Anmeldung, -Ummeldung or -Abmeldung, one ``Handoff`` per recipient
(``recipients.recipients_for``) holds the XGewerbeanzeige 2.2 message built now from the submitted
data, and one outbox message delivers it (``handlers.deliver_xgewerbeanzeige``). Both are written in
the submission's transaction, so a case exists exactly with its hand-offs; repeating it for the same
case changes nothing.
"""

from __future__ import annotations

import uuid
from typing import Any

from django.conf import settings
from django.dispatch import receiver

from buergerbuero.core.outbox import enqueue
from buergerbuero.core.tenancy import tenant_scope

from ..constants import CaseEventKind, HandoffKind
from ..models import Case, CaseEvent, Handoff
from ..recipients import Recipient, recipients_for
from ..signals import case_submitted
from ..xgewerbeanzeige import AuthorityInfo, Kind, build_message, message_kind

__all__ = [
    "OUTBOX_KIND",
    "authority_of",
    "create_xgewerbeanzeige_handoffs",
    "message_id_for",
    "recipients_of",
    "xgewerbeanzeige_document",
]

OUTBOX_KIND = "xgewerbeanzeige"


@receiver(case_submitted, dispatch_uid="xgewerbeanzeige-handoffs")
def on_case_submitted(sender: Any, *, case: Case, **kwargs: Any) -> None:
    create_xgewerbeanzeige_handoffs(case=case)


def message_id_for(case: Case, recipient_key: str) -> uuid.UUID:
    """The message's UUID: the same for the same case and recipient, so a rebuilt message is the same message."""
    return uuid.uuid5(uuid.NAMESPACE_URL, f"urn:buergerbuero:xgewerbeanzeige:{case.public_id}:{recipient_key}")


def authority_of(case: Case) -> AuthorityInfo:
    municipality = case.municipality
    return AuthorityInfo(
        name=f"Gewerbemeldestelle {municipality.official_name or municipality.name}",
        ags=municipality.ags,
        email=municipality.contact_email,
        phone=municipality.contact_phone,
    )


def recipients_of(case: Case, kind: Kind) -> list[Recipient]:
    directories: dict[str, Any] = settings.XGEWERBEANZEIGE_RECIPIENTS
    directory = directories.get(case.municipality.district.slug) or directories.get("default") or {}
    return recipients_for(kind, case.data, directory)


def xgewerbeanzeige_document(case: Case, recipient: Recipient) -> bytes:
    """The message about ``case`` for ``recipient`` (also the staff's download)."""
    kind = message_kind(case.service.slug)
    if kind is None:
        raise ValueError(f"{case.service.slug} is not a Gewerbeanzeige")
    return build_message(
        kind=kind,
        data=case.data,
        file_number=case.file_number,
        submitted_at=case.submitted_at,
        authority=authority_of(case),
        recipients=[recipient],
        message_id=message_id_for(case, recipient.key),
    )


def create_xgewerbeanzeige_handoffs(*, case: Case) -> list[Handoff]:
    """The case's XGewerbeanzeige hand-offs and their outbox messages; none for other services."""
    kind = message_kind(case.service.slug)
    if kind is None:
        return []
    handoffs: list[Handoff] = []
    created_any = False
    with tenant_scope([case.municipality_id]):
        for recipient in recipients_of(case, kind):
            handoff, created = Handoff.objects.get_or_create(
                case=case,
                kind=HandoffKind.XGEWERBEANZEIGE,
                recipient=recipient.key,
                defaults={
                    "recipient_name": recipient.name[:200],
                    "document": xgewerbeanzeige_document(case, recipient).decode("utf-8"),
                },
            )
            handoffs.append(handoff)
            if created:
                created_any = True
                enqueue(
                    OUTBOX_KIND,
                    {"handoff_id": handoff.pk},
                    dedupe_key=f"xga:{handoff.pk}",
                    municipality=case.municipality,
                    label=f"XGewerbeanzeige {case.file_number} → {recipient.name}"[:300],
                )
        if created_any:
            recipients = recipients_of(case, kind)
            CaseEvent.objects.create(
                case=case,
                kind=CaseEventKind.HANDOFF,
                visible_to_citizen=True,
                data={
                    "handoff": "xgewerbeanzeige",
                    "recipients": [{"key": r.key, "name": r.name, "reason": r.reason} for r in recipients],
                },
            )
    return handoffs
