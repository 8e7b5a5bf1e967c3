"""Open data: monthly aggregated figures per office, CSV or JSON, licensed CC BY 4.0 (``/api/opendata/...``).

Nothing personal: counts of visitors and appointments, waiting and service times as medians and 90th
percentiles, the no-show rate. Counts from 1 to ``STATS_MIN_COUNT`` − 1 are published as ``"<N"``, and a
median or percentile computed from fewer than N values, or a rate of which a part (no-shows, or the
appointments kept) is such a count, as ``"n<N"`` (``statistics.published``, the same rule as the downloads).
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import uuid
from typing import Any, Literal

from django.conf import settings
from django.http import Http404, HttpRequest, HttpResponse
from django.urls import reverse
from django.utils import timezone
from ninja import Field, Query, Router, Schema
from ninja.errors import HttpError

from buergerbuero.tenants.models import Office

from .selectors_stats import StatsQuery, StatsScope, statistics
from .statistics import Granularity, StatsRow, published

router = Router(tags=["open data"])

LICENCE = "CC BY 4.0"
LICENCE_URL = "https://creativecommons.org/licenses/by/4.0/"
MAX_MONTHS = 36

#: (field, StatsRow attribute): the published columns, in order.
FIELDS: tuple[tuple[str, str], ...] = (
    ("visitors", "visitors"),
    ("walk_ins", "walk_ins"),
    ("with_appointment", "with_appointment"),
    ("served", "served"),
    ("wait_median_min", "wait_median"),
    ("wait_p90_min", "wait_p90"),
    ("service_median_min", "service_median"),
    ("service_p90_min", "service_p90"),
    ("appointments_due", "appointments_due"),
    ("no_shows", "no_shows"),
    ("no_show_rate", "no_show_rate"),
)

Figure = int | float | str | None


class OpenDataOffice(Schema):
    id: uuid.UUID
    name: str
    municipality: str
    municipality_ags: str
    address: str
    statistics_url: str


class OpenDataOffices(Schema):
    licence: str
    licence_url: str
    offices: list[OpenDataOffice]


class OpenDataMonth(Schema):
    month: str  #: YYYY-MM
    visitors: Figure
    walk_ins: Figure
    with_appointment: Figure
    served: Figure
    wait_median_min: Figure
    wait_p90_min: Figure
    service_median_min: Figure
    service_p90_min: Figure
    appointments_due: Figure
    no_shows: Figure
    no_show_rate: Figure


class OpenDataStatistics(Schema):
    office: OpenDataOffice
    licence: str
    licence_url: str
    attribution: str
    min_count: int
    definitions: dict[str, str]
    months: list[OpenDataMonth]


DEFINITIONS = {
    "visitors": "Tickets that came into the office (checked in).",
    "walk_ins": "Visitors without an appointment (ticket machine, app or staff).",
    "with_appointment": "Visitors checked in for an appointment.",
    "served": "Tickets whose service was finished.",
    "wait_median_min": "Median minutes from joining the line to the first call.",
    "wait_p90_min": "90th percentile (linear interpolation) of those minutes.",
    "service_median_min": "Median minutes from the start to the end of service.",
    "service_p90_min": "90th percentile of the service minutes.",
    "appointments_due": "Booked appointments whose time had passed (not cancelled).",
    "no_shows": "Appointments marked as not attended.",
    "no_show_rate": "no_shows / appointments_due (0 to 1).",
    "suppression": "Counts below min_count are published as '<min_count'; medians and percentiles from fewer "
    "cases, and rates of which a part (no-shows or appointments kept) is below min_count, as 'n<min_count'.",
}


def _office_out(request: HttpRequest, office: Office) -> dict[str, Any]:
    path = reverse("api:opendata_office_statistics", kwargs={"office_id": office.public_id})
    return {
        "id": office.public_id,
        "name": office.name,
        "municipality": office.municipality.name,
        "municipality_ags": office.municipality.ags,
        "address": office.address,
        "statistics_url": request.build_absolute_uri(path),
    }


@router.get("/offices", response=OpenDataOffices, summary="Offices with open statistics")
def opendata_offices(request: HttpRequest) -> dict[str, Any]:
    """Every office of the Kreis, with the link to its monthly statistics. Licence: CC BY 4.0."""
    offices = Office.objects.select_related("municipality").order_by("municipality__name", "name")
    return {"licence": LICENCE, "licence_url": LICENCE_URL, "offices": [_office_out(request, o) for o in offices]}


def _figure(row: StatsRow, attribute: str, min_count: int) -> Figure:
    value = published(row, attribute, min_count)
    return round(value, 3) if isinstance(value, float) else value


def _default_range(today: dt.date) -> tuple[dt.date, dt.date]:
    """The last twelve complete months."""
    last = today.replace(day=1) - dt.timedelta(days=1)
    first = (last.replace(day=1) - dt.timedelta(days=334)).replace(day=1)
    return first, last


class RangeFilter(Schema):
    format: Literal["json", "csv"] = Field("json", description="json (default) or csv")
    start: dt.date | None = Field(None, alias="from", description="first day (default: 12 complete months back)")
    end: dt.date | None = Field(None, alias="to", description="last day (default: end of the last complete month)")


@router.get(
    "/offices/{office_id}/statistics",
    response=OpenDataStatistics,
    url_name="opendata_office_statistics",
    summary="Monthly statistics of one office (JSON or CSV)",
    openapi_extra={
        "responses": {
            200: {
                "description": "JSON (this schema) or, with format=csv, text/csv with the same columns; "
                "the licence is in the body (JSON) or the Link header (rel=license).",
                "content": {"text/csv": {"schema": {"type": "string"}}},
            }
        }
    },
)
def opendata_office_statistics(
    request: HttpRequest,
    office_id: uuid.UUID,
    filters: Query[RangeFilter],
) -> Any:
    """Visitors, walk-ins and appointments, waiting and service times, no-shows per month for ``from``..``to``
    (default: the last twelve complete months; at most 36 months). No personal data; small counts suppressed."""
    office = Office.objects.select_related("municipality").filter(public_id=office_id).first()
    if office is None:
        raise Http404
    first, last = _default_range(timezone.localdate())
    first, last = filters.start or first, filters.end or last
    if last < first:
        raise HttpError(422, "'to' must not be before 'from'.")
    if (last.year - first.year) * 12 + last.month - first.month >= MAX_MONTHS:
        raise HttpError(422, f"At most {MAX_MONTHS} months per request.")
    stats = statistics(StatsQuery(StatsScope.of_office(office), first, last, Granularity.MONTH))
    min_count = settings.STATS_MIN_COUNT
    months = [
        {
            "month": row.period.key if row.period else "",
            **{name: _figure(row, attr, min_count) for name, attr in FIELDS},
        }
        for row in stats.rows
    ]
    attribution = f"{office.municipality.name}, {office.name} – Bürgerbüro statistics"
    if filters.format == "csv":
        buffer = io.StringIO()
        writer = csv.writer(buffer)
        writer.writerow(["month", *(name for name, *_rest in FIELDS)])
        for month in months:
            writer.writerow(["" if value is None else value for value in month.values()])
        response = HttpResponse(buffer.getvalue(), content_type="text/csv; charset=utf-8")
        response["Link"] = f'<{LICENCE_URL}>; rel="license"'
        response["X-Licence"] = LICENCE
        response["X-Attribution"] = attribution.encode("ascii", "replace").decode()
        filename = f"statistik-{office.municipality.slug}-{office.slug}-{first:%Y-%m}-{last:%Y-%m}.csv"
        response["Content-Disposition"] = f'attachment; filename="{filename}"'
        return response
    return {
        "office": _office_out(request, office),
        "licence": LICENCE,
        "licence_url": LICENCE_URL,
        "attribution": attribution,
        "min_count": min_count,
        "definitions": DEFINITIONS,
        "months": months,
    }
