"""The receipt (Eingangsbestätigung) of a submitted case as PDF, rendered with WeasyPrint.

It states what was received, when, by whom and under which file number, the submitted answers, the
attachments with their SHA-512, the fee, and the SHA-512 of the submitted data in full, so the citizen
can later prove what they submitted. Rendered in the case's language.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.utils import translation

from buergerbuero.catalog.fees import format_amount
from buergerbuero.catalog.pdf import render_pdf
from buergerbuero.core.tenancy import scopes_disabled

from . import formdef
from .constants import CaseEventKind, PaymentState
from .models import Case, CaseEvent

__all__ = ["RECEIPT_TEMPLATE", "ReceiptAttachment", "receipt_context", "receipt_filename", "receipt_pdf"]

RECEIPT_TEMPLATE = "applications/pdf/receipt.html"


@dataclass(frozen=True)
class ReceiptAttachment:
    name: str
    size: int
    sha512: str

    @property
    def sha512_short(self) -> str:
        return f"{self.sha512[:16]}…{self.sha512[-8:]}"


def receipt_pdf(case: Case) -> bytes:
    """The receipt of ``case`` as PDF bytes, in the case's language."""
    with translation.override(case.language):
        return render_pdf(RECEIPT_TEMPLATE, receipt_context(case))


def receipt_filename(case: Case) -> str:
    """``Eingangsbestaetigung-32.11-2026-000123.pdf``: the receipt's file name."""
    return "Eingangsbestaetigung-" + "".join(c if c.isalnum() or c in "-." else "-" for c in case.file_number) + ".pdf"


def receipt_context(case: Case) -> dict[str, Any]:
    """What the receipt shows (call it with the case's language active)."""
    language = translation.get_language() or "de"
    with scopes_disabled():  # the case was found by whoever may see it; its parts follow it
        submitted = CaseEvent.objects.filter(case=case, kind=CaseEventKind.SUBMITTED).order_by("id").first()
        # What was submitted: files sent later with an answer in the mailbox are not part of the application.
        uploads = list(case.attachments.filter(message__isnull=True).order_by("uploaded_at", "id"))
    attachments = [ReceiptAttachment(a.original_name, a.size, a.sha512) for a in uploads]
    file_names = {str(a.public_id): a.original_name for a in uploads}
    details = submitted.data if submitted is not None else {}
    municipality = case.municipality
    spec = formdef.parse_definition(case.form.definition)
    return {
        "case": case,
        "municipality": municipality,
        "colour": municipality.primary_color or "#1f4e79",
        "service_title": spec.title(language),
        "authority": details.get("authority") or municipality.official_name or municipality.name,
        "summary": formdef.summary(spec, case.data, language, file_names),
        "attachments": attachments,
        "fee_text": format_amount(case.fee_amount, language) if case.fee_amount else "",
        "payment_state": PaymentState(case.payment_state).label,
        "fee_is_due": case.payment_state == PaymentState.OPEN,
    }
