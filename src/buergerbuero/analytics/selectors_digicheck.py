"""The Digitalisierungscheck: does digitisation improve the citizen service? Monthly figures over a year.

Every figure is computed here from the rows other apps keep (cases, tickets) and the anonymous ones of
this app (ratings, survey answers, checklist uses, standard times); the dashboard only draws them.
Reads run in the caller's tenant scope and are filtered to ``municipalities``: a town's leader sees
their town, the Kreis page passes every town inside ``scopes_disabled()``. The gap map is public
catalogue data (the citizens' availability page shows it too) and is read Kreis-wide, visibly.

Definitions (shown on the dashboard under "How this is calculated" (So wird das berechnet)):

* online share of a service = online applications ÷ (online applications + finished on-site visits,
  i.e. queue tickets marked done with that service), per month of submission / visit day; the total
  counts the services that can be applied for online (or had an online application in the period);
* days to decision = median of (decided − submitted) in days, per month of the decision;
* on-site wait = mean of (first call − joining the line) over finished tickets, per month of the visit;
* visits avoided = online applications × ``DIGICHECK_VISITS_PER_APPLICATION`` (default 1: the visit
  to hand it in) + completed document checklists × ``DIGICHECK_VISITS_PER_CHECKLIST`` (default 0.5:
  about every second checklist spares a second visit for a missing document);
* staff hours saved = Σ over services of online applications × (on-site minutes − online minutes) ÷ 60,
  from the Kreis's standard times (Django admin, "standard times"); where none is set, the catalogue's
  counter minutes on site and ``DIGICHECK_ONLINE_MINUTES_SHARE`` (default 0.5) of them online;
* satisfaction = mean stars (1 very poor … 5 very good), their distribution, count and latest comments;
* survey = answers to "what would you like to do online next?", services ranked by votes.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter, defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field

from django.conf import settings
from django.db.models import Avg, Count, Q, Sum
from django.db.models.functions import Coalesce, Lower, TruncMonth
from django.utils import timezone

from buergerbuero.applications.models import Case
from buergerbuero.catalog.models import Service
from buergerbuero.catalog.selectors import AvailabilityMap, availability_map
from buergerbuero.core.tenancy import scopes_disabled
from buergerbuero.queueing.constants import TicketState
from buergerbuero.queueing.models import Ticket
from buergerbuero.tenants.models import District, Municipality

from .models import ChecklistUse, Rating, StandardTime, SurveyVote
from .selectors_stats import MinutesBetween
from .statistics import median

__all__ = [
    "Dashboard",
    "DigicheckFactors",
    "RatingSummary",
    "ServiceHours",
    "ServiceShare",
    "digicheck",
    "digicheck_factors",
    "gap_map",
    "months_ending",
]


@dataclass(frozen=True)
class DigicheckFactors:
    visits_per_application: float
    visits_per_checklist: float
    online_minutes_share: float


def digicheck_factors() -> DigicheckFactors:
    """The assumptions behind "visits avoided" and the fallback standard times (``DIGICHECK_*`` settings)."""
    return DigicheckFactors(
        visits_per_application=settings.DIGICHECK_VISITS_PER_APPLICATION,
        visits_per_checklist=settings.DIGICHECK_VISITS_PER_CHECKLIST,
        online_minutes_share=settings.DIGICHECK_ONLINE_MINUTES_SHARE,
    )


def months_ending(today: dt.date, count: int = 12) -> list[dt.date]:
    """The first days of the ``count`` months up to and including ``today``'s, oldest first."""
    year, month = today.year, today.month
    months = []
    for _ in range(count):
        months.append(dt.date(year, month, 1))
        year, month = (year, month - 1) if month > 1 else (year - 1, 12)
    return months[::-1]


def _month(day: dt.date) -> dt.date:
    return day.replace(day=1)


def _percent(part: int, whole: int) -> float | None:
    return round(100 * part / whole, 1) if whole else None


@dataclass(frozen=True)
class ServiceShare:
    service: Service
    online: list[int]  #: online applications per month
    on_site: list[int]  #: finished on-site visits per month
    share: list[float | None]  #: percent per month
    total_share: float | None  #: percent over the whole period


@dataclass(frozen=True)
class ServiceHours:
    service: Service
    applications: int
    on_site_minutes: float
    online_minutes: float
    from_standard_time: bool  #: False: the catalogue's counter minutes and the default online share
    hours: float


@dataclass(frozen=True)
class RatingSummary:
    average: list[float | None]  #: mean stars per month
    count: list[int]  #: ratings per month
    distribution: dict[int, int]  #: stars → ratings in the period
    total: int
    overall_average: float | None
    latest_comments: list[Rating]


@dataclass(frozen=True)
class Dashboard:
    months: list[dt.date]
    period_start: dt.date
    period_end: dt.date
    factors: DigicheckFactors
    online_share: list[float | None]  #: percent per month, services that can be applied for online
    online_applications: list[int]  #: of the services in the online share
    all_applications: list[int]  #: every online application per month
    on_site_visits: list[int]  #: finished visits for those services
    services: list[ServiceShare]
    decision_days: list[float | None]  #: median per month
    decisions: list[int]
    wait_minutes: list[float | None]  #: mean per month
    visits: list[int]  #: finished tickets per month (all services)
    checklists: list[int]
    visits_avoided: list[float]
    hours_saved: list[float]
    hours_by_service: list[ServiceHours]
    ratings: RatingSummary
    survey: list[tuple[Service, int]]
    suggestions: list[tuple[str, int]]
    survey_total: int
    gaps: AvailabilityMap | None = field(default=None)


def gap_map() -> AvailabilityMap:
    """Which service is online / on site only / not offered in which town: public catalogue data, Kreis-wide."""
    with scopes_disabled():
        return availability_map()


def digicheck(
    *,
    municipalities: Sequence[Municipality],
    district: District,
    today: dt.date | None = None,
    months: int = 12,
    kreis: bool = False,
    with_gap_map: bool = True,
) -> Dashboard:
    """All figures of the dashboard for ``municipalities`` over the ``months`` months up to ``today``'s.

    ``kreis`` also counts what belongs to no town (checklists used without a chosen home, survey answers
    given on the Kreis pages).
    """
    today = today or timezone.localdate()
    month_list = months_ending(today, months)
    index = {month: position for position, month in enumerate(month_list)}
    start = month_list[0]
    end = today
    ids = [m.pk for m in municipalities]
    n = len(month_list)
    factors = digicheck_factors()

    # Online applications per service and month (month of submission, local time).
    tz = timezone.get_current_timezone()
    start_at = dt.datetime.combine(start, dt.time.min, tzinfo=tz)
    end_at = dt.datetime.combine(end + dt.timedelta(days=1), dt.time.min, tzinfo=tz)
    cases = Case.objects.filter(municipality__in=ids, submitted_at__gte=start_at, submitted_at__lt=end_at)
    online: dict[int, list[int]] = defaultdict(lambda: [0] * n)
    for service_id, submitted_at in cases.values_list("service_id", "submitted_at"):
        online[service_id][index[_month(timezone.localdate(submitted_at, tz))]] += 1

    # Finished on-site visits per service and month, and the wait per month. Grouped by day in the database and
    # folded into months here: SQLite has no native month truncation or timestamp difference (Django's Python
    # functions ran once per ticket, about 2 s for a Kreis year), and MinutesBetween is native on both databases.
    tickets = Ticket.objects.filter(office__municipality__in=ids, day__gte=start, day__lte=end, state=TicketState.DONE)
    on_site: dict[int, list[int]] = defaultdict(lambda: [0] * n)
    for row in tickets.exclude(service=None).values("service_id", "day").annotate(n=Count("id")).order_by():
        on_site[row["service_id"]][index[_month(row["day"])]] += row["n"]
    measured = Q(called_at__isnull=False) & (Q(queued_at__isnull=False) | Q(arrived_at__isnull=False))
    visits = [0] * n
    wait_sum = [0.0] * n
    wait_count = [0] * n
    for row in (
        tickets.values("day")
        .annotate(
            n=Count("id"),
            wait=Sum(MinutesBetween(Coalesce("queued_at", "arrived_at"), "called_at"), filter=measured),
            measured=Count("id", filter=measured),
        )
        .order_by()
    ):
        position = index[_month(row["day"])]
        visits[position] += row["n"]
        if row["measured"]:
            wait_sum[position] += float(row["wait"])
            wait_count[position] += row["measured"]
    wait_minutes: list[float | None] = [
        round(total / count, 1) if count else None for total, count in zip(wait_sum, wait_count, strict=True)
    ]

    # Services counted in the online share: those with an online application (catalogue) or online cases.
    candidate_ids = set(online) | set(Service.objects.filter(online_application=True).values_list("id", flat=True))
    services_by_id = Service.objects.in_bulk(candidate_ids)
    shares = []
    for service_id, service in services_by_id.items():
        online_counts = online.get(service_id, [0] * n)
        site_counts = on_site.get(service_id, [0] * n)
        if not any(online_counts) and not any(site_counts):
            continue
        shares.append(
            ServiceShare(
                service=service,
                online=online_counts,
                on_site=site_counts,
                share=[_percent(o, o + s) for o, s in zip(online_counts, site_counts, strict=True)],
                total_share=_percent(sum(online_counts), sum(online_counts) + sum(site_counts)),
            )
        )
    shares.sort(key=lambda share: (-(share.total_share or 0), share.service.name_de))
    online_total = [sum(share.online[i] for share in shares) for i in range(n)]
    site_total = [sum(share.on_site[i] for share in shares) for i in range(n)]

    # Days to decision per month of the decision.
    decided = Case.objects.filter(
        municipality__in=ids, decided_at__gte=start_at, decided_at__lt=end_at, submitted_at__isnull=False
    ).values_list("submitted_at", "decided_at")
    durations: dict[int, list[float]] = defaultdict(list)
    for submitted_at, decided_at in decided:
        if decided_at is None:  # excluded by the filter; for the type checker
            continue
        durations[index[_month(timezone.localdate(decided_at, tz))]].append(
            (decided_at - submitted_at).total_seconds() / 86400
        )
    decision_days: list[float | None] = []
    for i in range(n):
        value = median(durations.get(i, []))
        decision_days.append(round(value, 1) if value is not None else None)
    decisions = [len(durations.get(i, [])) for i in range(n)]

    # Checklists and visits avoided.
    checklist_filter = Q(municipality__in=ids) | Q(municipality__isnull=True) if kreis else Q(municipality__in=ids)
    checklists = [0] * n
    for row in (
        ChecklistUse.objects.filter(checklist_filter, day__gte=start, day__lte=end)
        .annotate(month=TruncMonth("day"))
        .values("month")
        .annotate(total=Sum("count"))
    ):
        checklists[index[_as_date(row["month"])]] += int(row["total"] or 0)
    all_online = [sum(counts[i] for counts in online.values()) for i in range(n)]
    visits_avoided = [
        round(all_online[i] * factors.visits_per_application + checklists[i] * factors.visits_per_checklist, 1)
        for i in range(n)
    ]

    # Staff hours saved.
    standard = {st.service_id: st for st in StandardTime.objects.filter(district=district)}
    all_services = Service.objects.in_bulk(set(online))
    hours_by_service = []
    hours_saved = [0.0] * n
    for service_id, counts in online.items():
        service = all_services[service_id]
        time = standard.get(service_id)
        if time is not None:
            on_site_min, online_min, from_standard = float(time.on_site_minutes), float(time.online_minutes), True
        else:
            on_site_min = float(service.counter_minutes)
            online_min = on_site_min * factors.online_minutes_share
            from_standard = False
        saved_per_case = max(0.0, on_site_min - online_min)
        for i in range(n):
            hours_saved[i] += counts[i] * saved_per_case / 60
        hours_by_service.append(
            ServiceHours(
                service,
                sum(counts),
                on_site_min,
                online_min,
                from_standard,
                round(sum(counts) * saved_per_case / 60, 1),
            )
        )
    hours_by_service.sort(key=lambda item: (-item.hours, item.service.name_de))
    hours_saved = [round(value, 1) for value in hours_saved]

    ratings = _ratings(ids, start, end, index, n)
    survey, suggestions, survey_total = _survey(district, ids, start, end, kreis=kreis)
    return Dashboard(
        months=month_list,
        period_start=start,
        period_end=end,
        factors=factors,
        online_share=[_percent(o, o + s) for o, s in zip(online_total, site_total, strict=True)],
        online_applications=online_total,
        all_applications=all_online,
        on_site_visits=site_total,
        services=shares,
        decision_days=decision_days,
        decisions=decisions,
        wait_minutes=wait_minutes,
        visits=visits,
        checklists=checklists,
        visits_avoided=visits_avoided,
        hours_saved=hours_saved,
        hours_by_service=hours_by_service,
        ratings=ratings,
        survey=survey,
        suggestions=suggestions,
        survey_total=survey_total,
        gaps=gap_map() if with_gap_map else None,
    )


def _as_date(value: dt.date | dt.datetime) -> dt.date:
    return value.date() if isinstance(value, dt.datetime) else value


def _ratings(ids: list[int], start: dt.date, end: dt.date, index: dict[dt.date, int], n: int) -> RatingSummary:
    ratings = Rating.objects.filter(municipality__in=ids, day__gte=start, day__lte=end)
    average: list[float | None] = [None] * n
    count = [0] * n
    for row in ratings.annotate(month=TruncMonth("day")).values("month").annotate(n=Count("id"), avg=Avg("stars")):
        position = index[_as_date(row["month"])]
        count[position] = row["n"]
        average[position] = round(float(row["avg"]), 2)
    distribution = dict.fromkeys(range(5, 0, -1), 0)
    for row in ratings.values("stars").annotate(n=Count("id")):
        distribution[row["stars"]] = row["n"]
    total = sum(distribution.values())
    overall = round(sum(stars * k for stars, k in distribution.items()) / total, 2) if total else None
    latest = list(ratings.exclude(comment="").select_related("office", "service").order_by("-day", "-id")[:10])
    return RatingSummary(average, count, distribution, total, overall, latest)


def _survey(
    district: District, ids: list[int], start: dt.date, end: dt.date, *, kreis: bool
) -> tuple[list[tuple[Service, int]], list[tuple[str, int]], int]:
    votes = SurveyVote.objects.filter(district=district, day__gte=start, day__lte=end)
    if not kreis:
        votes = votes.filter(municipality__in=ids)
    ranked = list(votes.exclude(service=None).values("service_id").annotate(n=Count("id")).order_by("-n", "service_id"))
    services = Service.objects.in_bulk([row["service_id"] for row in ranked])
    survey = [(services[row["service_id"]], row["n"]) for row in ranked]
    # Free suggestions grouped case-insensitively; the most common spelling is shown.
    counts: Counter[str] = Counter()
    spelling: dict[str, Counter[str]] = defaultdict(Counter)
    for text, key in votes.exclude(suggestion="").annotate(key=Lower("suggestion")).values_list("suggestion", "key"):
        counts[key] += 1
        spelling[key][text] += 1
    suggestions = [
        (spelling[key].most_common(1)[0][0], k) for key, k in sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))
    ][:20]
    return survey, suggestions, votes.count()
