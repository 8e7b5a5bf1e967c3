"""The back office's cases under ``/backoffice/<municipality>/antraege/``.

* the inbox: filters (GET), chips with the count per state, sortable columns, pages;
* a case: the submitted data, attachments, payment, timeline, notes, the mailbox thread, and the
  steps of the workflow that are possible in its state; downloads (receipt, Bescheid, exports).

Every view is guarded by ``staff_view``: staff of another municipality get a 404. Writes go through
``services.workflow``; each form on the case page posts the case's ``updated_at`` as ``version``, so
a step on a case that changed meanwhile is refused with a message (409) instead of overwriting.
"""

from __future__ import annotations

import datetime as dt
import importlib
import uuid
from collections.abc import Callable
from typing import Any
from urllib.parse import urlencode

from django import forms
from django.contrib import messages
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import NoReverseMatch, reverse
from django.utils import dateformat, timezone
from django.utils.formats import get_format
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods

from buergerbuero.accounts.constants import Role
from buergerbuero.accounts.permissions import StaffRequest, roles_allow, staff_view
from buergerbuero.accounts.selectors import staff_roles_in
from buergerbuero.catalog.models import Service
from buergerbuero.core.i18n import active_language
from buergerbuero.tenants.models import Municipality

from .. import formdef
from ..constants import TRANSITIONS, CaseEventKind, CaseState, Decision
from ..decisions import decision_filename, decision_pdf
from ..forms_inbox import AssignForm, DeadlineForm, DecideForm, InboxFilterForm, NoteForm, QuestionForm, staff_name
from ..models import Case
from ..selectors_inbox import (
    InboxFilters,
    InboxPage,
    assignable_staff,
    case_detail,
    case_related,
    inbox_page,
    is_overdue,
)
from ..services import ApplicationError, workflow

#: Who works on cases (a Kreis admin always may).
STAFF_ROLES = (Role.CLERK, Role.TEAM_LEAD, Role.MUNICIPALITY_ADMIN)
PER_PAGE = 25

#: Sortable columns of the inbox, by sort key.
COLUMNS = ("file_number", "submitted", "state", "due")

#: Which form field a service's ``ApplicationError.field`` belongs to, per action.
ERROR_FIELDS = {"body": "body", "reasons": "reasons", "text": "text", "assignee": "assignee", "due_at": "due_date"}


def _context(request: StaffRequest, municipality: Municipality, **extra: Any) -> dict[str, Any]:
    held = getattr(request, "staff_roles", None)  # what staff_view found; asked again only outside it
    if held is None:
        held = staff_roles_in(request.user, municipality)
    return {"municipality": municipality, "can_administer": roles_allow(held, (Role.MUNICIPALITY_ADMIN,)), **extra}


def case_url(case: Case) -> str:
    return reverse("inbox:case", kwargs={"municipality_slug": case.municipality.slug, "case_id": case.public_id})


# -- the inbox ------------------------------------------------------------------------------------------


def _column_title(key: str) -> str:
    return {
        "file_number": _("File number"),
        "submitted": _("Received"),
        "state": _("Status"),
        "due": _("Deadline"),
    }[key]


def _link(filters: InboxFilters, **changes: str) -> str:
    return "?" + urlencode(filters.as_query(**changes))


def _columns(filters: InboxFilters) -> list[dict[str, str]]:
    """Column headers: the link sorts by the column (again: the other way) and ``aria-sort`` says how."""
    columns = []
    for key in COLUMNS:
        if filters.sort == key:
            aria, target = "ascending", f"-{key}"
        elif filters.sort == f"-{key}":
            aria, target = "descending", key
        else:
            aria, target = "", ("-" + key if key == "submitted" else key)
        columns.append({"key": key, "title": _column_title(key), "aria_sort": aria, "url": _link(filters, sort=target)})
    return columns


def _chips(page: InboxPage) -> list[dict[str, Any]]:
    filters = page.filters
    values = [
        ("open", _("Open"), page.open_count),
        *((value, str(label), page.state_counts.get(value, 0)) for value, label in CaseState.choices),
        ("", _("All"), page.all_count),
    ]
    return [
        {"label": label, "count": count, "current": filters.state == value, "url": _link(filters, state=value)}
        for value, label, count in values
    ]


def _rows(page: InboxPage, municipality: Municipality) -> list[dict[str, Any]]:
    """The table's cells as display strings, worked out once per page rather than per cell in the template:
    the case URL from one reversed prefix, state labels from one dict, dates formatted with the
    language's format looked up once, names of services and assignees once each."""
    sentinel = uuid.UUID(int=0)
    prefix = reverse("inbox:case", kwargs={"municipality_slug": municipality.slug, "case_id": sentinel})
    before, after = prefix.split(str(sentinel))
    states = {value: str(label) for value, label in CaseState.choices}
    datetime_format = get_format("SHORT_DATETIME_FORMAT")
    date_format = get_format("SHORT_DATE_FORMAT")
    services: dict[int, str] = {}
    assignees: dict[int, str] = {}
    rows = []
    for case in page.rows:
        if case.service_id not in services:
            services[case.service_id] = case.service.name
        if case.assignee is not None and case.assignee.pk not in assignees:
            assignees[case.assignee.pk] = staff_name(case.assignee)
        due = timezone.localtime(case.due_at) if case.due_at else None
        rows.append(
            {
                "url": f"{before}{case.public_id}{after}",
                "file_number": case.file_number,
                "service": services[case.service_id],
                "applicant": case.applicant_name,
                "submitted": dateformat.format(timezone.localtime(case.submitted_at), datetime_format),
                "state": states.get(case.state, case.state),
                "due": dateformat.format(due, date_format) if due else "",
                "overdue": is_overdue(case, page.now),
                "assignee": assignees[case.assignee.pk] if case.assignee is not None else "",
            }
        )
    return rows


@never_cache
@staff_view(roles=STAFF_ROLES)
@require_http_methods(["GET"])
def inbox(request: StaffRequest, municipality: Municipality) -> HttpResponse:
    filters = InboxFilters.from_query(request.GET)
    try:
        number = int(request.GET.get("seite", "1"))
    except ValueError:
        number = 1
    staff = assignable_staff(municipality)
    services = list(  # only what the filter's options show, not the catalogue's texts
        Service.objects.filter(online_application=True).only("slug", "name_de", "name_en").order_by("name_de")
    )
    filter_form = InboxFilterForm(request.GET or None, services=services, staff=staff)
    if filter_form.is_bound:
        filter_form.is_valid()  # shows what names nothing; the filters above already ignore it
    page = inbox_page(municipality=municipality, filters=filters, page=number, per_page=PER_PAGE, viewer=request.user)
    context = _context(
        request,
        municipality,
        page=page,
        rows=_rows(page, municipality),
        filter_form=filter_form,
        chips=_chips(page),
        columns=_columns(page.filters),
        query_string=urlencode(filters.as_query()),
        previous_url=_link(filters) + f"&seite={page.number - 1}" if page.has_previous else "",
        next_url=_link(filters) + f"&seite={page.number + 1}" if page.has_next else "",
        filtered=bool(filters.as_query(sort="-submitted")),
    )
    return render(request, "applications/backoffice/inbox.html", context)


# -- one case --------------------------------------------------------------------------------------------


def _version(value: str | None) -> dt.datetime | None:
    """The ``updated_at`` the page was rendered with (``None``: not sent, no check)."""
    if not value:
        return None
    try:
        return dt.datetime.fromisoformat(value)
    except ValueError:
        return dt.datetime.min.replace(tzinfo=dt.UTC)  # garbled: treat as stale


def _forms(case: Case, staff: list[Any], data: Any = None, action: str = "") -> dict[str, forms.Form]:
    """The case page's forms; the one of ``action`` bound to ``data``."""

    def bound(name: str) -> Any:
        return data if name == action else None

    due = timezone.localtime(case.due_at).date() if case.due_at else None
    return {
        "ask": QuestionForm(bound("ask"), prefix="ask"),
        "decide": DecideForm(bound("decide"), prefix="decide"),
        "assign": AssignForm(
            bound("assign"), staff=staff, prefix="assign", initial={"assignee": str(case.assignee_id or "")}
        ),
        "deadline": DeadlineForm(bound("deadline"), prefix="deadline", initial={"due_date": due}),
        "note": NoteForm(bound("note"), prefix="note"),
    }


def _perform(
    action: str, request: StaffRequest, case: Case, form: forms.Form | None, staff: list[Any], version: Any
) -> str | None:
    """Run ``action``; the success message, or ``None`` if its form is invalid."""
    actor = request.user
    simple: dict[str, Callable[..., Any]] = {"start_review": workflow.start_review, "close": workflow.close_case}
    if action in simple:
        simple[action](case=case, actor=actor, expected_updated_at=version)
        return _("The review has started.") if action == "start_review" else _("The case is closed.")
    if action == "assign_me":
        workflow.assign(case=case, actor=actor, assignee=actor, expected_updated_at=version)
        return _("The case is now assigned to you.")
    if form is None or not form.is_valid():
        return None
    data = form.cleaned_data
    if action == "ask":
        workflow.ask_citizen(case=case, actor=actor, body=data["body"], expected_updated_at=version)
        return _("Your question was sent to the applicant.")
    if action == "decide":
        approved = data["decision"] == "approved"
        workflow.decide(case=case, actor=actor, approved=approved, reasons=data["reasons"], expected_updated_at=version)
        return _("The application is approved.") if approved else _("The application is rejected.")
    if action == "assign":
        chosen = next((user for user in staff if str(user.pk) == data["assignee"]), None)
        workflow.assign(case=case, actor=actor, assignee=chosen, expected_updated_at=version)
        return (
            _("The case is assigned to %(name)s.") % {"name": staff_name(chosen)}
            if chosen
            else _("Nobody is assigned now.")
        )
    if action == "deadline":
        due_at = form.due_at() if isinstance(form, DeadlineForm) else None
        workflow.set_deadline(case=case, actor=actor, due_at=due_at, expected_updated_at=version)
        return _("The deadline is saved.")
    if action == "note":
        workflow.add_note(case=case, actor=actor, text=data["text"])
        return _("The note is saved.")
    raise Http404


def _optional(module: str, name: str) -> Any:
    """``module.name`` if another part of the app provides it already, else ``None``."""
    try:
        return getattr(importlib.import_module(module), name, None)
    except ImportError:
        return None


def _export_links(case: Case) -> list[dict[str, str]]:
    links = []
    for name, title in (("exports:xgewerbeanzeige", "XGewerbeanzeige (XML)"), ("exports:fitconnect", "FIT-Connect")):
        try:
            url = reverse(name, kwargs={"municipality_slug": case.municipality.slug, "case_id": case.public_id})
        except NoReverseMatch:
            continue
        links.append({"url": url, "title": title})
    return links


def _timeline(case: Case, events: list[Any]) -> list[dict[str, Any]]:
    rows = []
    for event in events:
        text = event.get_kind_display()
        if event.kind == CaseEventKind.STATE and event.data.get("state") in CaseState.values:
            text = _("Status: %(state)s") % {"state": CaseState(event.data["state"]).label}
        elif event.kind == CaseEventKind.DECIDED and event.data.get("decision") in Decision.values:
            text = _("Decision: %(decision)s") % {"decision": Decision(event.data["decision"]).label}
        rows.append({"event": event, "text": text})
    return rows


@never_cache
@staff_view(roles=STAFF_ROLES)
@require_http_methods(["GET", "POST"])
def case_page(request: StaffRequest, municipality: Municipality, case_id: uuid.UUID) -> HttpResponse:
    case = case_detail(municipality=municipality, public_id=case_id)
    staff = assignable_staff(municipality)
    action = request.POST.get("action", "") if request.method == "POST" else ""
    page_forms = _forms(case, staff, request.POST if action else None, action)
    status = 200
    error_form: forms.Form | None = None
    if action:
        form = page_forms.get(action)
        try:
            done = _perform(action, request, case, form, staff, _version(request.POST.get("version")))
        except ApplicationError as error:
            if error.code == "stale":
                messages.error(request, error.message)
                status = 409
                case = case_detail(municipality=municipality, public_id=case_id)
            elif form is not None and error.field in ERROR_FIELDS and ERROR_FIELDS[error.field] in form.fields:
                form.add_error(ERROR_FIELDS[error.field], error.message)
                form._describe(set(form.errors))  # type: ignore[attr-defined]
                error_form, status = form, 400
            else:
                messages.error(request, error.message)
                status = 400
        else:
            if done is not None:
                messages.success(request, done)
                return redirect(case_url(case))
            error_form, status = form, 400
    related = case_related(case)
    language = active_language()
    spec = formdef.parse_definition(case.form.definition)
    file_names = {str(a.public_id): a.original_name for a in related.attachments}
    staff_file_url = _optional("buergerbuero.applications.services.attachments", "staff_file_url")
    allowed = TRANSITIONS[case.state]
    context = _context(
        request,
        municipality,
        case=case,
        version=case.updated_at.isoformat(),
        overdue=is_overdue(case, timezone.now()),
        summary=formdef.summary(spec, case.data, language, file_names),
        attachments=[
            {"attachment": a, "url": staff_file_url(a, municipality) if staff_file_url else ""}
            for a in related.attachments
        ],
        timeline=_timeline(case, related.events),
        notes=related.notes,
        mailbox=related.messages,
        handoffs=related.handoffs,
        forms=page_forms,
        error_form=error_form,
        can_start_review=CaseState.IN_REVIEW in allowed,
        can_ask=CaseState.WAITING in allowed or case.state == CaseState.WAITING,
        can_decide=CaseState.DECIDED in allowed,
        can_close=CaseState.CLOSED in allowed,
        is_open=case.state not in (CaseState.DECIDED, CaseState.CLOSED),
        can_assign=case.state != CaseState.CLOSED,
        assigned_to_me=case.assignee_id == request.user.pk,
        export_links=_export_links(case),
    )
    return render(request, "applications/backoffice/case.html", context, status=status)


# -- downloads ---------------------------------------------------------------------------------------------


def _pdf(content: bytes, filename: str) -> HttpResponse:
    response = HttpResponse(content, content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    response["X-Content-Type-Options"] = "nosniff"
    return response


@never_cache
@staff_view(roles=STAFF_ROLES)
@require_http_methods(["GET"])
def decision_download(request: StaffRequest, municipality: Municipality, case_id: uuid.UUID) -> HttpResponse:
    case = case_detail(municipality=municipality, public_id=case_id)
    if case.decision == Decision.NONE:
        raise Http404
    return _pdf(decision_pdf(case), decision_filename(case))


@never_cache
@staff_view(roles=STAFF_ROLES)
@require_http_methods(["GET"])
def receipt_download(request: StaffRequest, municipality: Municipality, case_id: uuid.UUID) -> HttpResponse:
    from ..receipts import receipt_pdf  # helper SUBMIT's receipt, as the citizen got it

    case = case_detail(municipality=municipality, public_id=case_id)
    number = case.file_number.replace("/", "-")
    return _pdf(receipt_pdf(case), f"Eingangsbestaetigung-{number}.pdf")
