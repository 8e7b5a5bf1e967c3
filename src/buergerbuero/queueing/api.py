"""Public JSON API of the live queue under /api/queue/: how busy every office of the Kreis is now.

Both answers come from the cached Kreis-wide overview (``selectors_overview.kreis_overview``), so a crowd
of apps polling costs one computation every ``OVERVIEW_SECONDS``. Times are on Berlin's clock.
"""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from ninja import Router
from ninja.responses import Status

from .api_schemas import ErrorOut, QueueOfficeOut
from .selectors_overview import OfficeRow, kreis_overview

router = Router(tags=["queue"])


def _office(request: HttpRequest, row: OfficeRow, updated_at: Any) -> dict[str, Any]:
    path = reverse("queueing:office", kwargs={"municipality": row.municipality_slug, "office": row.slug})
    return {
        "id": row.public_id,
        "municipality": row.municipality,
        "municipality_slug": row.municipality_slug,
        "name": row.name,
        "status": row.status,
        "stop_reason": row.stop_reason,
        "next_opening": timezone.localtime(row.next_opening) if row.next_opening else None,
        "waiting": row.waiting,
        "open_counters": row.open_counters,
        "lines": [
            {
                "key": line.key,
                "name": line.name,
                "prefix": line.prefix,
                "waiting": line.waiting,
                "stopped": line.stopped,
                "walk_in": {"estimate": line.estimate, "low": line.low, "high": line.high},
                "services": list(line.services),
            }
            for line in row.lines
        ],
        "url": request.build_absolute_uri(path),
        "updated_at": timezone.localtime(updated_at),
    }


@router.get("/offices", response=list[QueueOfficeOut], summary="How busy every office of the Kreis is now")
def list_offices(request: HttpRequest) -> list[dict[str, Any]]:
    """Every office with a live queue, in every municipality: status, people waiting, open counters and
    the predicted wait of a walk-in (estimate and 80 % interval) per line, with the services each line
    serves. Ordered by municipality and office name."""
    overview = kreis_overview()
    return [_office(request, row, overview.updated_at) for row in overview.offices]


@router.get("/offices/{public_id}", response={200: QueueOfficeOut, 404: ErrorOut}, summary="How busy one office is now")
def get_office(request: HttpRequest, public_id: str) -> Any:
    """One office by its public ID (404 for an unknown ID or an office without a live queue)."""
    overview = kreis_overview()
    row = next((row for row in overview.offices if row.public_id == public_id.lower()), None)
    if row is None:
        return Status(
            404, {"code": "office_not_found", "message": _("There is no office with a live queue with this ID.")}
        )
    return _office(request, row, overview.updated_at)
