"""The confirmation of receipt: the e-mail a citizen gets for a submitted case, with the receipt PDF.

Nothing is rendered while submitting: :func:`queue_confirmation` puts a small ``case_received`` outbox
message (the case's id) into the submission's transaction, and :func:`send_case_received`, the outbox
handler registered here, renders the e-mail and the receipt in the case's language when the outbox
dispatches it. So the submission, which holds the Kreis's file-number counter row locked, does not wait
for WeasyPrint, and the outbox payload holds no PDF. Every attempt (and a resend) carries the outbox
message's stable ``Message-ID`` (``core.handlers.deliver_email``).
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext as _

from buergerbuero.catalog.pdf import render_pdf
from buergerbuero.core.handlers import deliver_email
from buergerbuero.core.links import absolute_url
from buergerbuero.core.outbox import enqueue, register_handler
from buergerbuero.core.tenancy import scopes_disabled

from .models import Case
from .receipts import RECEIPT_TEMPLATE, receipt_context, receipt_filename

__all__ = ["KIND", "queue_confirmation", "send_case_received"]

logger = logging.getLogger(__name__)

KIND = "case_received"  # the outbox kind: rendered and sent by ``send_case_received``


def queue_confirmation(case: Case) -> None:
    """Queue the confirmation of receipt of ``case`` (once per case; nothing without an e-mail address)."""
    if not case.applicant_email:
        return
    enqueue(
        KIND,
        {"case": case.pk},
        dedupe_key=f"case-received:{case.public_id}",
        municipality=case.municipality,
        label=f"{case.file_number}: confirmation of receipt",
    )


def send_case_received(payload: Mapping[str, Any]) -> None:
    """The outbox handler of ``case_received``: render the e-mail and the receipt PDF and send them."""
    with scopes_disabled():  # the payload names the case; it may belong to any municipality
        case = Case.objects.select_related("municipality", "service", "form").filter(pk=payload["case"]).first()
    if case is None:  # deleted since (retention); there is nothing left to confirm
        logger.warning("case %s of a confirmation of receipt no longer exists", payload["case"])
        return
    with translation.override(case.language):
        case_url = absolute_url(reverse("cases:detail", args=[case.public_id]))
        context = {**receipt_context(case), "case_url": case_url}
        subject = _("Application received: %(file_number)s") % {"file_number": case.file_number}
        body = render_to_string("applications/email/case_received.txt", context)
        pdf = render_pdf(RECEIPT_TEMPLATE, context)
    deliver_email(
        to=[case.applicant_email],
        subject=subject,
        body=body,
        attachments=[(receipt_filename(case), "application/pdf", pdf)],
    )


register_handler(KIND, send_case_received)
