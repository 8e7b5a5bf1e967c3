"""Citizen pages of the submission: submit a draft, the confirmation page, the receipt PDF.

The rules are in ``services.submission``; these views check who is asking (the citizen who owns the
draft or case, logged in with the service's level of assurance) and choose where to go next.
"""

from __future__ import annotations

from uuid import UUID

from django.contrib import messages
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST, require_safe

from buergerbuero.accounts.assurance import requires_assurance
from buergerbuero.accounts.constants import AssuranceLevel
from buergerbuero.catalog.fees import format_amount
from buergerbuero.core.i18n import active_language
from buergerbuero.payments.services import start_payment

from .. import formdef
from ..constants import PAYABLE_STATES, PaymentState
from ..receipts import receipt_filename, receipt_pdf
from ..selectors_citizen import case_of_citizen
from ..selectors_forms import draft_of_citizen
from ..services import ApplicationError
from ..services.submission import case_of_draft, submit_draft
from .access import citizen_of, step_up


@require_POST
@requires_assurance(AssuranceLevel.NONE)
def submit(request: HttpRequest, draft_id: UUID) -> HttpResponse:
    citizen = citizen_of(request)
    draft = draft_of_citizen(citizen, draft_id, include_submitted=True)
    refused = step_up(request, draft.form.service)
    if refused is not None:
        return refused
    if request.POST.get("consent") != "true" and case_of_draft(draft) is None:
        messages.error(
            request, _("Please confirm that your information is true and complete before you submit the application.")
        )
        return HttpResponseRedirect(reverse("application_forms:summary", args=[draft.public_id]))
    try:
        case = submit_draft(draft=draft, citizen=citizen)
    except ApplicationError as error:
        messages.error(request, error.message)
        return HttpResponseRedirect(reverse("application_forms:summary", args=[draft.public_id]))
    if case.payment_state == PaymentState.OPEN:
        try:
            return HttpResponseRedirect(start_payment(case, citizen=citizen))
        except ApplicationError as error:
            messages.error(request, error.message)
    return HttpResponseRedirect(reverse("submission:done", args=[case.public_id]))


@never_cache
@require_safe
@requires_assurance(AssuranceLevel.NONE)
def done(request: HttpRequest, case_id: UUID) -> HttpResponse:
    case = case_of_citizen(citizen_of(request), case_id)
    refused = step_up(request, case.service)
    if refused is not None:
        return refused
    return render(
        request,
        "applications/submission/done.html",
        {
            "case": case,
            "payment_open": case.payment_state in PAYABLE_STATES,
            "case_url": reverse("cases:detail", args=[case.public_id]),
            "fee_text": format_amount(case.fee_amount) if case.fee_amount else "",
            "title": formdef.parse_definition(case.form.definition).title(active_language()),
        },
    )


@never_cache
@require_safe
@requires_assurance(AssuranceLevel.NONE)
def receipt(request: HttpRequest, case_id: UUID) -> HttpResponse:
    case = case_of_citizen(citizen_of(request), case_id)
    refused = step_up(request, case.service)
    if refused is not None:
        return refused
    response = HttpResponse(receipt_pdf(case), content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="{receipt_filename(case)}"'
    response["Cache-Control"] = "private, no-store"
    return response
