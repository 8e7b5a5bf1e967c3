"""Submitting a draft: one case however often it is submitted, routed to the responsible municipality,
with a file number, the frozen data and its hash, the fee, the receipt PDF and the confirmation e-mail."""

from __future__ import annotations

import io
import threading
from decimal import Decimal

import pytest
from django.core import mail
from django.db import connection
from django.utils import translation
from django.utils.translation import gettext
from pypdf import PdfReader

from buergerbuero.applications.constants import CaseEventKind, CaseState, PaymentState
from buergerbuero.applications.models import Case, CaseEvent, Draft
from buergerbuero.applications.receipts import receipt_pdf
from buergerbuero.applications.services import ApplicationError
from buergerbuero.applications.services.submission import IncompleteApplication, submit_draft
from buergerbuero.applications.signals import case_submitted
from buergerbuero.catalog.models import PostcodeArea
from buergerbuero.core.models import OutboxMessage
from buergerbuero.core.outbox import dispatch_due, idempotency_key
from buergerbuero.core.tenancy import scopes_disabled
from buergerbuero.tenants.models import Municipality
from tests.applications.factories import CitizenFactory, canonical_sha512, online_service
from tests.applications.submit_helpers import ready_draft
from tests.catalog.factories import ServiceOfferingFactory

pytestmark = pytest.mark.usefixtures("kreis_scope")


def pdf_text(content: bytes) -> str:
    return "".join("".join(page.extract_text() for page in PdfReader(io.BytesIO(content)).pages).split())


@pytest.mark.django_db
def test_it_turns_a_complete_draft_into_a_case(municipality_a: Municipality) -> None:
    service, form = online_service(municipality_a)
    citizen = CitizenFactory()
    draft = ready_draft(citizen, form, municipality_a)
    received = []
    case_submitted.connect(lambda sender, case, **kw: received.append(case), weak=False, dispatch_uid="t-submit")
    try:
        case = submit_draft(draft=draft, citizen=citizen)
    finally:
        case_submitted.disconnect(dispatch_uid="t-submit")
    assert received == [case]
    assert case.municipality == municipality_a
    assert case.service == service and case.form == form and case.citizen == citizen
    assert case.file_number.startswith("32.11/") and case.file_number.endswith("/000001")
    assert case.state == CaseState.RECEIVED
    assert case.applicant_name == "Erika Mustermann" and case.applicant_email == "erika@example.org"
    assert case.data["adresse"]["plz"] == "41564"
    assert case.data_sha512 == canonical_sha512(case.data)
    assert case.fee_amount == Decimal("26.00") and case.payment_state == PaymentState.OPEN
    assert (case.due_at - case.submitted_at).days == 14
    assert case.legal_basis == "§ 1 Probegesetz"
    assert [a.original_name for a in case.attachments.all()] == ["ausweis.png"]
    assert CaseEvent.objects.get(case=case).kind == CaseEventKind.SUBMITTED
    draft.refresh_from_db()
    assert draft.submitted_at is not None


@pytest.mark.django_db
def test_it_charges_by_the_fee_rule_and_knows_free_services(municipality_a: Municipality) -> None:
    _, form = online_service(municipality_a)
    company = {"vorname": "Erika", "familienname": "M", "email": "e@example.org", "rechtsform": "company",
               "firmenname": "M GmbH"}  # fmt: skip
    case = submit_draft(draft=ready_draft(citizen := CitizenFactory(), form, person=company), citizen=citizen)
    assert case.fee_amount == Decimal("33.00")
    _, free_form = online_service(municipality_a, slug="frei", fee={"kind": "free"})
    free = submit_draft(draft=ready_draft(citizen, free_form), citizen=citizen)
    assert free.fee_amount == 0 and free.payment_state == PaymentState.NOT_REQUIRED


@pytest.mark.django_db
def test_it_charges_the_maximum_of_a_range(municipality_a: Municipality) -> None:
    _, form = online_service(municipality_a, fee={"kind": "range", "min": "10.00", "max": "50.00"})
    citizen = CitizenFactory()
    case = submit_draft(draft=ready_draft(citizen, form), citizen=citizen)
    assert case.fee_amount == Decimal("50.00")
    assert "maximum" in CaseEvent.objects.get(case=case).data["fee_note"]


@pytest.mark.django_db
def test_a_second_submit_returns_the_same_case_and_sends_one_email(municipality_a: Municipality) -> None:
    _, form = online_service(municipality_a)
    citizen = CitizenFactory()
    draft = ready_draft(citizen, form)
    first = submit_draft(draft=draft, citizen=citizen)
    again = submit_draft(draft=Draft.objects.get(pk=draft.pk), citizen=citizen)
    assert again.pk == first.pk
    assert Case.objects.count() == 1
    assert OutboxMessage.objects.filter(kind="case_received").count() == 1


@pytest.mark.django_db
def test_it_routes_to_the_municipality_of_the_routing_postcode(
    municipality_a: Municipality, municipality_b: Municipality
) -> None:
    service, form = online_service(municipality_a)
    ServiceOfferingFactory(municipality=municipality_b, service=service, online_application=True)
    PostcodeArea.objects.create(postcode="41363", ags=municipality_b.ags, place="Jüchen")
    citizen = CitizenFactory()
    address = {"strasse": "Markt 1", "plz": "41363", "ort": "Jüchen"}
    draft = ready_draft(citizen, form, municipality_a, adresse=address)
    case = submit_draft(draft=draft, citizen=citizen)
    assert case.municipality == municipality_b
    draft.refresh_from_db()
    assert draft.municipality == municipality_b


@pytest.mark.django_db
def test_it_refuses_a_postcode_where_nobody_takes_it_online(
    municipality_a: Municipality, municipality_b: Municipality
) -> None:
    _, form = online_service(municipality_a)
    PostcodeArea.objects.create(postcode="41363", ags=municipality_b.ags, place="Jüchen")
    citizen = CitizenFactory()
    draft = ready_draft(citizen, form, adresse={"strasse": "Markt 1", "plz": "41363", "ort": "Jüchen"})
    with pytest.raises(ApplicationError) as refused:
        submit_draft(draft=draft, citizen=citizen)
    assert refused.value.field == "adresse.plz"
    assert Case.objects.count() == 0


@pytest.mark.django_db
def test_it_refuses_an_incomplete_draft_and_says_what_is_missing(municipality_a: Municipality) -> None:
    _, form = online_service(municipality_a)
    citizen = CitizenFactory()
    draft = ready_draft(citizen, form, adresse={"strasse": "Am Neumarkt 1", "plz": "41564"})
    with pytest.raises(IncompleteApplication) as refused:
        submit_draft(draft=draft, citizen=citizen)
    assert "adresse.ort" in refused.value.errors
    assert Case.objects.count() == 0 and OutboxMessage.objects.count() == 0


@pytest.mark.django_db
def test_it_refuses_someone_elses_draft(municipality_a: Municipality) -> None:
    _, form = online_service(municipality_a)
    draft = ready_draft(CitizenFactory(), form)
    with pytest.raises(ApplicationError):
        submit_draft(draft=draft, citizen=CitizenFactory())
    assert Case.objects.count() == 0


@pytest.mark.django_db
def test_the_receipt_states_the_file_number_and_the_hash_of_the_data(municipality_a: Municipality) -> None:
    _, form = online_service(municipality_a)
    citizen = CitizenFactory()
    case = submit_draft(draft=ready_draft(citizen, form), citizen=citizen)
    text = pdf_text(receipt_pdf(case))
    assert case.data_sha512 == canonical_sha512(case.data)
    assert case.file_number in text
    assert case.data_sha512 in text
    with translation.override(case.language):
        assert "".join(gettext("Confirmation of receipt").split()) in text  # Eingangsbestätigung
    assert "Mustermann" in text and "ausweis.png" in text


@pytest.mark.django_db
def test_the_confirmation_email_carries_the_receipt(municipality_a: Municipality) -> None:
    _, form = online_service(municipality_a)
    citizen = CitizenFactory()
    case = submit_draft(draft=ready_draft(citizen, form), citizen=citizen)
    dispatch_due()
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == ["erika@example.org"]
    assert case.file_number in message.subject
    assert case.file_number in message.body
    [(name, content, content_type)] = message.attachments
    assert content_type == "application/pdf" and name.endswith(".pdf")
    assert case.data_sha512 in pdf_text(content)
    dispatch_due()
    assert len(mail.outbox) == 1


@pytest.mark.django_db
def test_the_confirmation_is_rendered_when_it_is_sent_not_while_submitting(municipality_a: Municipality) -> None:
    _, form = online_service(municipality_a)
    citizen = CitizenFactory()
    case = submit_draft(draft=ready_draft(citizen, form), citizen=citizen)
    queued = OutboxMessage.objects.get(kind="case_received")
    assert queued.payload == {"case": case.pk}  # no PDF, no rendered text in the outbox
    assert queued.dedupe_key == f"case-received:{case.public_id}"
    assert queued.municipality_id == case.municipality_id
    assert case.file_number in queued.label
    assert not OutboxMessage.objects.filter(kind="email").exists()
    dispatch_due()
    [message] = mail.outbox
    assert message.extra_headers["Message-ID"] == idempotency_key(queued)
    assert f"/antraege/vorgang/{case.public_id}/" in message.body


@pytest.mark.django_db
def test_the_confirmation_is_in_the_citizens_language(municipality_a: Municipality) -> None:
    _, form = online_service(municipality_a)
    citizen = CitizenFactory()
    with translation.override("en"):
        case = submit_draft(draft=ready_draft(citizen, form), citizen=citizen)
    assert case.language == "en"
    with translation.override("de"):  # the dispatcher's language does not matter; the case's does
        dispatch_due()
    assert "Application received" in mail.outbox[0].subject
    assert "Confirmationofreceipt" in pdf_text(mail.outbox[0].attachments[0][1])  # the receipt in English too


@pytest.mark.django_db(transaction=True)
def test_a_concurrent_double_submit_makes_one_case(municipality_a: Municipality) -> None:
    with scopes_disabled():
        _, form = online_service(municipality_a)
        citizen = CitizenFactory()
        draft = ready_draft(citizen, form)
    start = threading.Barrier(4)
    cases: list[int] = []
    errors: list[BaseException] = []

    def work() -> None:
        try:
            with scopes_disabled():
                own = Draft.objects.get(pk=draft.pk)
                start.wait(timeout=60)
                cases.append(submit_draft(draft=own, citizen=citizen).pk)
        except BaseException as error:
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=work) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not errors, errors[0]
    assert len(cases) == 4 and len(set(cases)) == 1
    with scopes_disabled():
        assert Case.objects.count() == 1
        assert OutboxMessage.objects.filter(kind="case_received").count() == 1
        assert Case.objects.get().file_number.endswith("/000001")
