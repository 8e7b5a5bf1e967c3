"""Built-in outbox handlers: e-mail through Django's mail backend."""

from __future__ import annotations

import base64
from collections.abc import Mapping
from typing import Any

from django.conf import settings
from django.core.mail import EmailMultiAlternatives

from .outbox import register_handler


def send_email(payload: Mapping[str, Any]) -> None:
    """``payload``: ``to`` (list), ``subject``, ``body``, optional ``html`` and ``attachments``
    (``[{"filename", "content_type", "content_b64"}]``)."""
    message = EmailMultiAlternatives(
        subject=payload["subject"],
        body=payload["body"],
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=list(payload["to"]),
        reply_to=list(payload.get("reply_to", [])) or None,
    )
    if payload.get("html"):
        message.attach_alternative(payload["html"], "text/html")
    for attachment in payload.get("attachments", []):
        message.attach(attachment["filename"], base64.b64decode(attachment["content_b64"]), attachment["content_type"])
    message.send(fail_silently=False)


register_handler("email", send_email)
