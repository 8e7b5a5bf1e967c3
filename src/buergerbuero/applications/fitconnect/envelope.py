"""A case as a FIT-Connect submission: metadata, data and attachments, and the same as a ZIP for staff.

The data is the case's submitted data in its canonical JSON form (``hashing.canonical_json``), exactly
the bytes whose SHA-512 the case recorded at submission (checked here, so an envelope never states a
hash its data does not have). The attachments are the citizen's uploads (read from private storage,
each checked against the SHA-512 recorded at upload) and, first, the receipt PDF as the generated
representation of the whole application (purpose ``form``). Attachment IDs are stable: an upload's
public ID, and for the receipt a UUID derived from the case's, so a rebuilt envelope names the same
attachments.

Call it within a tenant scope that includes the case's municipality (the payment rows are tenant-owned).
"""

from __future__ import annotations

import hashlib
import io
import json
import re
import unicodedata
import uuid
import zipfile
from dataclasses import dataclass, field
from typing import Any

from django.utils import timezone

from buergerbuero.payments.models import Payment, PaymentStatus

from ..hashing import canonical_json, sha512_hex
from ..models import Attachment, Case
from .metadata import AttachmentInfo, PaymentInfo, build_metadata, form_schema_uri, leika_urn

__all__ = ["Envelope", "EnvelopeAttachment", "EnvelopeError", "build_envelope", "envelope_zip", "zip_filename"]

RECEIPT_PURPOSE = "form"


class EnvelopeError(RuntimeError):
    """The case cannot be exported as it is (its data or an upload no longer matches its hash)."""


@dataclass(frozen=True)
class EnvelopeAttachment:
    attachment_id: str
    filename: str
    mime_type: str
    purpose: str
    content: bytes = field(repr=False)

    @property
    def sha512(self) -> str:
        return sha512_hex(self.content)

    def info(self) -> AttachmentInfo:
        return AttachmentInfo(
            attachment_id=self.attachment_id,
            filename=self.filename,
            mime_type=self.mime_type,
            sha512=self.sha512,
            purpose=self.purpose,
        )


@dataclass(frozen=True)
class Envelope:
    """Everything one FIT-Connect submission carries, unencrypted."""

    case_id: str
    service_identifier: str
    service_name: str
    metadata: dict[str, Any]
    data: bytes = field(repr=False)
    attachments: list[EnvelopeAttachment]

    @property
    def metadata_bytes(self) -> bytes:
        return json.dumps(self.metadata, ensure_ascii=False, sort_keys=True).encode("utf-8")


def build_envelope(case: Case, *, with_receipt: bool = True) -> Envelope:
    """The submission of ``case``; ``with_receipt=False`` leaves out the receipt PDF (quick, for previews)."""
    data = canonical_json(case.data)
    data_sha512 = sha512_hex(data)
    if case.data_sha512 and case.data_sha512 != data_sha512:
        raise EnvelopeError(f"The data of case {case.file_number} no longer matches the hash recorded at submission.")
    attachments: list[EnvelopeAttachment] = []
    if with_receipt:
        attachments.append(_receipt(case))
    # The application's own uploads; files sent later with a mailbox answer are not part of the submission.
    submitted = case.attachments.filter(message__isnull=True).order_by("uploaded_at", "id")
    attachments.extend(_upload(attachment) for attachment in submitted)
    service = case.service
    identifier = leika_urn(service.leika_key) if service.leika_key else f"urn:buergerbuero:service:{service.slug}"
    metadata = build_metadata(
        schema_uri=form_schema_uri(service.slug, case.form.version),
        data_sha512=data_sha512,
        attachments=[attachment.info() for attachment in attachments],
        service_identifier=identifier,
        service_name=service.name_de,
        reply_email=case.applicant_email,
        payment=_payment(case),
        sender_reference=case.file_number,
        application_date=timezone.localdate(case.submitted_at),
    )
    return Envelope(
        case_id=str(case.public_id),
        service_identifier=identifier,
        service_name=service.name_de,
        metadata=metadata,
        data=data,
        attachments=attachments,
    )


def _receipt(case: Case) -> EnvelopeAttachment:
    from ..receipts import receipt_pdf

    digest = hashlib.sha256(f"{case.public_id}:receipt".encode()).digest()
    return EnvelopeAttachment(
        attachment_id=str(uuid.UUID(bytes=digest[:16], version=4)),
        filename=f"Eingangsbestaetigung-{_safe_name(case.file_number)}.pdf",
        mime_type="application/pdf",
        purpose=RECEIPT_PURPOSE,
        content=receipt_pdf(case),
    )


def _upload(attachment: Attachment) -> EnvelopeAttachment:
    with attachment.file.open("rb") as handle:
        content = handle.read()
    if attachment.sha512 and sha512_hex(content) != attachment.sha512:
        raise EnvelopeError(f"The stored file {attachment.original_name!r} no longer matches its hash.")
    return EnvelopeAttachment(
        attachment_id=str(attachment.public_id),
        filename=attachment.original_name,
        mime_type=attachment.content_type,
        purpose="attachment",
        content=content,
    )


def _payment(case: Case) -> PaymentInfo | None:
    payments = Payment.objects.filter(case=case)
    payment = (
        payments.filter(status=PaymentStatus.PAID).order_by("-paid_at", "-id").first()
        or payments.order_by("-id").first()
    )
    if payment is None:
        return None
    return PaymentInfo(
        transaction_id=str(payment.public_id),
        transaction_reference=payment.provider_reference or case.file_number,
        status=payment.status,
        amount=payment.amount,
        paid_at=payment.paid_at,
    )


# --- the ZIP for staff -----------------------------------------------------------------------------


def envelope_zip(envelope: Envelope) -> bytes:
    """``metadata.json``, ``data.json`` (the exact bytes hashed) and ``attachments/<name>``."""
    buffer = io.BytesIO()
    used: set[str] = set()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr(
            "metadata.json", json.dumps(envelope.metadata, ensure_ascii=False, indent=2).encode("utf-8") + b"\n"
        )
        archive.writestr("data.json", envelope.data)
        for attachment in envelope.attachments:
            archive.writestr(f"attachments/{_unique(_safe_name(attachment.filename), used)}", attachment.content)
    return buffer.getvalue()


def zip_filename(case: Case) -> str:
    return f"fitconnect-{_safe_name(case.file_number)}.zip"


_UMLAUTS = str.maketrans({"ä": "ae", "ö": "oe", "ü": "ue", "Ä": "Ae", "Ö": "Oe", "Ü": "Ue", "ß": "ss"})


def _safe_name(name: str) -> str:
    """An ASCII file name for the ZIP (umlauts spelt out, accents dropped, anything else ``_``)."""
    ascii_name = unicodedata.normalize("NFKD", name.translate(_UMLAUTS)).encode("ascii", "ignore").decode()
    cleaned = re.sub(r"[^A-Za-z0-9._-]+", "_", ascii_name.replace("/", "-")).strip("._")
    return cleaned[:120] or "file"


def _unique(name: str, used: set[str]) -> str:
    stem, dot, suffix = name.rpartition(".")
    if not dot:
        stem, suffix = name, ""
    candidate, number = name, 1
    while candidate in used:
        number += 1
        candidate = f"{stem}-{number}.{suffix}" if suffix else f"{stem}-{number}"
    used.add(candidate)
    return candidate
