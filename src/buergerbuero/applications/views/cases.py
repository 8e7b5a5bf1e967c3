"""The citizen's applications in "Mein Bürgerbüro" (``/antraege/meine/``, ``/antraege/vorgang/<id>/``).

* "Meine Anträge": drafts to continue and submitted cases with their status and unread messages;
* a case: the status with a step indicator, the timeline, the payment, the receipt and the decision
  (Bescheid) to download, and the mailbox with the answer form (text and files).

Any logged-in citizen sees their own cases (``selectors_citizen``; anybody else's is a 404); writing
in the mailbox needs the level of assurance of the case's service. Writes go through
``services.mailbox``.
"""

from __future__ import annotations

from typing import Any
from uuid import UUID

from django.conf import settings
from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import NoReverseMatch, reverse
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods

from buergerbuero.accounts.assurance import ACR_FOR_LEVEL, citizen_level, requires_assurance
from buergerbuero.accounts.constants import AssuranceLevel

from .. import selectors_citizen as selectors
from ..constants import PAYABLE_STATES, Decision, Direction
from ..models import Attachment, Case
from ..selectors_files import citizen_file_url
from ..services import ApplicationError, mailbox
from .access import citizen_of, service_level, step_up


def _reverse_or_empty(name: str, **kwargs: Any) -> str:
    """The address of a page another part provides, or "" while it is not mounted (no broken link)."""
    try:
        return reverse(name, kwargs=kwargs)
    except NoReverseMatch:
        return ""


def draft_url(row: selectors.DraftRow) -> str:
    """Where "Continue" takes the citizen: the step they stopped at."""
    draft_id = row.draft.public_id
    for kwargs in ({"draft_id": draft_id, "step": row.step_key}, {"draft_id": draft_id, "step_key": row.step_key}):
        if url := _reverse_or_empty("application_forms:step", **kwargs):
            return url
    return _reverse_or_empty("application_forms:draft", draft_id=draft_id)


def _file_url(attachment: Attachment) -> str:
    try:
        return citizen_file_url(attachment)
    except NoReverseMatch:  # the uploads part's download view is not mounted
        return ""


# -- Meine Anträge -----------------------------------------------------------------------------------


@never_cache
@requires_assurance(AssuranceLevel.NONE)
@require_GET
def my_cases(request: HttpRequest) -> HttpResponse:
    citizen = citizen_of(request)
    drafts = [{"row": row, "url": draft_url(row)} for row in selectors.drafts_of(citizen)]
    cases = list(selectors.cases_of(citizen))
    return render(
        request,
        "applications/cases/list.html",
        {
            "drafts": drafts,
            "cases": [{"case": case, "status": selectors.status_text(case)} for case in cases],
            "unread_total": sum(getattr(case, "unread", 0) for case in cases),
        },
    )


# -- one case ------------------------------------------------------------------------------------------


def _render_case(
    request: HttpRequest,
    case: Case,
    *,
    body: str = "",
    errors: dict[str, list[str]] | None = None,
    status: int = 200,
) -> HttpResponse:
    citizen = citizen_of(request)
    thread = selectors.messages_of(case)
    unread_ids = {m.pk for m in thread if m.direction == Direction.TO_CITIZEN and m.read_at is None}
    needed = service_level(case.service)
    current = citizen_level(request)
    can_answer = case.state in mailbox.ANSWER_STATES
    pay_url = ""
    if case.payment_state in PAYABLE_STATES and case.fee_amount:
        pay_url = _reverse_or_empty("payments:start", case_id=case.public_id)
    context = {
        "case": case,
        "status": selectors.status_text(case),
        "progress": selectors.progress(case.state),
        "timeline": selectors.timeline(case),
        "thread": [
            {
                "message": m,
                "from_citizen": m.direction == Direction.FROM_CITIZEN,
                "unread": m.pk in unread_ids,
                "files": [{"attachment": a, "url": _file_url(a)} for a in m.attachments.all()],
            }
            for m in thread
        ],
        "receipt_url": _reverse_or_empty("submission:receipt", case_id=case.public_id),
        "decision_url": reverse("cases:decision", kwargs={"case_id": case.public_id})
        if case.decision != Decision.NONE and case.decided_at is not None
        else "",
        "pay_url": pay_url,
        "can_answer": can_answer,
        "answer_level_ok": current >= needed,
        "needed_level": needed,
        "step_up_acr_values": ACR_FOR_LEVEL.get(needed, ""),
        "body": body,
        "errors": errors or {},
        "error_list": [(field, message) for field, items in (errors or {}).items() for message in items],
        "max_files": _max_files(),
    }
    response = render(request, "applications/cases/detail.html", context, status=status)
    if unread_ids:
        mailbox.mark_read(case=case, citizen=citizen)  # shown now, so read
    return response


def _max_files() -> int:
    return int(settings.ATTACHMENT_MAX_FILES)


@never_cache
@requires_assurance(AssuranceLevel.NONE)
@require_GET
def detail(request: HttpRequest, case_id: UUID) -> HttpResponse:
    return _render_case(request, selectors.case_of_citizen(citizen_of(request), case_id))


@never_cache
@requires_assurance(AssuranceLevel.NONE)
@require_http_methods(["GET", "POST"])
def answer(request: HttpRequest, case_id: UUID) -> HttpResponse:
    """POST: the citizen's answer in the mailbox (text and files). GET (e.g. back from a step-up
    login) leads to the case page."""
    citizen = citizen_of(request)
    case = selectors.case_of_citizen(citizen, case_id)
    case_url = reverse("cases:detail", kwargs={"case_id": case.public_id})
    if request.method == "GET":
        return HttpResponseRedirect(f"{case_url}#postfach")
    refused = step_up(request, case.service)
    if refused is not None:
        return refused
    body = request.POST.get("body", "")
    try:
        mailbox.answer(case=case, citizen=citizen, body=body, uploads=request.FILES.getlist("uploads"))
    except ApplicationError as error:
        field = error.field if error.field in ("body", "uploads") else "body"
        return _render_case(request, case, body=body, errors={field: [error.message]}, status=400)
    messages.success(request, _("Your answer has been sent to the office."))
    return HttpResponseRedirect(f"{case_url}#postfach")


@never_cache
@requires_assurance(AssuranceLevel.NONE)
@require_GET
def decision(request: HttpRequest, case_id: UUID) -> HttpResponse:
    """The decision (Bescheid) of the citizen's decided case as a PDF."""
    from ..decisions import decision_filename, decision_pdf  # WeasyPrint loads only when asked for

    case = selectors.case_of_citizen(citizen_of(request), case_id)
    if case.decision == Decision.NONE or case.decided_at is None:
        raise Http404("not decided")
    refused = step_up(request, case.service)  # the Bescheid holds the case's data, like the receipt
    if refused is not None:
        return refused
    response = HttpResponse(decision_pdf(case), content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="{decision_filename(case)}"'
    response["X-Content-Type-Options"] = "nosniff"
    return response
