"""Statistics of an office, a municipality or the whole Kreis over a date range, per day, week or month.

How it is computed (the pages and exports print the same definitions, see ``DEFINITIONS``):

* Queue figures come from ``queueing.Ticket`` by the ticket's day. A **visitor** is a ticket that came
  into the office (it has ``queued_at`` or ``arrived_at``); **walk-ins** are visitors drawn at the
  ticket machine, in the app or by staff, **with appointment** those checked in for an appointment.
  **Wait** = first call − in line since (or arrival); **service time** = end − start of service; both
  in minutes, median and 90th percentile (``statistics.percentile``).
* **No-show rate** = appointments marked as no-show ÷ appointments due (booked, checked in, completed
  or no-show, with a start time in the period and already past).
* **Tickets per counter** = served tickets ÷ counters that served at least one ticket in the period.
* Application figures come from ``applications.Case`` of the municipality (not per office):
  **processing time** = decision − submission in days for cases decided in the period; **backlog** =
  cases submitted before the end of the period and not decided by then; **overdue** = of those, the
  ones whose deadline had passed.
* **Online share per service** = online applications ÷ (online applications + on-site visits), where
  an on-site visit of a service is a visitor's ticket for it (or for an appointment of it), or an
  attended appointment of it that has no ticket.

Efficiency: one ``values_list`` query per source for the whole range (tickets, appointments,
appointment services, cases), then Python groups by period; no per-period queries. Percentiles are
computed in Python, so they are the same on SQLite and PostgreSQL.

Tenancy: office and municipality statistics read through the request's tenant scope. The Kreis's
statistics need every municipality of the district: ``statistics()`` opens ``scopes_disabled()`` for
a district scope, in this one place; callers let only the Kreis admin ask for it.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterator
from contextlib import contextmanager, nullcontext
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from django.db.models import BooleanField, FloatField, Func, Q, Value, When
from django.db.models import Case as SqlCase
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.translation import gettext as _

from buergerbuero.applications.models import Case
from buergerbuero.appointments.constants import AppointmentState
from buergerbuero.appointments.models import Appointment
from buergerbuero.catalog.models import Service
from buergerbuero.core.tenancy import scopes_disabled
from buergerbuero.queueing.constants import TicketSource, TicketState
from buergerbuero.queueing.models import Ticket
from buergerbuero.tenants.models import Counter, District, Municipality, Office

from .statistics import (
    Granularity,
    Period,
    ServiceShareRow,
    StatsRow,
    median,
    percentile,
    period_of,
    periods_between,
    rate,
)

__all__ = [
    "CounterRow",
    "ScopeKind",
    "Statistics",
    "StatsQuery",
    "StatsScope",
    "statistics",
]

#: Appointments that were due to happen (the denominator of the no-show rate).
DUE_STATES = (
    AppointmentState.BOOKED,
    AppointmentState.CHECKED_IN,
    AppointmentState.COMPLETED,
    AppointmentState.NO_SHOW,
)
ATTENDED_STATES = (AppointmentState.CHECKED_IN, AppointmentState.COMPLETED)


class ScopeKind(StrEnum):
    OFFICE = "office"
    MUNICIPALITY = "municipality"
    DISTRICT = "district"


@dataclass(frozen=True)
class StatsScope:
    """Whose statistics: one office, one municipality with its offices, or the whole Kreis (``pk`` is the
    office's, municipality's or district's id)."""

    kind: ScopeKind
    pk: int
    name: str
    slug: str  # for file names: ``kaarst-rathaus``, ``kaarst``, ``rhein-kreis-neuss``

    @classmethod
    def of_office(cls, office: Office) -> StatsScope:
        municipality = office.municipality
        return cls(
            ScopeKind.OFFICE, office.pk, f"{municipality.name} – {office.name}", f"{municipality.slug}-{office.slug}"
        )

    @classmethod
    def of_municipality(cls, municipality: Municipality) -> StatsScope:
        return cls(ScopeKind.MUNICIPALITY, municipality.pk, municipality.name, municipality.slug)

    @classmethod
    def of_district(cls, district: District) -> StatsScope:
        return cls(ScopeKind.DISTRICT, district.pk, district.name, district.slug)

    def office_filter(self, prefix: str = "office") -> Q:
        """The rows of this scope, for a model whose office is reached by ``prefix``."""
        if self.kind is ScopeKind.OFFICE:
            return Q(**{f"{prefix}_id": self.pk})
        if self.kind is ScopeKind.MUNICIPALITY:
            return Q(**{f"{prefix}__municipality_id": self.pk})
        return Q(**{f"{prefix}__municipality__district_id": self.pk})

    def municipality_filter(self) -> Q:
        if self.kind is ScopeKind.DISTRICT:
            return Q(municipality__district_id=self.pk)
        return Q(municipality_id=self.pk)


@dataclass(frozen=True)
class StatsQuery:
    scope: StatsScope
    first: dt.date
    last: dt.date  # inclusive
    granularity: Granularity = Granularity.MONTH
    service_id: int | None = None


@dataclass
class CounterRow:
    office: str
    counter: str
    served: int


@dataclass
class Statistics:
    query: StatsQuery
    rows: list[StatsRow]
    total: StatsRow
    services: list[ServiceShareRow] = field(default_factory=list)
    counters: list[CounterRow] = field(default_factory=list)

    @property
    def has_cases(self) -> bool:
        """Application figures exist for municipalities and the Kreis, not for a single office."""
        return self.query.scope.kind is not ScopeKind.OFFICE


@contextmanager
def _scope_for(query: StatsQuery) -> Iterator[None]:
    # The Kreis's figures span every municipality: the one visible opt-out of the tenant scope.
    context = scopes_disabled() if query.scope.kind is ScopeKind.DISTRICT else nullcontext()
    with context:
        yield


def _local_day(moment: dt.datetime) -> dt.date:
    return timezone.localtime(moment).date()


class MinutesBetween(Func):
    """Minutes from the first timestamp to the second, computed by the database (``NULL`` if either is)."""

    arity = 2
    output_field = FloatField()
    template = "(CAST(EXTRACT(EPOCH FROM (%(expressions)s)) AS double precision) / 60.0)"  # PostgreSQL
    arg_joiner = " - "

    def __init__(self, earlier: Any, later: Any) -> None:
        super().__init__(later, earlier)  # the SQL reads "later - earlier"

    def as_sqlite(self, compiler: Any, connection: Any, **extra: Any) -> Any:
        return super().as_sql(
            compiler,
            connection,
            template="((julianday(%(expressions)s)) * 1440.0)",
            arg_joiner=") - julianday(",
            **extra,
        )


class _Bucket:
    """The raw values of one period, collected before the figures are computed."""

    def __init__(self) -> None:
        self.visitors = 0
        self.served = 0
        self.walk_ins = 0
        self.with_appointment = 0
        self.waits: list[float] = []
        self.service_times: list[float] = []
        self.counters: set[int] = set()
        self.served_at_counters = 0
        self.due = 0
        self.no_shows = 0
        self.submitted = 0
        self.processing_days: list[float] = []
        self.backlog = 0
        self.overdue = 0

    def add_queue(self, other: _Bucket) -> None:
        """Add ``other``'s queue and appointment figures (the total row is the sum of the periods)."""
        self.visitors += other.visitors
        self.served += other.served
        self.walk_ins += other.walk_ins
        self.with_appointment += other.with_appointment
        self.waits.extend(other.waits)
        self.service_times.extend(other.service_times)
        self.counters |= other.counters
        self.served_at_counters += other.served_at_counters
        self.due += other.due
        self.no_shows += other.no_shows

    def row(self, period: Period | None, label: str) -> StatsRow:
        return StatsRow(
            period=period,
            label=label,
            visitors=self.visitors,
            served=self.served,
            walk_ins=self.walk_ins,
            with_appointment=self.with_appointment,
            wait_count=len(self.waits),
            wait_median=_round(median(self.waits)),
            wait_p90=_round(percentile(self.waits, 90)),
            service_count=len(self.service_times),
            service_median=_round(median(self.service_times)),
            service_p90=_round(percentile(self.service_times, 90)),
            appointments_due=self.due,
            no_shows=self.no_shows,
            no_show_rate=rate(self.no_shows, self.due),
            counters=len(self.counters),
            tickets_per_counter=_round(rate(self.served_at_counters, len(self.counters))),
            cases_submitted=self.submitted,
            cases_decided=len(self.processing_days),
            processing_median_days=_round(median(self.processing_days)),
            processing_p90_days=_round(percentile(self.processing_days, 90)),
            backlog=self.backlog,
            overdue=self.overdue,
        )


def _round(value: float | None) -> float | None:
    return None if value is None else round(value, 1)


def statistics(query: StatsQuery, *, now: dt.datetime | None = None) -> Statistics:
    """Every figure of ``query``'s scope, per period and in total. A district scope reads Kreis-wide:
    only call it for a Kreis admin."""
    now = now or timezone.now()
    periods = periods_between(query.first, query.last, query.granularity)
    with _scope_for(query):
        return _compute(query, periods, now)


def _compute(query: StatsQuery, periods: list[Period], now: dt.datetime) -> Statistics:
    tz = timezone.get_current_timezone()
    start = dt.datetime.combine(query.first, dt.time.min, tzinfo=tz)
    end = dt.datetime.combine(query.last + dt.timedelta(days=1), dt.time.min, tzinfo=tz)
    index = {period.start: position for position, period in enumerate(periods)}
    buckets = [_Bucket() for _ in periods]
    total = _Bucket()
    granularity = query.granularity

    by_day: dict[dt.date, _Bucket | None] = {}

    def bucket_of(day: dt.date) -> _Bucket | None:
        if day not in by_day:
            inside = query.first <= day <= query.last
            by_day[day] = buckets[index[period_of(day, granularity).start]] if inside else None
        return by_day[day]

    scope = query.scope
    sid = query.service_id
    on_site: dict[int, int] = defaultdict(int)

    # -- attended appointments and their services (on-site visits without a ticket, and a ticket's services)
    appointment_services: dict[int, list[int]] = defaultdict(list)
    through = Appointment.services.through
    for appointment_id, service_id in through.objects.filter(
        scope.office_filter("appointment__office"),
        appointment__starts_at__gte=start,
        appointment__starts_at__lt=end,
        appointment__state__in=ATTENDED_STATES,
    ).values_list("appointment_id", "service_id"):
        appointment_services[appointment_id].append(service_id)

    # -- tickets
    tickets = Ticket.objects.filter(scope.office_filter(), day__gte=query.first, day__lte=query.last)
    if sid is not None:
        tickets = tickets.filter(Q(service_id=sid) | Q(service__isnull=True, appointment__services=sid))
    served_by_counter: dict[int, int] = defaultdict(int)
    ticket_appointments: set[int] = set()
    # Durations are computed by the database (MinutesBetween), so that two numbers per ticket cross into
    # Python instead of five timestamps to parse and convert (most of the time on SQLite).
    tickets = tickets.annotate(
        came_in=SqlCase(
            When(Q(queued_at__isnull=False) | Q(arrived_at__isnull=False), then=Value(True)),
            default=Value(False),
            output_field=BooleanField(),
        ),
        wait=MinutesBetween(Coalesce("queued_at", "arrived_at"), "called_at"),
        service_time=MinutesBetween("started_at", "ended_at"),
    )
    for (
        day,
        source,
        state,
        came_in,
        wait_delta,
        service_delta,
        counter_id,
        service_id,
        appointment_id,
    ) in tickets.values_list(
        "day", "source", "state", "came_in", "wait", "service_time", "counter_id", "service_id", "appointment_id"
    ).order_by():
        bucket = bucket_of(day)
        if bucket is None:
            continue
        if appointment_id is not None:
            ticket_appointments.add(appointment_id)
        # Into the period's bucket only; the total gathers the buckets afterwards (``_Bucket.add_queue``).
        if came_in:
            bucket.visitors += 1
            if source == TicketSource.APPOINTMENT:
                bucket.with_appointment += 1
            else:
                bucket.walk_ins += 1
        if wait_delta is not None:
            bucket.waits.append(max(wait_delta, 0.0))
        if state == TicketState.DONE:
            bucket.served += 1
            if service_delta is not None:
                bucket.service_times.append(max(service_delta, 0.0))
            if counter_id is not None:
                bucket.counters.add(counter_id)
                bucket.served_at_counters += 1
        if state == TicketState.DONE and counter_id is not None:
            served_by_counter[counter_id] += 1
        if came_in:
            if service_id is not None:
                on_site[service_id] += 1
            elif appointment_id is not None:
                for appointment_service in appointment_services.get(appointment_id, ()):
                    on_site[appointment_service] += 1
    for appointment_id, service_ids in appointment_services.items():
        if appointment_id not in ticket_appointments:
            for appointment_service in service_ids:
                on_site[appointment_service] += 1

    # -- appointments due: the no-show rate
    appointments = Appointment.objects.filter(
        scope.office_filter(), starts_at__gte=start, starts_at__lt=min(end, now), state__in=DUE_STATES
    )
    if sid is not None:
        appointments = appointments.filter(services=sid)
    for starts_at, state in appointments.values_list("starts_at", "state").order_by():
        # ``tz`` read once: ``timezone.localtime`` looks the current zone up for every row (0.4 s a Kreis year).
        bucket = bucket_of(starts_at.astimezone(tz).date())
        if bucket is None:
            continue
        bucket.due += 1
        if state == AppointmentState.NO_SHOW:
            bucket.no_shows += 1
    for bucket in buckets:
        total.add_queue(bucket)

    # -- applications (municipality and Kreis only)
    online: dict[int, int] = defaultdict(int)
    if scope.kind is not ScopeKind.OFFICE:
        cases = Case.objects.filter(scope.municipality_filter(), submitted_at__lt=end).filter(
            Q(decided_at__isnull=True) | Q(decided_at__gte=start)
        )
        if sid is not None:
            cases = cases.filter(service_id=sid)
        rows = list(cases.values_list("submitted_at", "decided_at", "due_at", "service_id").order_by())
        for submitted_at, decided_at, _due_at, service_id in rows:
            if submitted_at >= start:
                online[service_id] += 1
                submitted_bucket = bucket_of(_local_day(submitted_at))
                if submitted_bucket is not None:
                    submitted_bucket.submitted += 1
                    total.submitted += 1
            if decided_at is not None and start <= decided_at < end:
                decided_bucket = bucket_of(_local_day(decided_at))
                days = (decided_at - submitted_at).total_seconds() / 86400
                if decided_bucket is not None:
                    decided_bucket.processing_days.append(days)
                    total.processing_days.append(days)
        for position, period in enumerate(periods):
            period_end = dt.datetime.combine(min(period.end, query.last + dt.timedelta(days=1)), dt.time.min, tzinfo=tz)
            moment = min(period_end, now)
            backlog, overdue = _open_at(rows, moment)
            buckets[position].backlog, buckets[position].overdue = backlog, overdue
        total.backlog, total.overdue = (buckets[-1].backlog, buckets[-1].overdue) if buckets else (0, 0)

    statistics_rows = [bucket.row(period, period.label) for period, bucket in zip(periods, buckets, strict=True)]
    return Statistics(
        query=query,
        rows=statistics_rows,
        total=total.row(None, _("Total")),
        services=_service_rows(online, on_site, only=sid),
        counters=_counter_rows(served_by_counter),
    )


def _open_at(rows: list[tuple[Any, Any, Any, Any]], moment: dt.datetime) -> tuple[int, int]:
    backlog = overdue = 0
    for submitted_at, decided_at, due_at, _service in rows:
        if submitted_at < moment and (decided_at is None or decided_at >= moment):
            backlog += 1
            if due_at is not None and due_at < moment:
                overdue += 1
    return backlog, overdue


def _service_rows(online: dict[int, int], on_site: dict[int, int], *, only: int | None) -> list[ServiceShareRow]:
    ids = set(online) | set(on_site)
    if only is not None:
        ids &= {only}
    services = {service.pk: service for service in Service.objects.filter(pk__in=ids)}
    rows = [
        ServiceShareRow(pk, str(services[pk].name), online=online.get(pk, 0), on_site=on_site.get(pk, 0))
        for pk in ids
        if pk in services
    ]
    return sorted(rows, key=lambda row: (-row.total, row.name))


def _counter_rows(served: dict[int, int]) -> list[CounterRow]:
    names = {
        pk: (office, name)
        for pk, name, office in Counter.objects.filter(pk__in=served).values_list("pk", "name", "office__name")
    }
    rows = [CounterRow(office=names[pk][0], counter=names[pk][1], served=count) for pk, count in served.items()]
    return sorted(rows, key=lambda row: (row.office, row.counter))
