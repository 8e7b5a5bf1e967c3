"""Staff statistics pages: ``/backoffice/<municipality>/statistik/`` and the Kreis's ``/backoffice/statistik/``.

A municipality's page is for its team leads and administrators (a Kreis admin always may); other staff
and staff of another municipality get a 404. The Kreis page is for Kreis admins only. Both take the
filter as GET parameters and ``format=csv|xlsx`` for the download of the same table, with small
counts suppressed (``STATS_MIN_COUNT``). The page shows exact figures and prints without navigation.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from django.conf import settings
from django.http import Http404, HttpResponse
from django.shortcuts import render
from django.utils import formats, timezone
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_safe

from buergerbuero.accounts.constants import Role
from buergerbuero.accounts.permissions import StaffRequest, roles_allow, staff_view
from buergerbuero.catalog.models import Service
from buergerbuero.catalog.views.backoffice import kreis_admin_view
from buergerbuero.core.tenancy import scopes_disabled
from buergerbuero.tenants.models import District, Municipality, Office

from ..charts import Chart, Series, bar_chart, line_chart
from ..exports_stats import Cell, columns_for, csv_bytes, export_filename, statistics_table, xlsx_bytes
from ..forms_stats import StatisticsFilterForm
from ..selectors_stats import Statistics, StatsQuery, StatsScope, statistics
from ..statistics import Granularity

#: Who sees a municipality's statistics (a Kreis admin always may).
STATISTICS_ROLES = (Role.TEAM_LEAD, Role.MUNICIPALITY_ADMIN)

XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _services() -> list[tuple[str, str]]:
    return sorted(((service.slug, str(service.name)) for service in Service.objects.all()), key=lambda x: x[1])


def _service_id(slug: str) -> int | None:
    if not slug:
        return None
    return Service.objects.filter(slug=slug).values_list("pk", flat=True).first()


def _display(cell: Cell) -> str:
    if cell == "":
        return "–"
    if isinstance(cell, float):
        return formats.number_format(cell, 1, use_l10n=True)
    return str(cell)


def _charts(stats: Statistics) -> list[Chart]:
    labels = [row.label for row in stats.rows]
    charts = [
        bar_chart(
            title=_("Visitors: walk-ins and appointments"),
            categories=labels,
            series=[
                Series(_("Walk-ins"), [float(row.walk_ins) for row in stats.rows]),
                Series(_("With appointment"), [float(row.with_appointment) for row in stats.rows]),
            ],
            stacked=True,
        ),
        line_chart(
            title=_("Waiting time in minutes"),
            x_labels=labels,
            series=[
                Series(_("Median"), [row.wait_median for row in stats.rows]),
                Series(_("90th percentile"), [row.wait_p90 for row in stats.rows]),
            ],
            unit="min",
        ),
    ]
    if stats.has_cases:
        charts.append(
            line_chart(
                title=_("Online applications: processing time in days"),
                x_labels=labels,
                series=[
                    Series(_("Median"), [row.processing_median_days for row in stats.rows]),
                    Series(_("90th percentile"), [row.processing_p90_days for row in stats.rows]),
                ],
                unit=_("days"),
            )
        )
        charts.append(
            bar_chart(
                title=_("Open applications at the end of each period"),
                categories=labels,
                series=[
                    Series(_("Backlog"), [float(row.backlog) for row in stats.rows]),
                    Series(_("Overdue"), [float(row.overdue) for row in stats.rows]),
                ],
            )
        )
    return charts


def _respond(
    request: StaffRequest,
    *,
    template_context: dict[str, Any],
    form: StatisticsFilterForm,
    scope_for: Any,
) -> HttpResponse:
    """Validate the filter, compute, and answer with the page or the requested download."""
    stats: Statistics | None = None
    if form.is_valid():
        data = form.cleaned_data
        scope: StatsScope = scope_for(data["ort"])
        query = StatsQuery(
            scope=scope,
            first=data["von"],
            last=data["bis"],
            granularity=Granularity(data["einteilung"]),
            service_id=_service_id(data["leistung"]),
        )
        stats = statistics(query)
        export = request.GET.get("format", "")
        if export in {"csv", "xlsx"}:
            min_count = settings.STATS_MIN_COUNT
            if export == "csv":
                body, content_type = csv_bytes(stats, min_count=min_count), "text/csv; charset=utf-8"
            else:
                body, content_type = xlsx_bytes(stats, min_count=min_count), XLSX_TYPE
            response = HttpResponse(body, content_type=content_type)
            response["Content-Disposition"] = f'attachment; filename="{export_filename(stats, export)}"'
            return response
    context: dict[str, Any] = {"form": form, "stats": stats, **template_context}
    if stats is not None:
        table = statistics_table(stats)
        context.update(
            table_headers=table.headers,
            table_rows=[[_display(cell) for cell in row] for row in table.rows],
            definitions=[(column.title, column.definition) for column in columns_for(stats)],
            charts=_charts(stats),
            query_string=urlencode({key: value for key, value in form.data.items() if key != "format"}),
            min_count=settings.STATS_MIN_COUNT,
            services=[
                (
                    row.name,
                    row.online,
                    row.on_site,
                    _display("" if row.online_share is None else row.online_share * 100),
                )
                for row in stats.services
            ],
        )
    return render(request, "analytics/statistics/page.html", context, status=200 if form.is_valid() else 400)


@require_safe
@never_cache
@staff_view(roles=STATISTICS_ROLES)
def municipality_statistics(request: StaffRequest, municipality: Municipality) -> HttpResponse:
    offices = {str(office.pk): office for office in Office.objects.filter(municipality=municipality).order_by("name")}
    form = StatisticsFilterForm(
        request.GET,
        places=[(pk, office.name) for pk, office in offices.items()],
        place_label=_("Office"),
        services=_services(),
        today=timezone.localdate(),
    )

    def scope_for(place: str) -> StatsScope:
        if place:
            return StatsScope.of_office(offices[place])
        return StatsScope.of_municipality(municipality)

    held: frozenset[str] = getattr(request, "staff_roles", frozenset())
    return _respond(
        request,
        form=form,
        scope_for=scope_for,
        template_context={
            "municipality": municipality,
            "can_administer": roles_allow(held, (Role.MUNICIPALITY_ADMIN,)),
            "title": _("Statistics of %(name)s") % {"name": municipality.name},
        },
    )


def _district_of(request: StaffRequest) -> District:
    district = District.objects.filter(staff_roles__user=request.user, staff_roles__role=Role.DISTRICT_ADMIN).first()
    if district is None:
        raise Http404
    return district


@require_safe
@never_cache
@kreis_admin_view
def district_statistics(request: StaffRequest) -> HttpResponse:
    district = _district_of(request)
    with scopes_disabled():  # the Kreis admin chooses among every municipality of the Kreis
        municipalities = {str(m.pk): m for m in Municipality.objects.filter(district=district).order_by("name")}
    form = StatisticsFilterForm(
        request.GET,
        places=[(pk, m.name) for pk, m in municipalities.items()],
        place_label=_("Municipality"),
        services=_services(),
        today=timezone.localdate(),
    )

    def scope_for(place: str) -> StatsScope:
        if place:
            return StatsScope.of_municipality(municipalities[place])
        return StatsScope.of_district(district)

    return _respond(
        request,
        form=form,
        scope_for=scope_for,
        template_context={
            "district": district,
            "title": _("Statistics of the Kreis %(name)s") % {"name": district.name},
        },
    )
