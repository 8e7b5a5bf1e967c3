"""The public pages of the live queue: how busy every office of the Kreis is, and one office live.

``/warteschlange/`` lists every office that runs a live queue, in every municipality (public data;
the middleware runs public pages unscoped): status, people waiting, open counters and the predicted
wait of a walk-in per line, with the services each line covers. With a service chosen
(``?leistung=<slug>``) it shows that service's wait at every office that offers it, quietest first.
The overview (``selectors_overview.kreis_overview``, also what the API answers) is computed once for everyone
every ``OVERVIEW_SECONDS`` (django cache); a static script re-fetches the list part
(``?teil=liste``) every 30 seconds.

``/warteschlange/<municipality>/<office>/`` is one office live: the same figures plus the last calls,
the counters and today's opening hours, kept current by the office's SSE stream (static script).
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from django.db.models import Q
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import NoReverseMatch, reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from buergerbuero.analytics.selectors_besttime import best_time
from buergerbuero.appointments.models import ServiceGroup
from buergerbuero.catalog.models import Service
from buergerbuero.core.tenancy import scopes_disabled
from buergerbuero.tenants.models import Office

from .. import selectors, selectors_overview
from ..constants import QueueStatus, RemoteTickets
from ..selectors_overview import OVERVIEW_SECONDS, OfficeRow

_STATUS_ORDER = {QueueStatus.OPEN: 0, QueueStatus.TICKET_STOP: 1, QueueStatus.CLOSED: 2}


# --- the pages -------------------------------------------------------------------------------------


def wait_text(estimate: int | None, low: int | None, high: int | None) -> str:
    """A walk-in's predicted wait for people; the office page's script writes the same strings."""
    if estimate is None or low is None or high is None:
        return _("no estimate")
    if high == 0:
        return _("no wait")
    return _("about {estimate} min ({low}–{high} min)").format(estimate=estimate, low=low, high=high)


def _services_by_slug(slugs: set[str]) -> dict[str, Service]:
    return {service.slug: service for service in Service.objects.filter(slug__in=slugs)}


@require_GET
def occupancy(request: HttpRequest) -> HttpResponse:
    overview = selectors_overview.kreis_overview()
    services = _services_by_slug({slug for row in overview.offices for line in row.lines for slug in line.services})
    chosen = request.GET.get("leistung", "")
    chosen_service = services.get(chosen)
    quietest_first = chosen_service is not None or request.GET.get("reihenfolge") == "wartezeit"
    rows = [row for row in overview.offices if chosen_service is None or row.lines_for(chosen)]
    if quietest_first:
        rows.sort(key=lambda row: _quietness(row, chosen if chosen_service else None))
    context = {
        "updated_at": timezone.localtime(overview.updated_at),
        "services": sorted(services.values(), key=lambda service: service.name.casefold()),
        "chosen": chosen_service,
        "quietest_first": quietest_first,
        "offices": [_office_card(row, chosen if chosen_service else None, services) for row in rows],
        "not_offered": len(overview.offices) - len(rows),
        "query": request.GET.urlencode(),
    }
    template = "queueing/occupancy_list.html" if request.GET.get("teil") == "liste" else "queueing/occupancy.html"
    response = render(request, template, context)
    response["Cache-Control"] = f"public, max-age={OVERVIEW_SECONDS}"
    return response


def _quietness(row: OfficeRow, service: str | None) -> tuple[int, float, str, str]:
    wait = row.quietest(service)
    return (
        _STATUS_ORDER.get(QueueStatus(row.status), 3),
        float("inf") if wait is None else wait,
        row.municipality,
        row.name,
    )


def _office_card(row: OfficeRow, service: str | None, services: dict[str, Service]) -> dict[str, Any]:
    return {
        "row": row,
        "url": reverse("queueing:office", kwargs={"municipality": row.municipality_slug, "office": row.slug}),
        "next_opening": timezone.localtime(row.next_opening) if row.next_opening else None,
        "service_wait": _service_wait(row, service) if service else None,
        "lines": [
            {
                "line": line,
                "wait": wait_text(line.estimate, line.low, line.high),
                "services": [services[slug].name for slug in line.services if slug in services],
            }
            for line in row.lines
        ],
    }


def _service_wait(row: OfficeRow, service: str) -> dict[str, Any]:
    lines = [line for line in row.lines_for(service) if not line.stopped] or row.lines_for(service)
    best = min(lines, key=lambda line: float("inf") if line.estimate is None else line.estimate)
    return {"line": best, "wait": wait_text(best.estimate, best.low, best.high)}


@require_GET
def office(request: HttpRequest, municipality: str, office: str) -> HttpResponse:
    with scopes_disabled():
        found = (
            Office.objects.select_related("municipality")
            .filter(Q(municipality__slug=municipality) & Q(slug=office))
            .first()
        )
        if found is None or not ServiceGroup.objects.filter(office=found).exists():
            raise Http404
        groups = list(ServiceGroup.objects.filter(office=found).prefetch_related("services"))
    request.branding = found.municipality  # type: ignore[attr-defined]
    now = timezone.now()
    settings = selectors.queue_settings(found)
    if not settings.is_active:
        raise Http404
    state = selectors.office_live_state(found.pk, now)
    services = {group.key: sorted((s.name for s in group.services.all()), key=str.casefold) for group in groups}
    slugs = {"municipality": found.municipality.slug, "office": found.slug}
    context = {
        "office": found,
        "state": state,
        "closed": state["status"] == QueueStatus.CLOSED,
        "next_opening": _local(selectors_overview.next_opening(found, now))
        if state["status"] == QueueStatus.CLOSED
        else None,
        "closes_at": _local(datetime.fromisoformat(state["closes_at"])) if state["closes_at"] else None,
        "lines": [
            {
                **line,
                "wait": wait_text(line["walk_in"]["estimate"], line["walk_in"]["low"], line["walk_in"]["high"]),
                "services": services.get(line["key"], []),
            }
            for line in state["lines"]
        ],
        "calls": [
            {**call, "at": _local(datetime.fromisoformat(call["at"])) if call["at"] else None}
            for call in state["calls"]
        ],
        "open_counters": [counter for counter in state["counters"] if not counter["paused"]],
        "hours_today": [(_local(start), _local(end)) for start, end in selectors.opening_today(found, _today(now))],
        "best_time": best_time(found, now=now, waiting=state["waiting"]),
        "draw_url": _reverse_or_empty("queueing:draw", slugs) if settings.remote_tickets != RemoteTickets.OFF else "",
        "display_url": _reverse_or_empty("queueing:display", slugs),
        "booking_url": reverse("appointments:start"),
        "stream_url": reverse("queueing:office-stream", kwargs=slugs),
    }
    response = render(request, "queueing/office.html", context)
    response["Cache-Control"] = "no-cache"
    return response


def _reverse_or_empty(name: str, kwargs: dict[str, str]) -> str:
    """The page's address, or ``""`` while that page is not part of this installation."""
    try:
        return reverse(name, kwargs=kwargs)
    except NoReverseMatch:
        return ""


def _local(moment: datetime | None) -> datetime | None:
    return timezone.localtime(moment) if moment is not None else None


def _today(now: datetime) -> date:
    return timezone.localdate(now)
