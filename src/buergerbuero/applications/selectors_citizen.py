"""Reads for "Mein Bürgerbüro": a citizen's drafts and cases, the status of a case and its timeline.

Cases belong to the municipality that processes them (``TenantManager``), but a citizen's cases can
be in any municipality of the Kreis. So the reads here leave the tenant scope visibly
(``scopes_disabled()``) and filter by the citizen instead — in this one module, nowhere else.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from uuid import UUID

from django.db.models import Count, Q, QuerySet
from django.http import Http404
from django.utils.translation import gettext as _
from django.utils.translation import pgettext

from buergerbuero.accounts.models import User
from buergerbuero.core.i18n import active_language
from buergerbuero.core.tenancy import scopes_disabled

from .constants import CaseEventKind, CaseState, Decision, Direction, PaymentState
from .models import Case, CaseEvent, Draft, MailboxMessage

__all__ = [
    "DraftRow",
    "ProgressStep",
    "TimelineItem",
    "case_of_citizen",
    "cases_of",
    "drafts_of",
    "messages_of",
    "progress",
    "timeline",
    "unread_count",
]


def _unread() -> Count:
    return Count(
        "messages",
        filter=Q(messages__direction=Direction.TO_CITIZEN, messages__read_at__isnull=True),
        distinct=True,
    )


def cases_of(citizen: User) -> QuerySet[Case]:
    """The citizen's cases in every municipality, newest first, each with ``unread`` (staff messages
    not yet read), its service and municipality."""
    with scopes_disabled():  # a citizen's own cases, across the Kreis: filtered by owner below
        return (
            Case.objects.filter(citizen=citizen)
            .select_related("service", "municipality")
            .annotate(unread=_unread())
            .order_by("-submitted_at", "-id")
        )


def case_of_citizen(citizen: User, public_id: UUID | str) -> Case:
    """The citizen's case ``public_id``; anybody else's (or an unknown one) is a 404."""
    with scopes_disabled():  # filtered by owner
        case = (
            Case.objects.filter(citizen=citizen, public_id=public_id)
            .select_related("service", "municipality", "municipality__district", "form")
            .first()
        )
    if case is None:
        raise Http404("no such case")
    return case


def unread_count(citizen: User) -> int:
    """How many messages from staff the citizen has not read yet, over all their cases."""
    with scopes_disabled():  # filtered by owner
        return MailboxMessage.objects.filter(
            case__citizen=citizen, direction=Direction.TO_CITIZEN, read_at__isnull=True
        ).count()


def messages_of(case: Case) -> list[MailboxMessage]:
    """The case's mailbox thread, oldest first, with the attachments of each message."""
    with scopes_disabled():  # the caller has checked that the case is the citizen's
        return list(MailboxMessage.objects.filter(case=case).select_related("author").prefetch_related("attachments"))


# -- drafts ------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class DraftRow:
    """An unsubmitted draft as "Meine Anträge" lists it."""

    draft: Draft
    title: str
    step_key: str
    step_title: str
    updated_at: dt.datetime


def _text(raw: Mapping[str, Any], key: str, language: str) -> str:
    return str(raw.get(f"{key}_{language}") or raw.get(f"{key}_de") or "")


def drafts_of(citizen: User) -> list[DraftRow]:
    """The citizen's drafts not yet submitted, most recently changed first, with the form's title and
    the step they stopped at (the first step if they never saved one)."""
    language = active_language()
    rows = []
    drafts = Draft.objects.filter(citizen=citizen, submitted_at__isnull=True).select_related("form__service")
    for draft in drafts.order_by("-updated_at", "-id"):
        definition = draft.form.definition if isinstance(draft.form.definition, dict) else {}
        steps = [step for step in definition.get("steps") or [] if isinstance(step, dict)]
        step = next((s for s in steps if s.get("key") == draft.step), steps[0] if steps else {})
        rows.append(
            DraftRow(
                draft=draft,
                title=_text(definition, "title", language) or draft.form.service.name,
                step_key=str(step.get("key") or ""),
                step_title=_text(step, "title", language),
                updated_at=draft.updated_at,
            )
        )
    return rows


# -- status and timeline -------------------------------------------------------------------------------


@dataclass(frozen=True)
class ProgressStep:
    """One station of the step indicator; ``status`` is ``done``, ``current`` or ``upcoming``."""

    label: str
    status: str


def progress(state: str) -> list[ProgressStep]:
    """Received → In progress (or "Question for you" while waiting) → Decided → Closed; pure."""
    order = [CaseState.RECEIVED, CaseState.IN_REVIEW, CaseState.DECIDED, CaseState.CLOSED]
    position = order.index(CaseState.IN_REVIEW if state == CaseState.WAITING else CaseState(state))
    labels = [
        pgettext("case progress", "Received"),
        pgettext("case progress", "Question for you")
        if state == CaseState.WAITING
        else pgettext("case progress", "In progress"),
        pgettext("case progress", "Decided"),
        pgettext("case progress", "Closed"),
    ]
    return [
        ProgressStep(
            label=label,
            status="done" if index < position else "current" if index == position else "upcoming",
        )
        for index, label in enumerate(labels)
    ]


def status_text(case: Case) -> str:
    """The state in words for the citizen (a badge's text, never colour alone)."""
    if case.state == CaseState.WAITING:
        return _("Question for you")
    if case.state in (CaseState.DECIDED, CaseState.CLOSED) and case.decision:
        verdict = _("approved") if case.decision == Decision.APPROVED else _("rejected")
        if case.state == CaseState.CLOSED:
            return _("Closed (%(verdict)s)") % {"verdict": verdict}
        return _("Decided: %(verdict)s") % {"verdict": verdict}
    return {
        CaseState.RECEIVED: pgettext("case status", "Received"),
        CaseState.IN_REVIEW: pgettext("case status", "In progress"),
        CaseState.DECIDED: pgettext("case status", "Decided"),
        CaseState.CLOSED: pgettext("case status", "Closed"),
    }.get(CaseState(case.state), case.get_state_display())


@dataclass(frozen=True)
class TimelineItem:
    """One entry of the citizen's timeline: when, what happened (translated), and a detail line."""

    when: dt.datetime
    kind: str
    what: str
    detail: str = ""


_PAYMENT_WORDS = {
    PaymentState.PAID: lambda: _("Fee paid"),
    PaymentState.FAILED: lambda: _("Payment failed"),
    PaymentState.CANCELLED: lambda: _("Payment cancelled"),
    PaymentState.OPEN: lambda: _("Payment started"),
}


def describe_event(kind: str, data: Mapping[str, Any]) -> tuple[str, str]:
    """What a visible case event means to the citizen, and a detail line; pure."""
    if kind == CaseEventKind.SUBMITTED:
        detail = _("File number %(file_number)s, %(municipality)s") % {
            "file_number": data.get("file_number", ""),
            "municipality": data.get("municipality", ""),
        }
        return _("Your application was received"), detail
    if kind == CaseEventKind.STATE:
        state = data.get("state")
        if state == CaseState.IN_REVIEW:
            return _("Your application is being processed"), ""
        if state == CaseState.CLOSED:
            return _("The case was closed"), ""
        if state == CaseState.WAITING:
            return _("The office is waiting for your answer"), ""
        return _("The status of your application changed"), ""
    if kind == CaseEventKind.QUESTION:
        return _("The office asked you a question"), _("Please read it in the mailbox below and answer.")
    if kind == CaseEventKind.ANSWER:
        return _("You answered"), ""
    if kind == CaseEventKind.DECIDED:
        if data.get("decision") == Decision.APPROVED:
            return _("Your application was approved"), _("You can download the decision (Bescheid).")
        if data.get("decision") == Decision.REJECTED:
            return _("Your application was rejected"), _("You can download the decision (Bescheid).")
        return _("A decision was made on your application"), ""
    if kind == CaseEventKind.PAYMENT:
        state = str(data.get("state") or data.get("status") or "")
        word = _PAYMENT_WORDS.get(state)  # type: ignore[call-overload]
        detail = str(data.get("amount") or "")
        return (word() if word else _("Payment")), (f"{detail} €" if detail else "")
    if kind == CaseEventKind.HANDOFF:
        recipient = str(data.get("recipient_name") or "")
        return _("Your data were passed on to another authority"), recipient
    return str(CaseEventKind(kind).label) if kind in CaseEventKind.values else _("Update"), ""


def timeline(case: Case) -> list[TimelineItem]:
    """The events of ``case`` shown to the citizen, oldest first (never internal events or notes)."""
    with scopes_disabled():  # the caller has checked that the case is the citizen's
        events = list(CaseEvent.objects.filter(case=case, visible_to_citizen=True).order_by("created_at", "id"))
    items = []
    for event in events:
        what, detail = describe_event(event.kind, event.data if isinstance(event.data, dict) else {})
        items.append(TimelineItem(when=event.created_at, kind=event.kind, what=what, detail=detail))
    return items
