"""The back office's work on a case: each step one named service.

``received → in review → waiting for the citizen → decided (approved / rejected) → closed``; which
move is allowed from which state is ``constants.TRANSITIONS``. Every service runs in one transaction
with the case row locked, checks the move, writes the case, a ``CaseEvent`` for the timeline and
an audit entry, and queues the e-mails it causes through the outbox (in the same transaction, so
they leave exactly when the change is committed). Subjects of e-mails never carry personal data.

Optimistic concurrency: the case page sends the ``updated_at`` it was rendered with as
``expected_updated_at``; if the case changed meanwhile the service refuses with ``code="stale"``
and changes nothing, so the clerk can look again instead of overwriting a colleague's step.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db import transaction
from django.urls import NoReverseMatch, reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from buergerbuero.accounts.models import User
from buergerbuero.accounts.selectors import staff_roles_in
from buergerbuero.core.audit import log_action
from buergerbuero.core.links import absolute_url
from buergerbuero.notifications.email import Attachment as EmailAttachment
from buergerbuero.notifications.email import queue_email

from ..constants import OPEN_STATES, TRANSITIONS, CaseEventKind, CaseState, Decision, Direction
from ..decision_notices import queue_decision_notice
from ..models import Case, CaseEvent, InternalNote, MailboxMessage
from . import ApplicationError

__all__ = [
    "MAX_TEXT",
    "add_note",
    "ask_citizen",
    "assign",
    "close_case",
    "decide",
    "record_answer",
    "set_deadline",
    "start_review",
]

#: The longest question, note or reasons a clerk can write.
MAX_TEXT = 10_000


# -- helpers ---------------------------------------------------------------------------------------


def _locked(case: Case, expected_updated_at: dt.datetime | None) -> Case:
    """The case's row, locked until the transaction ends; refuses if it changed since the clerk saw it."""
    fresh = Case.objects.select_for_update().select_related("service", "municipality").get(pk=case.pk)
    if expected_updated_at is not None and fresh.updated_at != expected_updated_at:
        raise ApplicationError(
            _(
                "Someone else changed this case in the meantime. Nothing was saved: please check the case "
                "as it is now and try again."
            ),
            code="stale",
        )
    return fresh


def _check_move(case: Case, target: str) -> None:
    if target not in TRANSITIONS[case.state]:
        raise ApplicationError(
            _("This step is not possible while the case is “%(state)s”.") % {"state": case.get_state_display()},
            code="transition",
        )


def _check_staff(actor: User, case: Case) -> None:
    if not staff_roles_in(actor, case.municipality):
        raise ApplicationError(_("Only staff of the responsible municipality may work on this case."), code="staff")


def _text(value: str, *, field: str, required_message: str) -> str:
    value = (value or "").strip()
    if not value:
        raise ApplicationError(required_message, field=field, code="required")
    if len(value) > MAX_TEXT:
        raise ApplicationError(
            _("Please write at most %(max)d characters (it is %(length)d).") % {"max": MAX_TEXT, "length": len(value)},
            field=field,
            code="too_long",
        )
    return value


def _set_state(case: Case, target: str, **fields: Any) -> dict[str, list[Any]]:
    """Move ``case`` (locked) to ``target`` and save; returns the audit changes."""
    changes: dict[str, list[Any]] = {"state": [case.state, target]}
    case.state = target
    for name, value in fields.items():
        changes[name] = [getattr(case, name), value]
        setattr(case, name, value)
    case.save(update_fields=["state", *fields, "updated_at"])
    return changes


def _audit(case: Case, actor: User, verb: str, changes: dict[str, Any]) -> None:
    log_action(
        actor=actor, action=f"applications.case.{verb}", obj=case, municipality=case.municipality, changes=changes
    )


def _event(case: Case, kind: str, actor: User | None, *, visible: bool = True, **data: Any) -> CaseEvent:
    return CaseEvent.objects.create(case=case, kind=kind, actor=actor, data=data, visible_to_citizen=visible)


def _case_link(case: Case) -> str:
    try:
        path = reverse("cases:detail", kwargs={"case_id": case.public_id})
    except NoReverseMatch:  # the citizen's case page (helper CITIZEN), at its agreed address
        path = f"/antraege/vorgang/{case.public_id}/"
    return absolute_url(path)


def _staff_link(case: Case) -> str:
    return absolute_url(
        reverse("inbox:case", kwargs={"municipality_slug": case.municipality.slug, "case_id": case.public_id})
    )


def _citizen_address(case: Case) -> str:
    return case.applicant_email or (case.citizen.email if case.citizen is not None else "")


def _mail_citizen(
    case: Case, *, subject: str, body: str, dedupe_key: str, attachments: tuple[EmailAttachment, ...] = ()
) -> None:
    """Queue an e-mail to the applicant in the language they applied in (texts are built by the caller
    inside ``translation.override(case.language)``)."""
    address = _citizen_address(case)
    if not address:
        return
    queue_email(
        [address],
        subject,
        body,
        attachments=attachments,
        dedupe_key=dedupe_key,
        municipality=case.municipality,
        label=subject,
    )


# -- transitions -----------------------------------------------------------------------------------


@transaction.atomic
def start_review(*, case: Case, actor: User, expected_updated_at: dt.datetime | None = None) -> Case:
    """Received (or waiting) → in review. An unassigned case is assigned to whoever starts the review."""
    _check_staff(actor, case)
    case = _locked(case, expected_updated_at)
    _check_move(case, CaseState.IN_REVIEW)
    extra: dict[str, Any] = {"assignee": actor} if case.assignee_id is None else {}
    changes = _set_state(case, CaseState.IN_REVIEW, **extra)
    _event(case, CaseEventKind.STATE, actor, state=CaseState.IN_REVIEW)
    log_action(
        actor=actor,
        action="applications.case.review_started",
        obj=case,
        municipality=case.municipality,
        changes=changes,
    )
    return case


@transaction.atomic
def ask_citizen(
    *, case: Case, actor: User, body: str, expected_updated_at: dt.datetime | None = None
) -> MailboxMessage:
    """Send the applicant a question through the case's mailbox; the case waits for their answer.

    A further question while the case already waits keeps it waiting. The applicant is told by
    e-mail that there is a new message (the message itself is only in their account).
    """
    _check_staff(actor, case)
    body = _text(body, field="body", required_message=_("Please write your question."))
    case = _locked(case, expected_updated_at)
    changes: dict[str, list[Any]] = {}
    if case.state != CaseState.WAITING:
        _check_move(case, CaseState.WAITING)
        changes = _set_state(case, CaseState.WAITING)
    else:
        case.save(update_fields=["updated_at"])
    message = MailboxMessage.objects.create(case=case, direction=Direction.TO_CITIZEN, author=actor, body=body)
    _event(case, CaseEventKind.QUESTION, actor, message=str(message.public_id))
    log_action(
        actor=actor,
        action="applications.case.question_asked",
        obj=case,
        municipality=case.municipality,
        changes={**changes, "message": str(message.public_id)},
    )
    with translation.override(case.language):
        subject = _("New message about your application %(file_number)s") % {"file_number": case.file_number}
        text = _(
            "Hello,\n\n"
            "%(municipality)s has a question about your application “%(service)s” (file number %(file_number)s).\n"
            "Please read it and answer in your account:\n\n%(link)s\n\n"
            "Until you answer, we cannot continue with your application.\n\n"
            "Kind regards\n%(municipality)s"
        ) % {
            "municipality": case.municipality.official_name or case.municipality.name,
            "service": case.service.name,
            "file_number": case.file_number,
            "link": _case_link(case),
        }
    _mail_citizen(case, subject=subject, body=text, dedupe_key=f"case-question:{message.public_id}")
    return message


@transaction.atomic
def record_answer(*, case: Case, citizen: User, message: MailboxMessage) -> Case:
    """The applicant answered in their mailbox (``mailbox.answer`` calls this after saving ``message``).

    A waiting case goes back to review; the assignee is told by e-mail. An answer to a case in any
    other state is recorded on the timeline without a change of state.
    """
    case = _locked(case, None)
    if case.citizen_id != citizen.pk or message.case_id != case.pk or message.direction != Direction.FROM_CITIZEN:
        raise ApplicationError(_("This message does not belong to your application."), code="not_owner")
    changes: dict[str, list[Any]] = {}
    if case.state == CaseState.WAITING:
        changes = _set_state(case, CaseState.IN_REVIEW)
    else:
        case.save(update_fields=["updated_at"])
    _event(case, CaseEventKind.ANSWER, citizen, message=str(message.public_id))
    log_action(
        actor=citizen,
        action="applications.case.answer_received",
        obj=case,
        municipality=case.municipality,
        changes={**changes, "message": str(message.public_id)},
    )
    assignee = case.assignee
    if assignee is not None and assignee.email:
        subject = _("Answer received for case %(file_number)s") % {"file_number": case.file_number}
        text = _("The applicant answered in the mailbox of case %(file_number)s (%(service)s).\n\n%(link)s") % {
            "file_number": case.file_number,
            "service": case.service.name,
            "link": _staff_link(case),
        }
        queue_email(
            [assignee.email],
            subject,
            text,
            dedupe_key=f"case-answer:{message.public_id}",
            municipality=case.municipality,
            label=subject,
        )
    return case


@transaction.atomic
def decide(
    *, case: Case, actor: User, approved: bool, reasons: str, expected_updated_at: dt.datetime | None = None
) -> Case:
    """Approve or reject the application. The legal basis is copied from the service; the applicant
    gets the Bescheid (PDF) by e-mail and in their account. Rejections need reasons."""
    _check_staff(actor, case)
    reasons = (reasons or "").strip()
    if not approved:
        reasons = _text(reasons, field="reasons", required_message=_("Please give the reasons for the rejection."))
    elif len(reasons) > MAX_TEXT:
        _text(reasons, field="reasons", required_message="")
    case = _locked(case, expected_updated_at)
    _check_move(case, CaseState.DECIDED)
    decision = Decision.APPROVED if approved else Decision.REJECTED
    changes = _set_state(
        case,
        CaseState.DECIDED,
        decision=decision,
        decision_text=reasons,
        legal_basis=case.service.legal_basis[:300],
        decided_at=timezone.now(),
    )
    _event(case, CaseEventKind.DECIDED, actor, decision=decision)
    _audit(case, actor, "decided", changes)
    queue_decision_notice(case)  # the Bescheid is rendered when the e-mail is sent, not under the row lock
    return case


@transaction.atomic
def close_case(*, case: Case, actor: User, expected_updated_at: dt.datetime | None = None) -> Case:
    """Decided → closed: nothing more to do on the case."""
    _check_staff(actor, case)
    case = _locked(case, expected_updated_at)
    _check_move(case, CaseState.CLOSED)
    changes = _set_state(case, CaseState.CLOSED, closed_at=timezone.now())
    _event(case, CaseEventKind.STATE, actor, state=CaseState.CLOSED)
    _audit(case, actor, "closed", changes)
    return case


# -- assignment, deadline, notes ---------------------------------------------------------------------


@transaction.atomic
def assign(*, case: Case, actor: User, assignee: User | None, expected_updated_at: dt.datetime | None = None) -> Case:
    """Give the case to ``assignee`` (``None``: to nobody). The assignee must be staff of its municipality."""
    _check_staff(actor, case)
    if assignee is not None and (
        assignee.is_citizen or not assignee.is_active or not staff_roles_in(assignee, case.municipality)
    ):
        raise ApplicationError(
            _("%(name)s does not work for %(municipality)s.")
            % {"name": assignee.get_full_name() or assignee.get_username(), "municipality": case.municipality.name},
            field="assignee",
            code="not_staff",
        )
    case = _locked(case, expected_updated_at)
    if case.state == CaseState.CLOSED:
        raise ApplicationError(_("A closed case cannot be reassigned."), code="transition")
    new_id = assignee.pk if assignee is not None else None
    if case.assignee_id == new_id:
        return case
    changes = {"assignee": [case.assignee_id, new_id]}
    case.assignee = assignee
    case.save(update_fields=["assignee", "updated_at"])
    _event(case, CaseEventKind.ASSIGNED, actor, visible=False, assignee=new_id)
    _audit(case, actor, "assigned", changes)
    return case


@transaction.atomic
def set_deadline(
    *, case: Case, actor: User, due_at: dt.datetime | None, expected_updated_at: dt.datetime | None = None
) -> Case:
    """Set (or with ``None`` remove) the deadline of an open case."""
    _check_staff(actor, case)
    case = _locked(case, expected_updated_at)
    if case.state not in OPEN_STATES:
        raise ApplicationError(_("Only open cases have a deadline."), field="due_at", code="transition")
    if case.due_at == due_at:
        return case
    changes = {"due_at": [case.due_at, due_at]}
    case.due_at = due_at
    case.save(update_fields=["due_at", "updated_at"])
    _event(case, CaseEventKind.DEADLINE, actor, visible=False, due_at=due_at.isoformat() if due_at else None)
    _audit(case, actor, "deadline_set", changes)
    return case


@transaction.atomic
def add_note(*, case: Case, actor: User, text: str) -> InternalNote:
    """Keep an internal note on the case. Notes are for staff only: no event, nothing for the citizen."""
    _check_staff(actor, case)
    text = _text(text, field="text", required_message=_("Please write the note."))
    note = InternalNote.objects.create(case=case, author=actor, text=text)
    log_action(
        actor=actor,
        action="applications.case.note_added",
        obj=case,
        municipality=case.municipality,
        changes={"note": note.pk},
    )
    return note
