"""The Bescheid: the decision on a case as a PDF (WeasyPrint, ``applications/pdf/decision.html``).

An administrative act of a German authority is written in German (§ 23 VwVfG NRW: the official
language is German), so the document's text is German whatever language the applicant used; the
e-mail that carries it is in their language. The letter names the authority, the file number
(Aktenzeichen), the date, the addressee, the decision and its reasons, the legal basis, the fee and
the instructions on legal remedies (Rechtsbehelfsbelehrung). In North Rhine-Westphalia most decisions
are challenged directly by an action at the administrative court (§ 110 JustG NRW), within one month.
"""

from __future__ import annotations

import re
from decimal import Decimal
from typing import Any

from django.utils import timezone

from buergerbuero.catalog.pdf import render_pdf
from buergerbuero.tenants.models import Office

from .constants import Decision, PaymentState
from .models import Case

__all__ = ["ADMINISTRATIVE_COURTS", "decision_context", "decision_filename", "decision_pdf"]

#: The administrative court for a Kreis (by its regional key), named in the instructions on remedies.
ADMINISTRATIVE_COURTS: dict[str, str] = {
    "05162": "Verwaltungsgericht Düsseldorf, Bastionstraße 39, 40213 Düsseldorf",  # Rhein-Kreis Neuss
    "05158": "Verwaltungsgericht Düsseldorf, Bastionstraße 39, 40213 Düsseldorf",  # Kreis Mettmann
    "05166": "Verwaltungsgericht Düsseldorf, Bastionstraße 39, 40213 Düsseldorf",  # Kreis Viersen
}
FALLBACK_COURT = "für den Sitz der Behörde örtlich zuständigen Verwaltungsgericht"  # after "beim"


def decision_filename(case: Case) -> str:
    """``Bescheid-32.11-2026-000123.pdf``."""
    return f"Bescheid-{re.sub(r'[^0-9A-Za-z.-]+', '-', case.file_number)}.pdf"


def decision_context(case: Case) -> dict[str, Any]:
    """What the Bescheid shows; the case must be decided."""
    if case.decision == Decision.NONE or case.decided_at is None:
        raise ValueError(f"case {case.file_number} is not decided")
    municipality = case.municipality
    office = Office.objects.filter(municipality=municipality).order_by("name", "id").first()
    citizen = case.citizen
    address_lines = [case.applicant_name]
    if citizen is not None and citizen.street:
        address_lines += [citizen.street, f"{citizen.postcode} {citizen.city}".strip()]
    fee = case.fee_amount or Decimal("0.00")
    return {
        "case": case,
        "municipality": municipality,
        "authority": municipality.official_name or municipality.name,
        "office": office,
        "date": timezone.localtime(case.decided_at).date(),
        "address_lines": [line for line in address_lines if line],
        "service_name": case.service.name_de,
        "approved": case.decision == Decision.APPROVED,
        "reasons": case.decision_text,
        "legal_basis": case.legal_basis or case.service.legal_basis,
        "fee": fee,
        "fee_text": f"{fee:.2f}".replace(".", ",") + " €",
        "fee_paid": case.payment_state == PaymentState.PAID,
        "court": ADMINISTRATIVE_COURTS.get(municipality.district.ars, FALLBACK_COURT),
    }


def decision_pdf(case: Case) -> bytes:
    """The Bescheid of a decided case as PDF bytes."""
    return render_pdf("applications/pdf/decision.html", decision_context(case))
