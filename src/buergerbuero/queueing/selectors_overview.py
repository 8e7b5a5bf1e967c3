"""The Kreis-wide overview of the live queue: every office's status, people waiting, open counters
and the walk-in wait per line with the services it covers — computed once for every visitor and kept
for ``OVERVIEW_SECONDS`` (the public overview page and ``/api/queue/offices`` read it).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.core.cache import cache
from django.utils import timezone

from buergerbuero.appointments.models import ServiceGroup
from buergerbuero.core.tenancy import scopes_disabled
from buergerbuero.tenants.models import Office

from .constants import QueueStatus
from .selectors import office_live_state, opening_days

__all__ = [
    "LineRow",
    "OfficeRow",
    "Overview",
    "build_overview",
    "kreis_overview",
    "next_opening",
    "occupancy",
    "queue_offices",
]


def occupancy(offices: Iterable[Office], now: datetime | None = None) -> list[dict[str, Any]]:
    """The Kreis-wide overview: per office the status, people waiting, open counters and walk-in waits."""
    now = now or timezone.now()
    rows = []
    for office in offices:
        state = office_live_state(office.pk, now)
        rows.append(
            {key: state[key] for key in ("office", "status", "stop_reason", "waiting", "open_counters", "lines")}
        )
    return rows


OVERVIEW_SECONDS = 10
LOOKAHEAD_DAYS = 14
_OVERVIEW_KEY = "queueing:overview:v1"


@dataclass(frozen=True)
class LineRow:
    key: str
    name: str
    prefix: str
    waiting: int
    stopped: bool
    estimate: int | None
    low: int | None
    high: int | None
    services: tuple[str, ...]  #: slugs of the services the line covers


@dataclass(frozen=True)
class OfficeRow:
    id: int
    public_id: str
    name: str
    slug: str
    municipality: str
    municipality_slug: str
    status: str
    stop_reason: str
    next_opening: datetime | None  #: when a closed office opens next (within two weeks)
    waiting: int
    open_counters: int
    lines: tuple[LineRow, ...]

    def lines_for(self, service: str) -> list[LineRow]:
        return [line for line in self.lines if service in line.services]

    def quietest(self, service: str | None = None) -> int | None:
        """The shortest walk-in estimate over the open lines (covering ``service`` if given)."""
        lines = self.lines_for(service) if service else self.lines
        waits = [line.estimate for line in lines if line.estimate is not None and not line.stopped]
        return min(waits) if waits else None


@dataclass(frozen=True)
class Overview:
    updated_at: datetime
    offices: tuple[OfficeRow, ...]


def queue_offices() -> list[Office]:
    """Every office of the Kreis with at least one line whose live queue is not switched off."""
    with scopes_disabled():
        return list(
            Office.objects.filter(service_groups__isnull=False)
            .exclude(queue_settings__is_active=False)
            .select_related("municipality")
            .distinct()
            .order_by("municipality__name", "name")
        )


def kreis_overview() -> Overview:
    """The overview as computed at most ``OVERVIEW_SECONDS`` ago (one computation for every visitor);
    what the public overview page and the API (``queueing.api``) show."""
    overview: Overview | None = cache.get(_OVERVIEW_KEY)
    if overview is None:
        overview = build_overview(timezone.now())
        cache.set(_OVERVIEW_KEY, overview, OVERVIEW_SECONDS)
    return overview


def build_overview(now: datetime) -> Overview:
    """Every queue office's status, people waiting, open counters and walk-in wait per line (with the
    services each line covers, and when a closed office opens next), computed now."""
    offices = queue_offices()
    by_id = {office.pk: office for office in offices}
    with scopes_disabled():
        covered: dict[tuple[int, str], tuple[str, ...]] = {}
        for group in ServiceGroup.objects.filter(office__in=offices).prefetch_related("services"):
            covered[(group.office_id, group.key)] = tuple(sorted(s.slug for s in group.services.all()))
    rows = []
    for state in occupancy(offices, now):
        office = by_id[state["office"]["id"]]
        closed = state["status"] == QueueStatus.CLOSED
        rows.append(
            OfficeRow(
                id=office.pk,
                public_id=str(office.public_id),
                name=office.name,
                slug=office.slug,
                municipality=office.municipality.name,
                municipality_slug=office.municipality.slug,
                status=state["status"],
                stop_reason=state["stop_reason"],
                next_opening=next_opening(office, now) if closed else None,
                waiting=state["waiting"],
                open_counters=state["open_counters"],
                lines=tuple(
                    LineRow(
                        key=line["key"],
                        name=line["name"],
                        prefix=line["prefix"],
                        waiting=line["waiting"],
                        stopped=line["stopped"],
                        estimate=line["walk_in"]["estimate"],
                        low=line["walk_in"]["low"],
                        high=line["walk_in"]["high"],
                        services=covered.get((office.pk, line["key"]), ()),
                    )
                    for line in state["lines"]
                ),
            )
        )
    return Overview(updated_at=now, offices=tuple(rows))


def next_opening(office: Office, now: datetime) -> datetime | None:
    """The next start of an opening interval after ``now`` within ``LOOKAHEAD_DAYS`` (holidays and
    closing days skipped)."""
    today = timezone.localdate(now)
    days = opening_days(office, today, today + timedelta(days=LOOKAHEAD_DAYS))
    return next((start for day in sorted(days) for start, _end in days[day] if start > now), None)
