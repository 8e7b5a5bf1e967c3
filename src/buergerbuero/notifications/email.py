"""Queue e-mails through the transactional outbox (sent by ``core.outbox.dispatch_due``)."""

from __future__ import annotations

import base64
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from buergerbuero.core.models import OutboxMessage
from buergerbuero.core.outbox import enqueue

if TYPE_CHECKING:
    from buergerbuero.tenants.models import Municipality

__all__ = ["Attachment", "queue_email"]


@dataclass(frozen=True)
class Attachment:
    filename: str
    content_type: str
    content: bytes


def queue_email(
    to: Sequence[str],
    subject: str,
    body: str,
    *,
    html: str = "",
    attachments: Iterable[Attachment] = (),
    dedupe_key: str | None = None,
    municipality: Municipality | None = None,
    label: str = "",
) -> OutboxMessage | None:
    """Queue one e-mail in the current transaction; ``None`` if ``dedupe_key`` was queued before."""
    payload = {
        "to": list(to),
        "subject": subject,
        "body": body,
        "html": html,
        "attachments": [
            {
                "filename": a.filename,
                "content_type": a.content_type,
                "content_b64": base64.b64encode(a.content).decode(),
            }
            for a in attachments
        ],
    }
    return enqueue("email", payload, dedupe_key=dedupe_key, municipality=municipality, label=label)
