"""A realistic case for the FIT-Connect tests: a trade registration in Kaarst with two uploads and a paid fee."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from decimal import Decimal

from django.core.files.base import ContentFile
from django.utils import timezone

from buergerbuero.applications.constants import PaymentState, ScanStatus
from buergerbuero.applications.models import Attachment, Case
from buergerbuero.payments.models import Payment, PaymentStatus
from buergerbuero.tenants.models import Municipality
from tests.applications.factories import CaseFactory, online_service

LEIKA_KEY = "99050012104000"  # Gewerbeanmeldung
SLUG = "gewerbe-anmeldung-fc"
PDF = b"%PDF-1.7\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 4


@dataclass
class SampleCase:
    case: Case
    attachments: list[Attachment]
    payment: Payment


def attach(case: Case, name: str, content_type: str, content: bytes) -> Attachment:
    attachment = Attachment(
        owner=case.citizen,
        case=case,
        field="nachweise.ausweis",
        original_name=name,
        content_type=content_type,
        size=len(content),
        sha512=hashlib.sha512(content).hexdigest(),
        scan_status=ScanStatus.CLEAN,
        uploaded_at=timezone.now(),
    )
    attachment.file.save(name, ContentFile(content), save=True)
    return attachment


def sample_case(municipality: Municipality, *, with_payment: bool = True) -> SampleCase:
    """Needs a tenant scope and ``PRIVATE_MEDIA_ROOT`` pointing somewhere writable."""
    service, form = online_service(municipality, slug=SLUG)
    service.leika_key = LEIKA_KEY
    service.name_de = "Gewerbeanmeldung"
    service.save(update_fields=["leika_key", "name_de"])
    data = {
        "person": {"vorname": "Jürgen", "familienname": "Müller-Lüdenscheidt", "email": "juergen@example.org",
                   "rechtsform": "company", "firmenname": "Müller Bäckerei GmbH"},
        "adresse": {"strasse": "Am Neumarkt 1", "plz": "41564", "ort": "Kaarst"},
        "nachweise": {"ausweis": []},
    }  # fmt: skip
    case = CaseFactory(
        municipality=municipality,
        service=service,
        form=form,
        data=data,
        applicant_name="Jürgen Müller-Lüdenscheidt",
        applicant_email="juergen@example.org",
        fee_amount=Decimal("33.33"),
        payment_state=PaymentState.PAID,
    )
    attachments = [
        attach(case, "Personalausweis Vorderseite.pdf", "application/pdf", PDF),
        attach(case, "Rückseite.png", "image/png", PNG),
    ]
    payment = Payment.objects.create(
        case=case,
        amount=Decimal("33.33"),
        provider="demo",
        provider_reference="KZ-2026-000123",
        status=PaymentStatus.PAID if with_payment else PaymentStatus.CREATED,
        paid_at=timezone.now() if with_payment else None,
    )
    return SampleCase(case, attachments, payment)
