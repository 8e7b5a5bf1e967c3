"""The Bescheid reaches the applicant through a ``case_decided`` outbox message, rendered when it is sent."""

from __future__ import annotations

import io

import pytest
from django.core import mail
from pypdf import PdfReader

from buergerbuero.accounts.models import User
from buergerbuero.applications.models import Case
from buergerbuero.applications.services import workflow
from buergerbuero.core.models import OutboxMessage
from buergerbuero.core.outbox import dispatch_due, idempotency_key
from buergerbuero.tenants.models import Municipality
from tests.applications.factories import CaseFactory, online_service

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("kreis_scope")]


@pytest.fixture
def case(municipality_a: Municipality) -> Case:
    service, form = online_service(municipality_a)
    return CaseFactory(
        municipality=municipality_a, service=service, form=form, applicant_email="sam@example.org", language="en"
    )


def test_the_decision_queues_a_small_message_and_the_email_is_in_the_applicants_language(
    case: Case, clerk_a: User
) -> None:
    workflow.decide(case=case, actor=clerk_a, approved=True, reasons="")

    queued = OutboxMessage.objects.get(kind="case_decided")
    assert queued.payload == {"case": case.pk}  # no PDF and no rendered text in the outbox
    assert queued.label == f"Decision on your application {case.file_number}"
    assert not OutboxMessage.objects.filter(kind="email").exists()

    dispatch_due()

    (message,) = mail.outbox
    assert message.to == ["sam@example.org"]
    assert message.subject == f"Decision on your application {case.file_number}"
    assert "has decided on your application" in message.body
    assert f"/antraege/vorgang/{case.public_id}/" in message.body
    assert message.extra_headers["Message-ID"] == idempotency_key(queued)
    ((_name, content, _type),) = message.attachments
    text = PdfReader(io.BytesIO(content)).pages[0].extract_text()
    assert "Bescheid" in text and case.file_number in text  # the Bescheid itself is German
    queued.refresh_from_db()
    assert queued.state == OutboxMessage.State.SENT


def test_the_bescheid_is_rendered_from_the_case_when_the_message_is_sent(case: Case, clerk_a: User) -> None:
    workflow.decide(case=case, actor=clerk_a, approved=False, reasons="Unterlagen fehlen.")
    Case.objects.filter(pk=case.pk).update(decision_text="Die Gewerbeerlaubnis fehlt.")  # e.g. corrected since

    dispatch_due()

    ((_name, content, _type),) = mail.outbox[0].attachments
    text = PdfReader(io.BytesIO(content)).pages[0].extract_text()
    assert "Die Gewerbeerlaubnis fehlt." in text
    assert "abgelehnt" in text


def test_nothing_is_queued_without_an_email_address(case: Case, clerk_a: User) -> None:
    Case.objects.filter(pk=case.pk).update(applicant_email="")
    case.refresh_from_db()
    assert case.citizen is not None
    type(case.citizen).objects.filter(pk=case.citizen.pk).update(email="")
    case.citizen.refresh_from_db()

    workflow.decide(case=case, actor=clerk_a, approved=True, reasons="")

    assert not OutboxMessage.objects.filter(kind="case_decided").exists()
