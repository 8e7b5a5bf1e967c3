"""Paying a case's fee: start a payment with the provider, complete it when the citizen comes back.

``Payment`` rows are the attempts; ``Case.payment_state`` is what the case (and the clerk) sees.
A replayed or repeated return changes nothing once a payment has its outcome.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING

from django.db import transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from buergerbuero.applications.constants import CaseEventKind, PaymentState
from buergerbuero.applications.models import Case, CaseEvent
from buergerbuero.applications.services import ApplicationError
from buergerbuero.catalog.fees import format_amount
from buergerbuero.core.links import absolute_url
from buergerbuero.core.tenancy import scopes_disabled
from buergerbuero.notifications.email import queue_email

from .models import Payment, PaymentStatus
from .providers import PaymentVerificationError, get_provider

if TYPE_CHECKING:
    from buergerbuero.accounts.models import User

__all__ = ["OPEN_STATUSES", "PaymentVerificationError", "complete_payment", "start_payment"]

#: Attempts that may still end either way.
OPEN_STATUSES = (PaymentStatus.CREATED, PaymentStatus.PENDING)

_CASE_STATE = {
    PaymentStatus.PAID: PaymentState.PAID,
    PaymentStatus.FAILED: PaymentState.FAILED,
    PaymentStatus.CANCELLED: PaymentState.CANCELLED,
}


def start_payment(case: Case, *, citizen: User) -> str:
    """Start paying ``case``'s fee and return the URL to send the citizen to.

    One open attempt at a time: an attempt still waiting for the provider is started again instead of a
    second one. Refused (``ApplicationError``) when the case is not the citizen's, has no fee or is paid.
    """
    provider = get_provider()
    with transaction.atomic(), scopes_disabled():
        locked = Case.objects.select_for_update().get(pk=case.pk)
        if locked.citizen_id != citizen.pk:
            raise ApplicationError(_("This application is not yours."), code="not_owner")
        if locked.payment_state == PaymentState.PAID:
            raise ApplicationError(_("The fee for this application is paid already."), code="paid")
        if locked.payment_state == PaymentState.NOT_REQUIRED or locked.fee_amount <= 0:
            raise ApplicationError(_("This application has no fee to pay."), code="no_fee")
        payment = (
            Payment.objects.filter(case=locked, status__in=OPEN_STATUSES, provider=provider.name)
            .order_by("-created_at", "-id")
            .first()
        )
        if payment is None:
            payment = Payment.objects.create(
                case=locked, amount=locked.fee_amount, provider=provider.name, status=PaymentStatus.PENDING
            )
        url = provider.start(
            payment,
            return_url=absolute_url(reverse("payments:return", args=[payment.public_id])),
            cancel_url=absolute_url(reverse("payments:return", args=[payment.public_id])),
        )
        payment.status = PaymentStatus.PENDING
        payment.save(update_fields=["status", "provider_reference", "updated_at"])
        if locked.payment_state != PaymentState.OPEN:
            locked.payment_state = PaymentState.OPEN
            locked.save(update_fields=["payment_state", "updated_at"])
    return url


def complete_payment(payment: Payment, params: Mapping[str, str]) -> Payment:
    """Record the provider's answer for ``payment`` (the parameters of the citizen's return).

    Raises :class:`PaymentVerificationError` for a forged return. Idempotent: a payment that has its
    outcome keeps it, and a replayed return changes nothing.
    """
    provider = get_provider()
    if provider.name != payment.provider:
        raise PaymentVerificationError("payment belongs to another provider")
    status = provider.verify_return(payment, params)
    with transaction.atomic(), scopes_disabled():
        locked = Payment.objects.select_for_update().select_related("case__municipality").get(pk=payment.pk)
        if locked.status not in OPEN_STATUSES:
            return locked
        now = timezone.now()
        locked.status = status
        locked.paid_at = now if status == PaymentStatus.PAID else None
        locked.save(update_fields=["status", "paid_at", "updated_at"])
        case = Case.objects.select_for_update().get(pk=locked.case_id)
        if case.payment_state != PaymentState.PAID:  # a later failed attempt never undoes a payment
            case.payment_state = _CASE_STATE[status]
            case.save(update_fields=["payment_state", "updated_at"])
        CaseEvent.objects.create(
            case=case,
            kind=CaseEventKind.PAYMENT,
            actor=case.citizen,
            data={
                "status": str(status),
                "amount": str(locked.amount),
                "provider": locked.provider,
                "reference": locked.provider_reference,
            },
        )
        if status == PaymentStatus.PAID:
            _queue_paid_email(case, locked)
    return locked


def _queue_paid_email(case: Case, payment: Payment) -> None:
    if not case.applicant_email:
        return
    with translation.override(case.language):
        subject = _("Payment received: %(file_number)s") % {"file_number": case.file_number}
        body = render_to_string(
            "payments/email/paid.txt",
            {"case": case, "payment": payment, "amount": format_amount(payment.amount, case.language)},
        )
    queue_email(
        [case.applicant_email],
        subject,
        body,
        dedupe_key=f"payment-paid:{payment.public_id}",
        municipality=case.municipality,
        label=f"{case.file_number}: payment received",
    )
