"""Built-in outbox handlers: e-mail through Django's mail backend."""

from __future__ import annotations

import base64
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from django.conf import settings
from django.core.mail import EmailMultiAlternatives

from .outbox import current_delivery, register_handler


def send_email(payload: Mapping[str, Any]) -> None:
    """``payload``: ``to`` (list), ``subject``, ``body``, optional ``html`` and ``attachments``
    (``[{"filename", "content_type", "content_b64"}]``)."""
    deliver_email(
        to=payload["to"],
        subject=payload["subject"],
        body=payload["body"],
        html=payload.get("html", ""),
        reply_to=payload.get("reply_to", []),
        attachments=(
            (a["filename"], a["content_type"], base64.b64decode(a["content_b64"]))
            for a in payload.get("attachments", [])
        ),
    )


def deliver_email(
    *,
    to: Sequence[str],
    subject: str,
    body: str,
    html: str = "",
    reply_to: Sequence[str] = (),
    attachments: Iterable[tuple[str, str, bytes]] = (),
) -> None:
    """Send one e-mail now through Django's mail backend; ``attachments``: (file name, content type,
    content). Only outbox handlers call this: everything else queues.

    The ``Message-ID`` is the outbox message's idempotency key, so every attempt (and a resend) of
    the same outbox message is recognisably the same e-mail."""
    delivery = current_delivery()
    message = EmailMultiAlternatives(
        subject=subject,
        body=body,
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=list(to),
        reply_to=list(reply_to) or None,
        headers={"Message-ID": delivery.idempotency_key} if delivery is not None else None,
    )
    if html:
        message.attach_alternative(html, "text/html")
    for filename, content_type, content in attachments:
        message.attach(filename, content, content_type)
    message.send(fail_silently=False)


register_handler("email", send_email)
