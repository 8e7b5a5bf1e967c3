"""The metadata of a FIT-Connect submission, validated against the official schema (1.0.0).

The metadata describes what the submission carries and how to check it: the data's schema and
SHA-512 (``contentStructure.data``), every attachment with its SHA-512, purpose and MIME type
(``contentStructure.attachments``), the service as a LeiKa URN (``publicServiceType``), the payment
(``paymentInformation``), where to answer the citizen (``replyChannel``) and our file number and the
date of application (``additionalReferenceInfo``).

The schema ships with the app (``applications/standards``) and is never fetched: its only ``$ref`` is
local (``#/properties/...``), and the validator gets a registry that refuses remote references.
Two format checks the ``jsonschema`` package leaves to optional dependencies (``uri``, ``date-time``)
are done here with the standard library, and ``multipleOf`` is checked with decimals, because the
binary-float check of ``jsonschema`` rejects amounts like 33.33 (33.33 / 0.01 is not an integer in
floating point). Pure: no ORM.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from functools import cache
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from jsonschema import Draft202012Validator, FormatChecker, ValidationError, validators
from jsonschema.protocols import Validator
from referencing import Registry
from referencing.exceptions import NoSuchResource

__all__ = [
    "METADATA_SCHEMA_ID",
    "SCHEMA_PATH",
    "AttachmentInfo",
    "MetadataError",
    "PaymentInfo",
    "build_metadata",
    "form_schema_uri",
    "leika_urn",
    "metadata_schema",
    "validate_metadata",
]

SCHEMA_PATH = Path(__file__).resolve().parent.parent / "standards" / "fitconnect-metadata-1.0.0.schema.json"
METADATA_SCHEMA_ID = "https://schema.fitko.de/fit-connect/metadata/1.0.0/metadata.schema.json"
LEIKA_PREFIX = "urn:de:fim:leika:leistung:"
_LEIKA_KEY = re.compile(r"^\d{14}$")
_URI_SCHEME = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*$")

#: Attachment purposes of the schema: the generated PDF of the whole application, an upload of the
#: citizen, a document the online service made afterwards.
PURPOSES = ("form", "attachment", "report")

#: Our payment states as FIT-Connect names them.
PAYMENT_STATUS = {
    "created": "INITIAL",
    "pending": "INITIAL",
    "paid": "BOOKED",
    "failed": "FAILED",
    "cancelled": "CANCELED",
}


class MetadataError(ValueError):
    """The metadata does not validate; ``problems`` lists each problem as ``path: message``."""

    def __init__(self, problems: Sequence[str]) -> None:
        self.problems = list(problems)
        super().__init__("FIT-Connect metadata is invalid: " + "; ".join(self.problems))


@dataclass(frozen=True)
class AttachmentInfo:
    """One attachment as the metadata describes it."""

    attachment_id: str
    filename: str
    mime_type: str
    sha512: str
    purpose: str = "attachment"
    description: str = ""


@dataclass(frozen=True)
class PaymentInfo:
    """The case's payment as the payment provider reported it."""

    transaction_id: str
    transaction_reference: str
    status: str  # our PaymentStatus value: created, pending, paid, failed, cancelled
    amount: Decimal
    paid_at: dt.datetime | None = None
    method: str = "OTHER"


def leika_urn(leika_key: str) -> str:
    """``urn:de:fim:leika:leistung:99050012104000`` for a 14-digit LeiKa key."""
    return f"{LEIKA_PREFIX}{leika_key}"


def form_schema_uri(service_slug: str, version: int) -> str:
    """The URI naming one version of our form's data schema, e.g. ``urn:buergerbuero:form:gewerbe-anmeldung:3``."""
    return f"urn:buergerbuero:form:{service_slug}:{version}"


def build_metadata(
    *,
    schema_uri: str,
    data_sha512: str,
    attachments: Sequence[AttachmentInfo],
    service_identifier: str,
    service_name: str,
    reply_email: str = "",
    payment: PaymentInfo | None = None,
    sender_reference: str = "",
    application_date: dt.date | None = None,
) -> dict[str, Any]:
    """The metadata document of one submission, validated (raises :class:`MetadataError`)."""
    metadata: dict[str, Any] = {
        "$schema": METADATA_SCHEMA_ID,
        "contentStructure": {
            "data": {
                "submissionSchema": {"schemaUri": schema_uri, "mimeType": "application/json"},
                "hash": {"type": "sha512", "content": data_sha512},
            },
            "attachments": [_attachment(info) for info in attachments],
        },
        "publicServiceType": {"identifier": service_identifier, "name": service_name},
    }
    if payment is not None:
        metadata["paymentInformation"] = _payment(payment)
    if reply_email:
        metadata["replyChannel"] = {"eMail": {"address": reply_email}}
    reference: dict[str, str] = {}
    if sender_reference:
        reference["senderReference"] = sender_reference
    if application_date is not None:
        reference["applicationDate"] = application_date.isoformat()
    if reference:
        metadata["additionalReferenceInfo"] = reference
    validate_metadata(metadata)
    return metadata


def _attachment(info: AttachmentInfo) -> dict[str, Any]:
    entry: dict[str, Any] = {
        "attachmentId": info.attachment_id,
        "hash": {"type": "sha512", "content": info.sha512},
        "purpose": info.purpose,
        "filename": info.filename,
        "mimeType": info.mime_type,
    }
    if info.description:
        entry["description"] = info.description
    return entry


def _payment(payment: PaymentInfo) -> dict[str, Any]:
    status = PAYMENT_STATUS.get(payment.status)
    if status is None:
        raise MetadataError([f"paymentInformation/status: unknown payment status {payment.status!r}"])
    info: dict[str, Any] = {
        "transactionId": payment.transaction_id,
        "transactionReference": payment.transaction_reference,
        "paymentMethod": payment.method,
        "status": status,
    }
    if payment.paid_at is not None and status == "BOOKED":
        info["transactionTimestamp"] = payment.paid_at.isoformat()
    if payment.amount > 0:
        info["grossAmount"] = float(payment.amount.quantize(Decimal("0.01")))
    return info


# --- validation ------------------------------------------------------------------------------------


@cache
def metadata_schema() -> dict[str, Any]:
    """The official schema as bundled (read once)."""
    schema: dict[str, Any] = json.loads(SCHEMA_PATH.read_text(encoding="utf-8"))
    return schema


def validate_metadata(metadata: Mapping[str, Any]) -> None:
    """Raise :class:`MetadataError` listing every problem, or return when ``metadata`` is valid."""
    problems = [_describe(error) for error in _errors(metadata)]
    identifier = metadata.get("publicServiceType", {}).get("identifier", "")
    if isinstance(identifier, str) and identifier.startswith(LEIKA_PREFIX):
        key = identifier.removeprefix(LEIKA_PREFIX)
        if not _LEIKA_KEY.match(key):
            problems.append(f"publicServiceType/identifier: {identifier!r} is not a LeiKa URN with a 14-digit key")
    if problems:
        raise MetadataError(problems)


def _errors(metadata: Mapping[str, Any]) -> Iterator[ValidationError]:
    validator = _validator()
    yield from sorted(validator.iter_errors(dict(metadata)), key=lambda error: list(error.absolute_path))


def _describe(error: ValidationError) -> str:
    path = "/".join(str(part) for part in error.absolute_path) or "(document)"
    return f"{path}: {error.message}"


@cache
def _validator() -> Validator:
    schema = metadata_schema()
    Draft202012Validator.check_schema(schema)
    cls: Any = validators.extend(  # type: ignore[no-untyped-call]
        Draft202012Validator, {"multipleOf": _decimal_multiple_of}
    )
    registry: Any = Registry(retrieve=_refuse_remote)  # type: ignore[call-arg]
    validator: Validator = cls(schema, registry=registry, format_checker=_format_checker())
    return validator


def _refuse_remote(uri: str) -> Any:
    # Only the schema's own "#/..." references are allowed; nothing is downloaded.
    raise NoSuchResource(ref=uri)  # type: ignore[call-arg]


def _decimal_multiple_of(
    validator: Validator, multiple_of: Any, instance: Any, schema: Any
) -> Iterator[ValidationError]:
    if not validator.is_type(instance, "number"):
        return
    try:
        remainder = Decimal(str(instance)) % Decimal(str(multiple_of))
    except InvalidOperation:
        yield ValidationError(f"{instance!r} is not a multiple of {multiple_of}")
        return
    if remainder != 0:
        yield ValidationError(f"{instance!r} is not a multiple of {multiple_of}")


def _format_checker() -> FormatChecker:
    checker = FormatChecker()

    @checker.checks("uri", raises=ValueError)
    def is_uri(instance: object) -> bool:
        if not isinstance(instance, str):
            return True
        if any(char.isspace() for char in instance):
            return False
        parts = urlsplit(instance)
        return bool(parts.scheme) and bool(_URI_SCHEME.match(parts.scheme)) and bool(parts.netloc or parts.path)

    @checker.checks("date-time", raises=ValueError)
    def is_date_time(instance: object) -> bool:
        if not isinstance(instance, str):
            return True
        if "T" not in instance.upper():
            return False
        value = dt.datetime.fromisoformat(instance.replace("z", "Z").replace("Z", "+00:00"))
        return value.tzinfo is not None  # RFC 3339 requires an offset

    @checker.checks("date", raises=ValueError)
    def is_date(instance: object) -> bool:
        if not isinstance(instance, str):
            return True
        return bool(re.fullmatch(r"\d{4}-\d{2}-\d{2}", instance)) and bool(dt.date.fromisoformat(instance))

    return checker
