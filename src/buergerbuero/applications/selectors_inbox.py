"""Reads of the back office: the municipality's inbox of cases and one case with everything on it.

The inbox page costs the same number of queries whatever the filter, sort or page: one aggregate
for the counts per state (the filter chips; the total is their sum, so there is no separate count),
and one for the rows with their service and assignee joined. With 100,000 cases in the Kreis the
indexes ``inbox_by_*`` on ``Case`` keep both under a few milliseconds (``make bench-inbox``).
"""

from __future__ import annotations

import datetime as dt
import math
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import Any

from django.db.models import Count, F, Q, QuerySet
from django.http import Http404
from django.utils import timezone

from buergerbuero.accounts.constants import Role, UserKind
from buergerbuero.accounts.models import User
from buergerbuero.tenants.models import Municipality

from .constants import OPEN_STATES, CaseState
from .models import Attachment, Case, CaseEvent, Handoff, InternalNote, MailboxMessage

__all__ = [
    "DEADLINES",
    "SORTS",
    "CaseRelated",
    "InboxFilters",
    "InboxPage",
    "assignable_staff",
    "case_detail",
    "case_related",
    "inbox_page",
    "is_overdue",
]

#: Sort keys of the inbox and the order each stands for (the last column makes the order total).
SORTS: dict[str, tuple[Any, ...]] = {
    "-submitted": ("-submitted_at", "-id"),
    "submitted": ("submitted_at", "id"),
    "due": (F("due_at").asc(nulls_last=True), "id"),
    "-due": (F("due_at").desc(nulls_last=True), "-id"),
    "state": ("state", "-submitted_at", "-id"),
    "-state": ("-state", "-submitted_at", "-id"),
    "file_number": ("file_number",),
    "-file_number": ("-file_number",),
}
#: The columns an inbox row is read with: what the inbox page and the API show, not the submitted data
#: (often kilobytes of JSON per case) nor the catalogue's texts. Reading another field of a row costs a query.
ROW_FIELDS = (
    "public_id",
    "municipality_id",
    "service_id",
    "assignee_id",
    "file_number",
    "applicant_name",
    "state",
    "submitted_at",
    "due_at",
    "service__slug",
    "service__name_de",
    "service__name_en",
    "assignee__username",
    "assignee__first_name",
    "assignee__last_name",
)
DEFAULT_SORT = "-submitted"
DEADLINES = ("overdue", "due_this_week")
MAX_PER_PAGE = 100


@dataclass(frozen=True)
class InboxFilters:
    """What the clerk asked the inbox for. Unknown values mean "no filter" (see :meth:`from_query`).

    ``state`` is a :class:`CaseState` value or ``"open"`` (received, in review, waiting);
    ``assignee`` is ``"me"``, ``"nobody"`` or a user id; ``deadline`` is ``"overdue"`` or
    ``"due_this_week"``; ``search`` matches the start of the file number or part of the applicant's name.
    """

    service: str = ""  # a service slug
    state: str = ""
    assignee: str = ""
    deadline: str = ""
    search: str = ""
    sort: str = DEFAULT_SORT

    @classmethod
    def from_query(cls, params: Mapping[str, str]) -> InboxFilters:
        """Filters from query parameters (``leistung``, ``status``, ``bearbeitung``, ``frist``, ``suche``,
        ``sortierung``), dropping values that name nothing."""
        state = params.get("status", "")
        assignee = params.get("bearbeitung", "")
        deadline = params.get("frist", "")
        sort = params.get("sortierung", "")
        return cls(
            service=params.get("leistung", "").strip()[:100],
            state=state if state == "open" or state in CaseState.values else "",
            assignee=assignee if assignee in ("me", "nobody") or assignee.isdigit() else "",
            deadline=deadline if deadline in DEADLINES else "",
            search=params.get("suche", "").strip()[:100],
            sort=sort if sort in SORTS else DEFAULT_SORT,
        )

    def as_query(self, **changes: str) -> dict[str, str]:
        """The query parameters for these filters with ``changes`` applied (for links); empty ones left out."""
        values = replace(self, **changes)
        query = {
            "leistung": values.service,
            "status": values.state,
            "bearbeitung": values.assignee,
            "frist": values.deadline,
            "suche": values.search,
            "sortierung": "" if values.sort == DEFAULT_SORT else values.sort,
        }
        return {key: value for key, value in query.items() if value}


@dataclass(frozen=True)
class InboxPage:
    """One page of the inbox. ``rows`` have ``service`` and ``assignee`` loaded, with the fields of ``ROW_FIELDS``."""

    rows: list[Case]
    number: int
    per_page: int
    total: int
    state_counts: dict[str, int]  # per CaseState value, under every filter but the state
    now: dt.datetime
    filters: InboxFilters = field(default_factory=InboxFilters)

    @property
    def pages(self) -> int:
        return max(1, math.ceil(self.total / self.per_page))

    @property
    def open_count(self) -> int:
        return sum(self.state_counts.get(state, 0) for state in OPEN_STATES)

    @property
    def all_count(self) -> int:
        return sum(self.state_counts.values())

    @property
    def has_previous(self) -> bool:
        return self.number > 1

    @property
    def has_next(self) -> bool:
        return self.number < self.pages


def is_overdue(case: Case, now: dt.datetime) -> bool:
    """Whether the case is still open past its deadline."""
    return case.due_at is not None and case.due_at < now and case.state in OPEN_STATES


def _end_of_week(now: dt.datetime) -> dt.datetime:
    """Monday 00:00 after ``now``'s week, local time (a week ends on Sunday night)."""
    today = timezone.localtime(now).date()
    monday = today + dt.timedelta(days=7 - today.weekday())
    return dt.datetime.combine(monday, dt.time(0), timezone.get_current_timezone())


def _filtered(
    municipality: Municipality, filters: InboxFilters, viewer: User | None, now: dt.datetime
) -> QuerySet[Case]:
    """The municipality's cases under every filter except the state."""
    cases = Case.objects.filter(municipality=municipality)
    if filters.service:
        cases = cases.filter(service__slug=filters.service)
    if filters.assignee == "me":
        cases = cases.filter(assignee=viewer) if viewer is not None else cases.none()
    elif filters.assignee == "nobody":
        cases = cases.filter(assignee__isnull=True)
    elif filters.assignee.isdigit():
        cases = cases.filter(assignee_id=int(filters.assignee))
    if filters.deadline == "overdue":
        cases = cases.filter(due_at__lt=now, state__in=OPEN_STATES)
    elif filters.deadline == "due_this_week":
        cases = cases.filter(due_at__gte=now, due_at__lt=_end_of_week(now), state__in=OPEN_STATES)
    if filters.search:
        cases = cases.filter(Q(file_number__istartswith=filters.search) | Q(applicant_name__icontains=filters.search))
    return cases


def _states(filters: InboxFilters) -> tuple[str, ...] | None:
    if filters.state == "open":
        return tuple(OPEN_STATES)
    if filters.state:
        return (filters.state,)
    return None


def inbox_page(
    *,
    municipality: Municipality,
    filters: InboxFilters,
    page: int = 1,
    per_page: int = 25,
    viewer: User | None = None,
    now: dt.datetime | None = None,
) -> InboxPage:
    """Page ``page`` (from 1; clamped to the last page) of ``municipality``'s cases under ``filters``.

    Two queries, whatever the filters and the page: the counts per state, then the rows.
    ``viewer`` is who "me" is in ``filters.assignee``.
    """
    now = now or timezone.now()
    per_page = max(1, min(per_page, MAX_PER_PAGE))
    base = _filtered(municipality, filters, viewer, now)
    # COUNT(*), not COUNT(id): PostgreSQL answers it from an index alone (inbox_by_*), without the table.
    counts = {row["state"]: row["n"] for row in base.order_by().values("state").annotate(n=Count("*")).order_by()}
    states = _states(filters)
    total = sum(n for state, n in counts.items() if states is None or state in states)
    pages = max(1, math.ceil(total / per_page))
    number = max(1, min(page, pages))
    # Asked even when the counts say there is nothing, so every page costs the same (pinned in tests).
    selected = base if states is None else base.filter(state__in=states)
    offset = (number - 1) * per_page
    rows = list(
        selected.select_related("service", "assignee")
        .only(*ROW_FIELDS)
        .order_by(*SORTS[filters.sort])[offset : offset + per_page]
    )
    return InboxPage(
        rows=rows, number=number, per_page=per_page, total=total, state_counts=counts, now=now, filters=filters
    )


def case_detail(*, municipality: Municipality, public_id: uuid.UUID | str) -> Case:
    """The municipality's case ``public_id`` with service, form, assignee and citizen; 404 for any other."""
    case = (
        Case.objects.filter(municipality=municipality, public_id=public_id)
        .select_related("municipality", "municipality__district", "service", "form", "assignee", "citizen")
        .first()
    )
    if case is None:
        raise Http404
    return case


@dataclass(frozen=True)
class CaseRelated:
    """What hangs off a case, for the staff case page (notes are staff-only by nature)."""

    events: list[CaseEvent]
    notes: list[InternalNote]
    messages: list[MailboxMessage]
    attachments: list[Attachment]
    handoffs: list[Handoff]


def case_related(case: Case) -> CaseRelated:
    """The case's timeline, notes, mailbox thread (with their attachments), attachments and hand-offs."""
    return CaseRelated(
        events=list(CaseEvent.objects.filter(case=case).select_related("actor").order_by("created_at", "id")),
        notes=list(InternalNote.objects.filter(case=case).select_related("author").order_by("created_at", "id")),
        messages=list(
            MailboxMessage.objects.filter(case=case)
            .select_related("author")
            .prefetch_related("attachments")
            .order_by("created_at", "id")
        ),
        attachments=list(Attachment.objects.filter(case=case).order_by("uploaded_at", "id")),
        handoffs=list(Handoff.objects.filter(case=case).order_by("created_at", "id")),
    )


def assignable_staff(municipality: Municipality) -> list[User]:
    """Active staff who may work on the municipality's cases: its clerks, team leads and admins, and
    the Kreis admins of its district."""
    return list(
        User.objects.filter(is_active=True)
        .filter(
            Q(staff_roles__municipality=municipality)
            | Q(staff_roles__role=Role.DISTRICT_ADMIN, staff_roles__district_id=municipality.district_id)
        )
        .exclude(kind=UserKind.CITIZEN)
        .distinct()
        .order_by("last_name", "first_name", "username")
    )
