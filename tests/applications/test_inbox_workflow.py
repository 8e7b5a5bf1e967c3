"""The workflow of a case in the back office: each step a named service, checked against the allowed
transitions, audited, on the timeline, and the applicant told by e-mail where it concerns them."""

from __future__ import annotations

import datetime as dt
import io

import pytest
import time_machine
from django.core import mail
from pypdf import PdfReader

from buergerbuero.accounts.models import User
from buergerbuero.applications.constants import CaseEventKind, CaseState, Decision, Direction
from buergerbuero.applications.decisions import decision_pdf
from buergerbuero.applications.models import Case, CaseEvent, MailboxMessage
from buergerbuero.applications.services import ApplicationError, workflow
from buergerbuero.core.models import AuditEntry, OutboxMessage
from buergerbuero.core.outbox import dispatch_due
from buergerbuero.tenants.models import Municipality
from tests.accounts.factories import StaffRoleFactory
from tests.applications.factories import CaseFactory, CitizenFactory, online_service

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("kreis_scope", "clock")]


@pytest.fixture
def case(municipality_a: Municipality) -> Case:
    service, form = online_service(municipality_a)
    return CaseFactory(municipality=municipality_a, service=service, form=form, applicant_email="erika@example.org")


def emails_to(address: str) -> list[OutboxMessage]:
    return [m for m in OutboxMessage.objects.filter(kind="email").order_by("id") if address in m.payload["to"]]


def actions(case: Case) -> list[str]:
    return list(
        AuditEntry.objects.filter(object_type="applications.case", object_id=str(case.pk))
        .order_by("id")
        .values_list("action", flat=True)
    )


def test_it_walks_a_case_from_received_to_closed(case: Case, clerk_a: User) -> None:
    case = workflow.start_review(case=case, actor=clerk_a)
    assert case.state == CaseState.IN_REVIEW
    assert case.assignee == clerk_a  # whoever starts the review takes the case

    message = workflow.ask_citizen(case=case, actor=clerk_a, body="Bitte reichen Sie die Erlaubnis nach.")
    case.refresh_from_db()
    assert case.state == CaseState.WAITING
    assert message.direction == Direction.TO_CITIZEN

    answer = MailboxMessage.objects.create(
        case=case, direction=Direction.FROM_CITIZEN, author=case.citizen, body="Anbei."
    )
    assert case.citizen is not None
    case = workflow.record_answer(case=case, citizen=case.citizen, message=answer)
    assert case.state == CaseState.IN_REVIEW

    case = workflow.decide(case=case, actor=clerk_a, approved=True, reasons="")
    assert case.state == CaseState.DECIDED
    assert case.decision == Decision.APPROVED
    assert case.legal_basis == "§ 1 Probegesetz"
    assert case.decided_at is not None

    case = workflow.close_case(case=case, actor=clerk_a)
    assert case.state == CaseState.CLOSED
    assert case.closed_at is not None

    assert actions(case) == [
        "applications.case.review_started",
        "applications.case.question_asked",
        "applications.case.answer_received",
        "applications.case.decided",
        "applications.case.closed",
    ]
    kinds = list(CaseEvent.objects.filter(case=case).order_by("id").values_list("kind", flat=True))
    assert kinds == [
        CaseEventKind.STATE,
        CaseEventKind.QUESTION,
        CaseEventKind.ANSWER,
        CaseEventKind.DECIDED,
        CaseEventKind.STATE,
    ]


def test_it_refuses_a_transition_the_state_does_not_allow(case: Case, clerk_a: User) -> None:
    with pytest.raises(ApplicationError) as refused:
        workflow.close_case(case=case, actor=clerk_a)
    assert refused.value.code == "transition"
    workflow.decide(case=case, actor=clerk_a, approved=True, reasons="")
    for step in (workflow.start_review, lambda **kw: workflow.ask_citizen(body="?", **kw)):
        with pytest.raises(ApplicationError):
            step(case=case, actor=clerk_a)
    with pytest.raises(ApplicationError):
        workflow.decide(case=case, actor=clerk_a, approved=False, reasons="Zu spät.")
    case.refresh_from_db()
    assert case.state == CaseState.DECIDED
    assert case.decision == Decision.APPROVED
    assert actions(case) == ["applications.case.decided"]


def test_a_rejection_needs_reasons(case: Case, clerk_a: User) -> None:
    with pytest.raises(ApplicationError) as refused:
        workflow.decide(case=case, actor=clerk_a, approved=False, reasons="   ")
    assert refused.value.field == "reasons"
    case.refresh_from_db()
    assert case.state == CaseState.RECEIVED


def test_the_question_and_the_decision_reach_the_applicant_by_email(case: Case, clerk_a: User) -> None:
    workflow.ask_citizen(case=case, actor=clerk_a, body="Wann beginnt die Tätigkeit?")
    workflow.decide(case=case, actor=clerk_a, approved=False, reasons="Die Angaben fehlen.")
    (question,) = emails_to("erika@example.org")
    assert case.file_number in question.payload["subject"]
    assert "Mustermann" not in question.payload["subject"]  # no personal data in subjects
    assert "Wann beginnt" not in question.payload["body"]  # the message itself stays in the account
    assert f"/antraege/vorgang/{case.public_id}/" in question.payload["body"]
    assert question.municipality_id == case.municipality_id
    assert question.label
    # The Bescheid is rendered when the outbox sends it (``case_decided``), not inside ``decide``.
    decided = OutboxMessage.objects.get(kind="case_decided")
    assert decided.payload == {"case": case.pk}
    assert decided.dedupe_key == f"case-decided:{case.public_id}"
    assert decided.municipality_id == case.municipality_id
    assert case.file_number in decided.label
    dispatch_due()
    (decision,) = [m for m in mail.outbox if m.attachments]
    assert case.file_number in decision.subject
    ((filename, content, content_type),) = decision.attachments
    assert (filename, content_type) == (f"Bescheid-{case.file_number.replace('/', '-')}.pdf", "application/pdf")
    text = PdfReader(io.BytesIO(content)).pages[0].extract_text()
    assert "abgelehnt" in text
    assert "Die Angaben fehlen." in text


def test_the_assignee_hears_of_the_answer(case: Case, clerk_a: User) -> None:
    clerk_a.email = "clerk@kaarst.example"
    clerk_a.save()
    message = workflow.ask_citizen(case=case, actor=clerk_a, body="Frage")
    workflow.assign(case=case, actor=clerk_a, assignee=clerk_a)
    answer = MailboxMessage.objects.create(case=case, direction=Direction.FROM_CITIZEN, author=case.citizen, body="x")
    assert case.citizen is not None
    workflow.record_answer(case=case, citizen=case.citizen, message=answer)
    (mail,) = emails_to("clerk@kaarst.example")
    assert case.file_number in mail.payload["subject"]
    assert message.public_id != answer.public_id


def test_only_the_applicant_can_answer(case: Case, clerk_a: User) -> None:
    workflow.ask_citizen(case=case, actor=clerk_a, body="Frage")
    stranger = CitizenFactory()
    answer = MailboxMessage.objects.create(case=case, direction=Direction.FROM_CITIZEN, author=stranger, body="x")
    with pytest.raises(ApplicationError):
        workflow.record_answer(case=case, citizen=stranger, message=answer)
    case.refresh_from_db()
    assert case.state == CaseState.WAITING


def test_a_case_is_assigned_only_to_staff_of_its_municipality(
    case: Case, clerk_a: User, clerk_b: User, admin_a: User
) -> None:
    with pytest.raises(ApplicationError) as refused:
        workflow.assign(case=case, actor=clerk_a, assignee=clerk_b)
    assert refused.value.field == "assignee"
    with pytest.raises(ApplicationError):
        workflow.assign(case=case, actor=clerk_a, assignee=CitizenFactory())
    with pytest.raises(ApplicationError):  # and only by them
        workflow.assign(case=case, actor=clerk_b, assignee=clerk_b)
    case = workflow.assign(case=case, actor=clerk_a, assignee=admin_a)
    assert case.assignee == admin_a
    case = workflow.assign(case=case, actor=clerk_a, assignee=None)
    assert case.assignee is None
    assert actions(case) == ["applications.case.assigned", "applications.case.assigned"]
    events = CaseEvent.objects.filter(case=case, kind=CaseEventKind.ASSIGNED)
    assert events.count() == 2
    assert not events.filter(visible_to_citizen=True).exists()


def test_a_step_on_a_case_changed_meanwhile_is_refused(
    case: Case, clerk_a: User, admin_a: User, clock: time_machine.Coordinates
) -> None:
    seen = case.updated_at
    clock.shift(dt.timedelta(seconds=5))
    workflow.assign(case=case, actor=admin_a, assignee=admin_a, expected_updated_at=seen)
    with pytest.raises(ApplicationError) as refused:
        workflow.start_review(case=case, actor=clerk_a, expected_updated_at=seen)
    assert refused.value.code == "stale"
    case.refresh_from_db()
    assert case.state == CaseState.RECEIVED
    assert case.assignee == admin_a


def test_deadlines_are_set_and_removed_on_open_cases_only(case: Case, clerk_a: User) -> None:
    due = dt.datetime(2026, 12, 1, 23, 59, tzinfo=dt.UTC)
    case = workflow.set_deadline(case=case, actor=clerk_a, due_at=due)
    assert case.due_at == due
    case = workflow.set_deadline(case=case, actor=clerk_a, due_at=None)
    assert case.due_at is None
    workflow.decide(case=case, actor=clerk_a, approved=True, reasons="")
    with pytest.raises(ApplicationError):
        workflow.set_deadline(case=case, actor=clerk_a, due_at=due)
    assert actions(case).count("applications.case.deadline_set") == 2


def test_notes_are_for_staff_only(case: Case, clerk_a: User) -> None:
    note = workflow.add_note(case=case, actor=clerk_a, text="Rückruf mit dem Ordnungsamt vereinbart.")
    assert note.author == clerk_a
    assert not CaseEvent.objects.filter(case=case).exists()  # nothing on the citizen's timeline
    assert not OutboxMessage.objects.exists()
    assert actions(case) == ["applications.case.note_added"]
    with pytest.raises(ApplicationError) as refused:
        workflow.add_note(case=case, actor=clerk_a, text=" ")
    assert refused.value.field == "text"


def test_staff_of_another_municipality_cannot_work_on_the_case(case: Case, clerk_b: User) -> None:
    with pytest.raises(ApplicationError):
        workflow.start_review(case=case, actor=clerk_b)
    with pytest.raises(ApplicationError):
        workflow.add_note(case=case, actor=clerk_b, text="x")


def test_the_bescheid_states_the_legal_basis_and_the_file_number(case: Case, clerk_a: User) -> None:
    case = workflow.decide(case=case, actor=clerk_a, approved=True, reasons="Alle Voraussetzungen sind erfüllt.")
    text = "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(decision_pdf(case))).pages)
    assert "Bescheid" in text
    assert case.file_number in text
    assert "Rechtsgrundlage: § 1 Probegesetz" in text
    assert "stattgegeben" in text
    assert "Alle Voraussetzungen sind erfüllt." in text
    assert "Klage" in text
    assert "ohne Unterschrift gültig" in text
    assert "Erika Mustermann" in text


def test_a_kreis_admin_may_work_on_the_case(case: Case, municipality_a: Municipality) -> None:
    admin = StaffRoleFactory(
        district=municipality_a.district, municipality=None, role="district_admin", user__username="kreis"
    ).user
    assert workflow.start_review(case=case, actor=admin).state == CaseState.IN_REVIEW
