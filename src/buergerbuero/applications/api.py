"""Staff API of the inbox under ``/api/backoffice/{municipality_slug}/cases``.

The same reads as the back-office pages (``selectors_inbox``), as JSON: the inbox with its filters,
sort and pages, and one case. Authentication is the back-office session: a signed-in, active staff
member who has passed the second factor (otherwise 401). A municipality they hold no role in, or a
case of another municipality, is a 404, as on the pages. ``/api/backoffice/`` is a staff path, so
the tenant scope of the request is the staff member's municipalities (``TenantScopeMiddleware``).
"""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any, Literal

from django.http import Http404, HttpRequest
from django.urls import reverse
from django.utils import timezone
from ninja import Field, Query, Router, Schema
from ninja.security import SessionAuth

from buergerbuero.accounts.constants import Role
from buergerbuero.accounts.permissions import SecondFactorStep, roles_allow, second_factor_step
from buergerbuero.accounts.selectors import staff_roles_in
from buergerbuero.core.tenancy import current_scope
from buergerbuero.tenants.models import Municipality
from buergerbuero.tenants.selectors import municipality_by_slug

from .constants import CaseState
from .models import Case
from .selectors_inbox import SORTS, InboxFilters, case_detail, case_related, inbox_page, is_overdue

__all__ = ["router"]

STAFF_ROLES = (Role.CLERK, Role.TEAM_LEAD, Role.MUNICIPALITY_ADMIN)


class StaffSessionAuth(SessionAuth):
    """The back-office session of a staff member who has passed the second factor."""

    def authenticate(self, request: HttpRequest, key: str | None) -> Any:
        user = super().authenticate(request, key)
        if user is None or not user.is_active or getattr(user, "is_citizen", True):
            return None
        if second_factor_step(user) is not SecondFactorStep.NONE:
            return None
        return user


router = Router(tags=["back office: cases"], auth=StaffSessionAuth())


def _municipality(request: HttpRequest, slug: str) -> Municipality:
    """The municipality if the staff member works there; 404 otherwise (like ``staff_view``)."""
    scope = current_scope()
    municipality = municipality_by_slug(slug)
    if scope is None or not scope.allows(municipality.pk):
        raise Http404
    if not roles_allow(staff_roles_in(request.user, municipality), STAFF_ROLES):
        raise Http404
    return municipality


class CaseItemOut(Schema):
    id: uuid.UUID = Field(description="The case's public ID")
    file_number: str = Field(description="Aktenzeichen, e.g. 32.11/2026/000123")
    service: str = Field(description="Slug of the service")
    service_name: str
    applicant_name: str
    state: str = Field(description="received, in_review, waiting, decided or closed")
    state_label: str
    assignee_id: int | None
    assignee: str | None = Field(description="Name of the assigned staff member")
    submitted_at: dt.datetime
    due_at: dt.datetime | None
    overdue: bool = Field(description="Open and past its deadline")
    url: str = Field(description="The case page in the back office")


class InboxOut(Schema):
    items: list[CaseItemOut]
    page: int
    pages: int
    per_page: int
    total: int = Field(description="Cases under all filters")
    counts: dict[str, int] = Field(description="Cases per state under every filter except the state")


class EventOut(Schema):
    kind: str
    created_at: dt.datetime
    visible_to_citizen: bool
    data: dict[str, Any]


class HandoffOut(Schema):
    kind: str
    recipient: str
    recipient_name: str
    state: str


class CaseOut(CaseItemOut):
    applicant_email: str
    language: str
    data: dict[str, Any] = Field(description="The submitted data")
    data_sha512: str
    decision: str
    decision_text: str
    legal_basis: str
    decided_at: dt.datetime | None
    closed_at: dt.datetime | None
    fee_amount: str = Field(description="EUR, as a decimal string")
    payment_state: str
    events: list[EventOut]
    handoffs: list[HandoffOut]


class InboxQuery(Schema):
    service: str = Field("", description="Slug of a service")
    state: str = Field("", description="A state, or 'open' for received, in review and waiting")
    assignee: str = Field("", description="'me', 'nobody' or a user id")
    deadline: Literal["", "overdue", "due_this_week"] = ""
    search: str = Field("", description="Start of a file number, or part of the applicant's name")
    sort: str = Field("-submitted", description="One of " + ", ".join(SORTS))
    page: int = Field(1, ge=1)
    per_page: int = Field(25, ge=1, le=100)


def _case_url_parts(municipality: Municipality) -> tuple[str, str]:
    """The case page's URL around its id, reversed once per page instead of once per row."""
    sentinel = uuid.UUID(int=0)
    url = reverse("inbox:case", kwargs={"municipality_slug": municipality.slug, "case_id": sentinel})
    before, after = url.split(str(sentinel))
    return before, after


def _item(case: Case, now: dt.datetime, url: tuple[str, str]) -> dict[str, Any]:
    assignee = case.assignee
    return {
        "id": case.public_id,
        "file_number": case.file_number,
        "service": case.service.slug,
        "service_name": case.service.name,
        "applicant_name": case.applicant_name,
        "state": case.state,
        "state_label": str(CaseState(case.state).label),
        "assignee_id": case.assignee_id,
        "assignee": (assignee.get_full_name() or assignee.get_username()) if assignee is not None else None,
        "submitted_at": case.submitted_at,
        "due_at": case.due_at,
        "overdue": is_overdue(case, now),
        "url": f"{url[0]}{case.public_id}{url[1]}",
    }


@router.get("/backoffice/{municipality_slug}/cases", response=InboxOut, summary="The municipality's inbox")
def list_cases(request: HttpRequest, municipality_slug: str, query: Query[InboxQuery]) -> dict[str, Any]:
    """One page of the municipality's cases under the filters, as on the inbox page."""
    municipality = _municipality(request, municipality_slug)
    filters = InboxFilters.from_query(
        {
            "leistung": query.service,
            "status": query.state,
            "bearbeitung": query.assignee,
            "frist": query.deadline,
            "suche": query.search,
            "sortierung": query.sort,
        }
    )
    page = inbox_page(
        municipality=municipality,
        filters=filters,
        page=query.page,
        per_page=query.per_page,
        viewer=request.user,  # type: ignore[arg-type]
    )
    url = _case_url_parts(municipality)
    return {
        "items": [_item(case, page.now, url) for case in page.rows],
        "page": page.number,
        "pages": page.pages,
        "per_page": page.per_page,
        "total": page.total,
        "counts": {state: page.state_counts.get(state, 0) for state in CaseState.values},
    }


@router.get("/backoffice/{municipality_slug}/cases/{case_id}", response=CaseOut, summary="One case")
def get_case(request: HttpRequest, municipality_slug: str, case_id: uuid.UUID) -> dict[str, Any]:
    """The case with its submitted data, decision, payment, timeline and hand-offs (notes are left out)."""
    municipality = _municipality(request, municipality_slug)
    case = case_detail(municipality=municipality, public_id=case_id)
    related = case_related(case)
    return {
        **_item(case, timezone.now(), _case_url_parts(municipality)),
        "applicant_email": case.applicant_email,
        "language": case.language,
        "data": case.data,
        "data_sha512": case.data_sha512,
        "decision": case.decision,
        "decision_text": case.decision_text,
        "legal_basis": case.legal_basis,
        "decided_at": case.decided_at,
        "closed_at": case.closed_at,
        "fee_amount": f"{case.fee_amount:.2f}",
        "payment_state": case.payment_state,
        "events": [
            {"kind": e.kind, "created_at": e.created_at, "visible_to_citizen": e.visible_to_citizen, "data": e.data}
            for e in related.events
        ],
        "handoffs": [
            {"kind": h.kind, "recipient": h.recipient, "recipient_name": h.recipient_name, "state": h.state}
            for h in related.handoffs
        ],
    }
