"""The citizen's side of a case's mailbox (Postfach): answering a question, reading staff's messages.

Staff's side (asking) is ``workflow.ask_citizen``; the case's move back to review when the citizen
answers is ``workflow.record_answer``, which :func:`answer` calls in the same transaction.
"""

from __future__ import annotations

from collections.abc import Sequence

from django.conf import settings
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from buergerbuero.accounts.models import User
from buergerbuero.core.tenancy import scopes_disabled

from ..constants import CaseState, Direction
from ..models import Attachment, Case, MailboxMessage
from . import ApplicationError, workflow
from .attachments import adopt_message_attachments, store_upload

__all__ = ["ANSWER_STATES", "MAX_ANSWER", "answer", "mark_read"]

#: The states in which the citizen can write: the office asked (waiting) or is working on the case.
ANSWER_STATES = (CaseState.WAITING, CaseState.IN_REVIEW)
#: The longest answer a citizen can write.
MAX_ANSWER = 10_000


def answer(*, case: Case, citizen: User, body: str, uploads: Sequence[UploadedFile] = ()) -> MailboxMessage:
    """The citizen answers in the case's mailbox, with files if they like.

    Creates the message, stores each upload (``store_upload``; a rejected file raises
    ``ApplicationError`` with ``field="uploads"`` and nothing is kept) and attaches it to the message
    and the case, then lets the workflow record the answer (a waiting case goes back to review).
    """
    if case.citizen_id != citizen.pk:
        raise ApplicationError(_("This application is not yours."), code="not_owner")
    if case.state not in ANSWER_STATES:
        raise ApplicationError(
            _("You can only write while the office is working on your application."), field="body", code="closed"
        )
    body = (body or "").strip()
    if not body:
        raise ApplicationError(_("Please write your answer."), field="body", code="required")
    if len(body) > MAX_ANSWER:
        raise ApplicationError(
            _("Please keep your answer under %(count)d characters.") % {"count": MAX_ANSWER},
            field="body",
            code="too_long",
        )
    stored: list[Attachment] = []
    try:
        with scopes_disabled(), transaction.atomic():  # the citizen's own case: checked above
            message = MailboxMessage.objects.create(
                case=case, direction=Direction.FROM_CITIZEN, author=citizen, body=body
            )
            stored = _store(uploads, citizen=citizen, message=message)
            adopt_message_attachments(message=message, case=case)
            workflow.record_answer(case=case, citizen=citizen, message=message)
    except Exception:
        for attachment in stored:  # the rows are rolled back; the files must go too
            attachment.file.delete(save=False)
        raise
    return message


def _store(uploads: Sequence[UploadedFile], *, citizen: User, message: MailboxMessage) -> list[Attachment]:
    if not uploads:
        return []
    if len(uploads) > int(settings.ATTACHMENT_MAX_FILES):
        raise ApplicationError(
            _("Please attach at most %(count)d files.") % {"count": settings.ATTACHMENT_MAX_FILES},
            field="uploads",
            code="too_many",
        )
    stored: list[Attachment] = []
    try:
        for upload in uploads:
            stored.append(store_upload(owner=citizen, upload=upload, field="uploads", message=message))
    except ApplicationError as error:
        for attachment in stored:
            attachment.file.delete(save=False)
        raise ApplicationError(error.message, field="uploads", code=error.code) from error
    return stored


def mark_read(*, case: Case, citizen: User) -> int:
    """Mark the staff's messages of the citizen's case as read; returns how many were unread."""
    if case.citizen_id != citizen.pk:
        return 0
    with scopes_disabled():  # the citizen's own case: checked above
        return MailboxMessage.objects.filter(case=case, direction=Direction.TO_CITIZEN, read_at__isnull=True).update(
            read_at=timezone.now()
        )
