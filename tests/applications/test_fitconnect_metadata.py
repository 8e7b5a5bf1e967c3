"""The FIT-Connect metadata of a case validates against the official schema; broken metadata is refused readably."""

from __future__ import annotations

import copy
import hashlib
import json
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings

from buergerbuero.applications.fitconnect.envelope import build_envelope
from buergerbuero.applications.fitconnect.metadata import (
    SCHEMA_PATH,
    MetadataError,
    PaymentInfo,
    build_metadata,
    validate_metadata,
)
from buergerbuero.applications.hashing import canonical_json
from buergerbuero.tenants.models import Municipality
from tests.applications.fitconnect_cases import LEIKA_KEY, PDF, PNG, sample_case

pytestmark = pytest.mark.django_db


@pytest.fixture
def private_media(settings: Any, tmp_path: Path) -> Path:
    settings.PRIVATE_MEDIA_ROOT = tmp_path
    return tmp_path


def test_it_ships_the_official_schema_unchanged() -> None:
    shared = Path(settings.SHARED_DATA_DIR) / "standards" / "fitconnect-metadata-1.0.0.schema.json"
    if not shared.exists():
        pytest.skip("the shared standards folder is not present")
    assert SCHEMA_PATH.read_bytes() == shared.read_bytes()
    schema = json.loads(SCHEMA_PATH.read_text())
    assert schema["$id"] == "https://schema.fitko.de/fit-connect/metadata/1.0.0/metadata.schema.json"


def test_it_describes_a_paid_case_with_two_attachments(
    municipality_a: Municipality, kreis_scope: None, private_media: Path
) -> None:
    sample = sample_case(municipality_a)
    envelope = build_envelope(sample.case)
    metadata = envelope.metadata

    validate_metadata(metadata)  # the official schema, with formats checked
    assert envelope.data == canonical_json(sample.case.data)
    data_hash = metadata["contentStructure"]["data"]["hash"]
    assert data_hash == {"type": "sha512", "content": hashlib.sha512(envelope.data).hexdigest()}
    assert data_hash["content"] == sample.case.data_sha512
    assert metadata["contentStructure"]["data"]["submissionSchema"] == {
        "schemaUri": f"urn:buergerbuero:form:{sample.case.service.slug}:1",
        "mimeType": "application/json",
    }
    described = metadata["contentStructure"]["attachments"]
    # the receipt PDF (the generated form) first, then the two uploads in upload order
    assert [item["purpose"] for item in described] == ["form", "attachment", "attachment"]
    assert described[0]["mimeType"] == "application/pdf"
    uploads = {item["attachmentId"]: item for item in described[1:]}
    for attachment, content in zip(sample.attachments, (PDF, PNG), strict=True):
        item = uploads[str(attachment.public_id)]
        assert item["hash"] == {"type": "sha512", "content": hashlib.sha512(content).hexdigest()}
        assert item["filename"] == attachment.original_name
        assert item["mimeType"] == attachment.content_type
    assert described[0]["hash"]["content"] == hashlib.sha512(envelope.attachments[0].content).hexdigest()
    assert envelope.attachments[0].content.startswith(b"%PDF")
    assert metadata["publicServiceType"] == {
        "identifier": f"urn:de:fim:leika:leistung:{LEIKA_KEY}",
        "name": "Gewerbeanmeldung",
    }
    payment = metadata["paymentInformation"]
    assert payment["status"] == "BOOKED"
    assert payment["transactionId"] == str(sample.payment.public_id)
    assert payment["transactionReference"] == "KZ-2026-000123"
    assert payment["grossAmount"] == 33.33
    assert payment["paymentMethod"] == "OTHER"
    assert "transactionTimestamp" in payment
    assert metadata["replyChannel"] == {"eMail": {"address": "juergen@example.org"}}
    assert metadata["additionalReferenceInfo"]["senderReference"] == sample.case.file_number
    assert metadata["additionalReferenceInfo"]["applicationDate"] == sample.case.submitted_at.date().isoformat()


def test_a_rebuilt_envelope_names_the_same_attachments(
    municipality_a: Municipality, kreis_scope: None, private_media: Path
) -> None:
    sample = sample_case(municipality_a)
    first = build_envelope(sample.case)
    second = build_envelope(sample.case, with_receipt=False)
    ids = [item["attachmentId"] for item in first.metadata["contentStructure"]["attachments"]]
    assert ids[1:] == [item["attachmentId"] for item in second.metadata["contentStructure"]["attachments"]]
    assert ids[0] == build_envelope(sample.case).metadata["contentStructure"]["attachments"][0]["attachmentId"]


def _valid() -> dict[str, Any]:
    return build_metadata(
        schema_uri="urn:buergerbuero:form:gewerbe-anmeldung:1",
        data_sha512=hashlib.sha512(b"{}").hexdigest(),
        attachments=[],
        service_identifier=f"urn:de:fim:leika:leistung:{LEIKA_KEY}",
        service_name="Gewerbeanmeldung",
        reply_email="a@example.org",
    )


def test_it_refuses_metadata_without_the_data_hash() -> None:
    metadata = _valid()
    del metadata["contentStructure"]["data"]["hash"]
    with pytest.raises(MetadataError) as raised:
        validate_metadata(metadata)
    assert raised.value.problems == ["contentStructure/data: 'hash' is a required property"]


def test_it_refuses_a_hash_that_is_not_sha512_hex() -> None:
    metadata = _valid()
    metadata["contentStructure"]["data"]["hash"]["content"] = "ABC"
    with pytest.raises(MetadataError, match=r"contentStructure/data/hash/content: 'ABC' does not match"):
        validate_metadata(metadata)


@pytest.mark.parametrize(
    ("identifier", "expected"),
    [
        ("urn:de:fim:leika:leistung:123", "is not a LeiKa URN with a 14-digit key"),
        ("leika:99050012104000", "publicServiceType/identifier: 'leika:99050012104000' does not match"),
    ],
)
def test_it_refuses_a_wrong_leika_urn(identifier: str, expected: str) -> None:
    metadata = _valid()
    metadata["publicServiceType"]["identifier"] = identifier
    with pytest.raises(MetadataError, match=expected):
        validate_metadata(metadata)


def test_it_checks_formats_and_payment_status() -> None:
    metadata = _valid()
    broken = copy.deepcopy(metadata)
    broken["replyChannel"]["eMail"]["address"] = "not an address"
    broken["contentStructure"]["data"]["submissionSchema"]["schemaUri"] = "no uri at all"
    broken["paymentInformation"] = {"transactionId": "a b", "transactionReference": "x",
                                    "paymentMethod": "CASH", "status": "BOOKED"}  # fmt: skip
    with pytest.raises(MetadataError) as raised:
        validate_metadata(broken)
    text = str(raised.value)
    assert "'not an address' is not a 'email'" in text
    assert "'no uri at all' is not a 'uri'" in text
    assert "paymentInformation/paymentMethod: 'CASH' is not one of" in text
    assert "paymentInformation/transactionId: 'a b' does not match" in text


def test_amounts_in_cents_are_multiples_of_a_cent() -> None:
    def with_amount(amount: str) -> dict[str, Any]:
        return build_metadata(
            schema_uri="urn:buergerbuero:form:x:1",
            data_sha512="0" * 128,
            attachments=[],
            service_identifier=f"urn:de:fim:leika:leistung:{LEIKA_KEY}",
            service_name="x",
            payment=PaymentInfo(transaction_id="t-1", transaction_reference="r", status="paid", amount=Decimal(amount)),
        )

    for amount in ("33.33", "19.99", "0.07", "1234.56"):
        assert with_amount(amount)["paymentInformation"]["grossAmount"] == float(amount)
    metadata = with_amount("1.00")
    metadata["paymentInformation"]["grossAmount"] = 1.005
    with pytest.raises(MetadataError, match=r"is not a multiple of 0\.01"):
        validate_metadata(metadata)
