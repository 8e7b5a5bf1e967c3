"""The vocabulary of online applications: form and case states, events, mailbox directions, hand-offs."""

from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy


class FormStatus(models.TextChoices):
    DRAFT = "draft", pgettext_lazy("form version", "in preparation")
    PUBLISHED = "published", _("published")
    RETIRED = "retired", _("retired")


class CaseState(models.TextChoices):
    """The workflow ``received → in review → waiting for citizen → decided → closed``."""

    RECEIVED = "received", _("received")
    IN_REVIEW = "in_review", _("in review")
    WAITING = "waiting", _("waiting for the citizen")
    DECIDED = "decided", _("decided")
    CLOSED = "closed", pgettext_lazy("case", "closed")


#: States in which staff still have work to do (backlog, deadlines).
OPEN_STATES = (CaseState.RECEIVED, CaseState.IN_REVIEW, CaseState.WAITING)

#: Which state each state may move to; every move is one named service in ``services/workflow.py``.
TRANSITIONS: dict[str, frozenset[str]] = {
    CaseState.RECEIVED: frozenset({CaseState.IN_REVIEW, CaseState.WAITING, CaseState.DECIDED}),
    CaseState.IN_REVIEW: frozenset({CaseState.WAITING, CaseState.DECIDED}),
    CaseState.WAITING: frozenset({CaseState.IN_REVIEW, CaseState.DECIDED}),
    CaseState.DECIDED: frozenset({CaseState.CLOSED}),
    CaseState.CLOSED: frozenset(),
}


class Decision(models.TextChoices):
    NONE = "", _("not decided")
    APPROVED = "approved", _("approved")
    REJECTED = "rejected", _("rejected")


class PaymentState(models.TextChoices):
    """The payment state as the case records it (the ``payments.Payment`` rows hold the attempts)."""

    NOT_REQUIRED = "not_required", _("no fee")
    OPEN = "open", _("open")
    PAID = "paid", _("paid")
    FAILED = "failed", _("failed")
    CANCELLED = "cancelled", pgettext_lazy("payment", "cancelled")


#: Payment states in which the citizen can (still, or again) pay the fee.
PAYABLE_STATES = (PaymentState.OPEN, PaymentState.FAILED, PaymentState.CANCELLED)


class CaseEventKind(models.TextChoices):
    SUBMITTED = "submitted", _("application received")
    PAYMENT = "payment", _("payment")
    STATE = "state", _("status changed")
    ASSIGNED = "assigned", _("assigned")
    DEADLINE = "deadline", _("deadline changed")
    QUESTION = "question", _("question to the citizen")
    ANSWER = "answer", _("answer from the citizen")
    DECIDED = "decided", _("decision")
    HANDOFF = "handoff", _("handed on")


class Direction(models.TextChoices):
    TO_CITIZEN = "to_citizen", _("to the citizen")
    FROM_CITIZEN = "from_citizen", _("from the citizen")


class ScanStatus(models.TextChoices):
    PENDING = "pending", _("not yet scanned")
    CLEAN = "clean", _("clean")
    INFECTED = "infected", _("infected")
    SKIPPED = "skipped", _("no scanner configured")


class HandoffKind(models.TextChoices):
    XGEWERBEANZEIGE = "xgewerbeanzeige", _("XGewerbeanzeige 2.2")
    FITCONNECT = "fitconnect", _("FIT-Connect submission")


class HandoffState(models.TextChoices):
    PENDING = "pending", _("pending")
    DELIVERED = "delivered", _("delivered")
    FAILED = "failed", _("failed")
