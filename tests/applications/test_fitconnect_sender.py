"""The FIT-Connect sender against the local fake, and the hand-off of a submitted case through the outbox."""

from __future__ import annotations

import hashlib
import json
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from django.utils import timezone

from buergerbuero.applications.constants import CaseEventKind, HandoffKind, HandoffState
from buergerbuero.applications.fitconnect.client import FitConnectClient, FitConnectError, configured_client
from buergerbuero.applications.fitconnect.envelope import build_envelope
from buergerbuero.applications.fitconnect.receivers import create_fitconnect_handoff
from buergerbuero.applications.models import CaseEvent, Handoff
from buergerbuero.applications.signals import case_submitted
from buergerbuero.core.models import OutboxMessage
from buergerbuero.core.outbox import dispatch_due
from buergerbuero.tenants.models import Municipality
from tests.applications.fitconnect_cases import LEIKA_KEY, SLUG, SampleCase, sample_case
from tests.harness.fitconnect_fake import CLIENT_ID, FitConnectFake

pytestmark = pytest.mark.django_db


@pytest.fixture
def sample(municipality_a: Municipality, kreis_scope: None, settings: Any, tmp_path: Path) -> SampleCase:
    settings.PRIVATE_MEDIA_ROOT = tmp_path
    return sample_case(municipality_a)


def client_for(fake: FitConnectFake, **overrides: str) -> FitConnectClient:
    values = {"token_url": fake.token_url, "submission_api_url": fake.origin, "client_id": CLIENT_ID,
              "client_secret": fake.client_secret, **overrides}  # fmt: skip
    return FitConnectClient(**values)


def test_the_fake_receives_what_we_sent_and_the_hashes_match(
    fitconnect_api: FitConnectFake, sample: SampleCase
) -> None:
    fitconnect_api.services = [f"urn:de:fim:leika:leistung:{LEIKA_KEY}"]
    envelope = build_envelope(sample.case)
    announced: list[str] = []

    receipt = client_for(fitconnect_api).send(
        envelope, destination_id=fitconnect_api.destination_id, on_announced=lambda sid, cid: announced.append(sid)
    )

    assert fitconnect_api.rejections == []
    [received] = fitconnect_api.submitted()
    assert announced == [receipt.submission_id] == [received.submission_id]
    assert receipt.case_id == received.case_id
    assert received.data == envelope.data
    assert json.loads(received.data) == sample.case.data
    assert received.metadata == envelope.metadata
    described = {item["attachmentId"]: item for item in received.metadata["contentStructure"]["attachments"]}
    assert set(received.attachments) == set(described) and len(described) == 3
    for attachment_id, content in received.attachments.items():
        assert hashlib.sha512(content).hexdigest() == described[attachment_id]["hash"]["content"]
    uploads = {str(a.public_id): a for a in sample.attachments}
    for attachment_id, attachment in uploads.items():
        with attachment.file.open("rb") as handle:
            assert received.attachments[attachment_id] == handle.read()
    assert received.service_type == {"name": "Gewerbeanmeldung", "identifier": f"urn:de:fim:leika:leistung:{LEIKA_KEY}"}
    assert {header["cty"] for header in received.attachment_headers.values()} == {"application/pdf", "image/png"}


def test_it_reuses_its_token_until_it_expires(fitconnect_api: FitConnectFake) -> None:
    client = client_for(fitconnect_api)
    client.destination(fitconnect_api.destination_id)
    client.encryption_key(fitconnect_api.destination_id)
    assert fitconnect_api.tokens_issued == 1


def test_http_errors_say_which_step_failed(fitconnect_api: FitConnectFake) -> None:
    with pytest.raises(FitConnectError, match=r"FIT-Connect token failed \(HTTP 401\): .*invalid_client") as raised:
        client_for(fitconnect_api, client_secret="wrong").destination(fitconnect_api.destination_id)
    assert raised.value.step == "token"
    with pytest.raises(FitConnectError, match=r"destination failed \(HTTP 404\): Not Found: no destination"):
        client_for(fitconnect_api).destination("00000000-0000-4000-8000-000000000000")


def test_a_destination_that_refuses_the_service_is_an_error(fitconnect_api: FitConnectFake, sample: SampleCase) -> None:
    fitconnect_api.services = ["urn:de:fim:leika:leistung:99000000000000"]
    with pytest.raises(FitConnectError, match=r"announce failed \(HTTP 422\)"):
        client_for(fitconnect_api).send(build_envelope(sample.case), destination_id=fitconnect_api.destination_id)
    assert fitconnect_api.submitted() == []


def test_a_retry_after_a_failed_submit_continues_the_same_submission(
    fitconnect_api: FitConnectFake, sample: SampleCase
) -> None:
    envelope = build_envelope(sample.case)
    client = client_for(fitconnect_api)
    announced: list[str] = []
    fitconnect_api.fail_once("submit", 503)

    with pytest.raises(FitConnectError, match=r"submit failed \(HTTP 503\)"):
        client.send(
            envelope, destination_id=fitconnect_api.destination_id, on_announced=lambda s, c: announced.append(s)
        )
    receipt = client.send(envelope, destination_id=fitconnect_api.destination_id, submission_id=announced[0])

    assert receipt.submission_id == announced[0]
    assert len(fitconnect_api.submissions) == 1  # announced once
    assert [s.submission_id for s in fitconnect_api.submitted()] == announced
    # a third attempt (the answer to the second was lost) finds it submitted and does not send it again
    again = client.send(envelope, destination_id=fitconnect_api.destination_id, submission_id=announced[0])
    assert again.submission_id == announced[0]
    assert len(fitconnect_api.submitted()) == 1


# --- the hand-off ------------------------------------------------------------------------------------


def test_nothing_is_handed_off_without_configuration(sample: SampleCase, settings: Any) -> None:
    settings.FITCONNECT_DESTINATIONS = {}
    assert create_fitconnect_handoff(case=sample.case) is None
    assert configured_client() is None
    assert not Handoff.objects.filter(kind=HandoffKind.FITCONNECT).exists()


def test_a_submitted_case_is_handed_off_through_the_outbox_exactly_once(
    fitconnect_api: FitConnectFake, sample: SampleCase, settings: Any
) -> None:
    settings.FITCONNECT_DESTINATIONS = {SLUG: fitconnect_api.destination_id}
    case_submitted.send(sender=type(sample.case), case=sample.case)
    case_submitted.send(sender=type(sample.case), case=sample.case)  # a repeated signal changes nothing

    handoff = Handoff.objects.get(case=sample.case, kind=HandoffKind.FITCONNECT)
    assert handoff.state == HandoffState.PENDING
    assert handoff.recipient == fitconnect_api.destination_id
    assert json.loads(handoff.document)["contentStructure"]["data"]["hash"]["content"] == sample.case.data_sha512
    message = OutboxMessage.objects.get(kind="fitconnect")
    assert message.payload["handoff_id"] == handoff.pk
    assert message.municipality_id == sample.case.municipality_id
    assert message.label == f"FIT-Connect: {sample.case.file_number}"

    fitconnect_api.fail_once("submit", 503)
    first = dispatch_due()
    assert (first.sent, first.retried) == (0, 1)
    message.refresh_from_db()
    assert "submit failed (HTTP 503)" in message.last_error
    submission_id = message.payload["submission_id"]
    handoff.refresh_from_db()
    assert handoff.state == HandoffState.PENDING

    second = dispatch_due(now=timezone.now() + timedelta(hours=1))
    assert second.sent == 1
    handoff.refresh_from_db()
    assert handoff.state == HandoffState.DELIVERED and handoff.delivered_at is not None
    assert len(fitconnect_api.submissions) == 1
    [received] = fitconnect_api.submitted()
    assert received.submission_id == submission_id
    assert json.loads(handoff.document) == received.metadata  # the document is what was sent
    event = CaseEvent.objects.get(case=sample.case, kind=CaseEventKind.HANDOFF)
    assert event.data["submission_id"] == submission_id
    assert event.data["destination_id"] == fitconnect_api.destination_id
    assert not event.visible_to_citizen

    assert dispatch_due(now=timezone.now() + timedelta(days=1)).sent == 0
    assert len(fitconnect_api.submitted()) == 1


def test_an_unconfigured_sender_keeps_the_message_queued(sample: SampleCase, settings: Any) -> None:
    settings.FITCONNECT_DESTINATIONS = {SLUG: "00000000-0000-4000-8000-000000000001"}
    settings.FITCONNECT_TOKEN_URL = ""
    create_fitconnect_handoff(case=sample.case)
    assert dispatch_due().retried == 1
    message = OutboxMessage.objects.get(kind="fitconnect")
    assert "configuration" in message.last_error


def test_metadata_that_cannot_be_built_does_not_stop_the_submission(
    fitconnect_api: FitConnectFake, sample: SampleCase, settings: Any
) -> None:
    settings.FITCONNECT_DESTINATIONS = {LEIKA_KEY: fitconnect_api.destination_id}  # by LeiKa key
    sample.case.applicant_email = "not-an-address"
    sample.case.save(update_fields=["applicant_email"])

    handoff = create_fitconnect_handoff(case=sample.case)

    assert handoff is not None and handoff.document == ""
    assert dispatch_due().retried == 1
    message = OutboxMessage.objects.get(kind="fitconnect")
    assert "replyChannel/eMail/address: 'not-an-address' is not a 'email'" in message.last_error
    assert fitconnect_api.calls == []  # nothing left the house
