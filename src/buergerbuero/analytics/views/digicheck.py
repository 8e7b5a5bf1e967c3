"""The Digitalisierungscheck dashboard: a town's (municipality leaders) and the Kreis's (Kreis admins).

The figures come from ``selectors_digicheck.digicheck``; this module only turns them into charts and
the "How this is calculated" texts.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import formats
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_safe

from buergerbuero.accounts.constants import Role
from buergerbuero.accounts.permissions import StaffRequest, kreis_admin_view, roles_allow, staff_view
from buergerbuero.core.i18n import localized
from buergerbuero.core.tenancy import scopes_disabled
from buergerbuero.tenants.models import Municipality
from buergerbuero.tenants.selectors import current_district

from ..charts import Chart, Series, bar_chart, heatmap, line_chart
from ..selectors_digicheck import Dashboard, digicheck

#: Who sees a town's dashboard (a Kreis admin always does).
LEADER_ROLES = (Role.MUNICIPALITY_ADMIN,)


@dataclass(frozen=True)
class Figure:
    key: str
    title: str
    headline: str  #: the figure in one sentence
    charts: list[Chart]
    definition: str
    sources: str


def _month_labels(dashboard: Dashboard) -> list[str]:
    return [formats.date_format(month, "M Y") for month in dashboard.months]


def _last(values: list[Any]) -> Any:
    present = [value for value in values if value is not None]
    return present[-1] if present else None


def _number(value: float | None, digits: int = 1) -> str:
    return "–" if value is None else formats.number_format(value, digits, use_l10n=True)


def figures(dashboard: Dashboard) -> list[Figure]:
    labels = _month_labels(dashboard)
    f = dashboard.factors
    result = []

    share_charts = [
        line_chart(
            title=_("Share of applications filed online (services with an online application), per month"),
            x_labels=labels,
            series=[Series(_("online share"), list(dashboard.online_share))],
            unit="%",
        )
    ]
    if dashboard.services:
        share_charts.append(
            heatmap(
                title=_("Online share per service and month"),
                rows=[localized(item.service, "name") for item in dashboard.services],
                columns=labels,
                values=[list(item.share) for item in dashboard.services],
                unit="%",
                row_label=_("Service"),
            )
        )
    result.append(
        Figure(
            "online-share",
            _("Applications filed online"),
            _("%(share)s %% of the applications for services with an online form were filed online in %(month)s.")
            % {"share": _number(_last(dashboard.online_share)), "month": labels[-1]},
            share_charts,
            _(
                "Online share of a service = online applications ÷ (online applications + finished visits at the "
                "counter for that service). Applications count in the month they were submitted, visits in the "
                "month of the visit. The total covers the services that can be applied for online or had an "
                "online application in the period; visits whose ticket names no service are not counted."
            ),
            _("Online applications (cases) and finished queue tickets of the offices."),
        )
    )
    result.append(
        Figure(
            "decision-days",
            _("Days to decision"),
            _("Median in %(month)s: %(days)s days.")
            % {"month": labels[-1], "days": _number(_last(dashboard.decision_days))},
            [
                line_chart(
                    title=_("Median days from submission to decision, per month"),
                    x_labels=labels,
                    series=[Series(_("median days"), list(dashboard.decision_days))],
                    unit=_("days"),
                )
            ],
            _(
                "For every application decided in the month: the time from submission to the decision in days "
                "(with fractions). Shown is the median: half of the applications were decided faster."
            ),
            _("Online applications (cases): submitted and decided."),
        )
    )
    result.append(
        Figure(
            "wait",
            _("Average waiting time on site"),
            _("Average wait in %(month)s: %(minutes)s minutes.")
            % {"month": labels[-1], "minutes": _number(_last(dashboard.wait_minutes))},
            [
                line_chart(
                    title=_("Average waiting time at the offices, per month"),
                    x_labels=labels,
                    series=[Series(_("average wait"), list(dashboard.wait_minutes))],
                    unit=_("min"),
                )
            ],
            _(
                "For every finished visit: the time from joining the line (or arriving) to the first call. "
                "Shown is the mean per month of the visit."
            ),
            _("Queue tickets of the offices (finished visits only)."),
        )
    )
    result.append(
        Figure(
            "visits-avoided",
            _("Visits avoided"),
            _("About %(visits)s visits avoided in the last 12 months.")
            % {"visits": _number(sum(dashboard.visits_avoided), 0)},
            [
                bar_chart(
                    title=_("Visits avoided per month"),
                    categories=labels,
                    series=[
                        Series(
                            _("through online applications"),
                            [count * f.visits_per_application for count in dashboard.all_applications],
                        ),
                        Series(
                            _("through document checklists"),
                            [count * f.visits_per_checklist for count in dashboard.checklists],
                        ),
                    ],
                    stacked=True,
                )
            ],
            _(
                "Visits avoided = online applications × %(per_application)s (the visit to hand the application in) "
                "+ completed document checklists × %(per_checklist)s (a checklist spares a second visit for a "
                "missing document in about that share of cases). Both factors are settings "
                "(DIGICHECK_VISITS_PER_APPLICATION, DIGICHECK_VISITS_PER_CHECKLIST)."
            )
            % {
                "per_application": _number(f.visits_per_application, 2),
                "per_checklist": _number(f.visits_per_checklist, 2),
            },
            _("Online applications (cases) and completed checklists (result page or PDF, counted per day)."),
        )
    )
    result.append(
        Figure(
            "hours-saved",
            _("Staff hours saved"),
            _("About %(hours)s staff hours saved in the last 12 months.")
            % {"hours": _number(sum(dashboard.hours_saved), 0)},
            [
                bar_chart(
                    title=_("Staff hours saved per month"),
                    categories=labels,
                    series=[Series(_("hours saved"), list(dashboard.hours_saved))],
                    unit=_("h"),
                )
            ],
            _(
                "Per service: online applications × (minutes per visit on site − minutes per online application) "
                "÷ 60. The minutes are the Kreis's standard times (Django admin, “standard times”); where none is "
                "set, the catalogue's typical counter time on site and %(share)s of it online."
            )
            % {"share": f"{_number(f.online_minutes_share * 100, 0)} %"},
            _("Online applications (cases), standard times, the service catalogue."),
        )
    )
    ratings = dashboard.ratings
    rating_charts = [
        line_chart(
            title=_("Average rating per month (5 = very good, 1 = very poor)"),
            x_labels=labels,
            series=[Series(_("average stars"), list(ratings.average))],
        ),
        bar_chart(
            title=_("Ratings by answer"),
            categories=[ngettext("%(n)d star", "%(n)d stars", stars) % {"n": stars} for stars in ratings.distribution],
            series=[Series(_("ratings"), [float(count) for count in ratings.distribution.values()])],
        ),
    ]
    result.append(
        Figure(
            "satisfaction",
            _("Citizen satisfaction"),
            _("%(count)d ratings, on average %(average)s of 5.")
            % {"count": ratings.total, "average": _number(ratings.overall_average, 2)},
            rating_charts,
            _(
                "Citizens are offered an anonymous rating (1 very poor … 5 very good) and a comment after a visit "
                "(on their queue ticket) and after an online application. Each visit or application can be rated "
                "once; e-mail addresses and phone numbers are removed from comments."
            ),
            _("Anonymous ratings; nothing links them to a person, ticket or case."),
        )
    )
    return result


def _context(request: HttpRequest, dashboard: Dashboard, **extra: Any) -> dict[str, Any]:
    return {
        "dashboard": dashboard,
        # A town's page sits under the town's heading (h1); the Kreis page has its own h1.
        "title_level": 2 if "municipality" in extra else 1,
        "figure_level": 3 if "municipality" in extra else 2,
        "figures": figures(dashboard),
        "period": _("%(start)s to %(end)s")
        % {
            "start": formats.date_format(dashboard.period_start, "DATE_FORMAT"),
            "end": formats.date_format(dashboard.period_end, "DATE_FORMAT"),
        },
        **extra,
    }


@require_safe
@staff_view(roles=LEADER_ROLES)
def municipality_dashboard(request: StaffRequest, municipality: Municipality) -> HttpResponse:
    dashboard = digicheck(municipalities=[municipality], district=municipality.district)
    return render(
        request,
        "analytics/digicheck/dashboard.html",
        _context(
            request,
            dashboard,
            municipality=municipality,
            can_administer=roles_allow(request.staff_roles, LEADER_ROLES),
        ),
    )


@require_safe
@kreis_admin_view
def kreis_dashboard(request: StaffRequest) -> HttpResponse:
    district = current_district()
    if district is None:
        raise Http404
    # The Kreis page sums up every town of the Kreis: Kreis-wide work, visibly.
    with scopes_disabled():
        towns = list(Municipality.objects.filter(district=district).order_by("name"))
        dashboard = digicheck(municipalities=towns, district=district, kreis=True)
    return render(request, "analytics/digicheck/dashboard.html", _context(request, dashboard, district=district))
