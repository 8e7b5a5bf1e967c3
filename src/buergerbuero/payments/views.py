"""Payment pages: start paying a case, the demo provider's own pages, the return from the provider
and the result (paid, failed, cancelled — with "try again")."""

from __future__ import annotations

from uuid import UUID

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from buergerbuero.accounts.assurance import requires_assurance
from buergerbuero.accounts.constants import AssuranceLevel
from buergerbuero.applications.selectors_citizen import case_of_citizen
from buergerbuero.applications.services import ApplicationError
from buergerbuero.applications.views.access import citizen_of
from buergerbuero.catalog.fees import format_amount

from .models import PaymentStatus
from .providers import DemoProvider, PaymentVerificationError, get_provider
from .selectors import own_payment, payment_by_id
from .services import OPEN_STATUSES, complete_payment, start_payment

#: The demo page's buttons and the outcome each reports.
DEMO_ACTIONS = {"pay": "paid", "fail": "failed", "cancel": "cancelled"}


@require_POST
@requires_assurance(AssuranceLevel.NONE)
def start(request: HttpRequest, case_id: UUID) -> HttpResponse:
    citizen = citizen_of(request)
    case = case_of_citizen(citizen, case_id)
    try:
        return HttpResponseRedirect(start_payment(case, citizen=citizen))
    except ApplicationError as error:
        messages.error(request, error.message)
        return HttpResponseRedirect(reverse("submission:done", args=[case.public_id]))


@never_cache
@require_http_methods(["GET", "HEAD", "POST"])
@requires_assurance(AssuranceLevel.NONE)
def demo(request: HttpRequest, payment_id: UUID) -> HttpResponse:
    """The demo provider's payment page (stands in for ePayBL's): amount, purpose, three outcomes."""
    payment = own_payment(citizen_of(request), payment_id)
    provider = get_provider()
    if payment is None or not isinstance(provider, DemoProvider) or payment.provider != provider.name:
        raise Http404
    if payment.status not in OPEN_STATUSES:
        return HttpResponseRedirect(reverse("payments:result", args=[payment.public_id]))
    if request.method == "POST":
        outcome = DEMO_ACTIONS.get(request.POST.get("action", ""))
        if outcome is not None:
            return HttpResponseRedirect(provider.return_url(payment, outcome))
    return render(
        request,
        "payments/demo.html",
        {"payment": payment, "case": payment.case, "amount": format_amount(payment.amount)},
    )


@never_cache
@require_safe
def provider_return(request: HttpRequest, payment_id: UUID) -> HttpResponse:
    """The provider sends the citizen back here; the provider's signature is what is trusted."""
    payment = payment_by_id(payment_id)
    if payment is None:
        raise Http404
    try:
        complete_payment(payment, request.GET.dict())
    except PaymentVerificationError:
        return render(request, "payments/invalid_return.html", {"payment": payment}, status=400)
    return HttpResponseRedirect(reverse("payments:result", args=[payment.public_id]))


@never_cache
@require_safe
@requires_assurance(AssuranceLevel.NONE)
def result(request: HttpRequest, payment_id: UUID) -> HttpResponse:
    payment = own_payment(citizen_of(request), payment_id)
    if payment is None:
        raise Http404
    return render(
        request,
        "payments/result.html",
        {
            "payment": payment,
            "case": payment.case,
            "amount": format_amount(payment.amount),
            "paid": payment.status == PaymentStatus.PAID,
            "failed": payment.status == PaymentStatus.FAILED,
            "cancelled": payment.status == PaymentStatus.CANCELLED,
            "pending": payment.status in OPEN_STATUSES,
        },
    )
