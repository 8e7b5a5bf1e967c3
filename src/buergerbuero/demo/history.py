"""A year of demo history, so that every statistic, forecast and Digitalisierungscheck figure shows
something meaningful from the first start.

For every office with a live queue, per open day (public holidays of the Land and the office's closing
days left out, ``queueing.selectors.opening_days``):

* Arrivals shaped like the real Moers Bürgerservice. The weekday × hour profile, a weekday level and
  a month-of-year level are derived from the hourly waits in
  ``SHARED_DATA_DIR/waiting/moers_buergerservice_hourly_2014_2016.csv`` (data: City of Moers, prepared
  by Thomas Tursics, MIT licence, (c) 2014, 2015 Thomas Tursics): the within-day profile through
  ``queueing.simulation.arrival_profile_from_waits``, the day and month levels as damped ratios of the
  mean wait to the overall mean. Without the file a built-in copy of those figures is used. On top come
  the day-level effects of ``analytics.office_calendar.day_features``: busier at month start and end,
  before a holiday and on the first day after a closure, quieter in school holidays and on bridge days.
* A service mix of the line's services (weighted by how often citizens need them); services a town
  takes online lose on-site visits month by month as the online share rises.
* Walk-ins and appointment check-ins. Appointments become past ``Appointment`` rows (completed, or
  no-show for about 8 %); those who came get a ticket with priority. The counters serve appointments
  first, then walk-ins first come, first served; service times are lognormal around the catalogue's
  counter minutes. Not every counter is staffed: the office plans each day's staffing for the day's
  expected arrivals with little slack (``staffed_counters``), so the morning peak builds a queue (walk-ins
  wait a few minutes in the median, half an hour to an hour at the 90th percentile) while appointments
  wait little; on the busiest days the tickets run out (``PEAK_UTILISATION``). Names and e-mail
  addresses are only kept on appointments younger than ``ANONYMISE_APPOINTMENTS_AFTER_DAYS``, as the
  anonymisation task would leave them.

And for the Kreis:

* Online applications of the past year, as many as the online share implies: for a service a town
  takes online, each day's on-site visits are (1 - share) of the demand and the online applications
  share of it (``demo/applications.py`` adds its few hundred cases of the last three months). Cases
  are decided after realistic processing days, a few are still open and overdue.
* Anonymous ratings after visits and applications (mostly 4–5 stars, a few comments), survey votes
  for "what would you like to do online next?", checklist uses per day, and standard staff times for
  the online services.

Rows are written in bulk (``executemany`` of ready values for tickets and appointments,
``bulk_create`` for the rest). Idempotent: tickets only for offices without past tickets (the rule of
``demo/queue.py``, whose own two weeks this replaces), cases by their fixed draft ids, ratings, votes
and checklist uses only when there are none before today.
"""

from __future__ import annotations

import csv
import datetime as dt
import functools
import hashlib
import heapq
import math
import random
import uuid
from collections import defaultdict, deque
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
from django.conf import settings
from django.core.management.color import no_style
from django.db import connection, models
from django.db.models import Max
from django.utils import timezone

from buergerbuero.accounts.models import User
from buergerbuero.analytics.models import ChecklistUse, Rating, RatingContext, StandardTime, SurveyVote
from buergerbuero.analytics.office_calendar import OfficeCalendar, calendar_for_land, day_features
from buergerbuero.applications import formdef
from buergerbuero.applications.constants import CaseState, Decision, FormStatus, PaymentState
from buergerbuero.applications.hashing import canonical_sha512
from buergerbuero.applications.models import Attachment, Case, FormDefinition
from buergerbuero.appointments.constants import AppointmentState, BookingChannel
from buergerbuero.appointments.models import Appointment, ServiceGroup
from buergerbuero.catalog.models import Service, ServiceOffering
from buergerbuero.catalog.variants import variant
from buergerbuero.queueing import selectors
from buergerbuero.queueing.constants import Priority, TicketSource, TicketState
from buergerbuero.queueing.models import Ticket, TicketSequence
from buergerbuero.queueing.simulation import arrival_profile_from_waits
from buergerbuero.tenants.models import District, Municipality, Office

from . import applications as demo_cases
from . import district as demo

Progress = Callable[[str], None]

#: Arrivals relative to what the counters serve in an average hour, before the day-level effects.
LOAD = 0.75
#: Slack of the staffing, in square roots of the offered load (see ``staffed_counters``).
STAFFING_MARGIN = 0.3
#: The most a day's arrivals keep all counters busy: on busier days the tickets run out.
PEAK_UTILISATION = 0.9
APPOINTMENT_SHARE = 0.3
APPOINTMENT_NO_SHOW = 0.08
WALK_IN_NO_SHOW = 0.03
REMOTE_SHARE = 0.15
SERVICE_CV = 0.5
#: Online share of a service a town takes online, at the start and at the end of the history.
ONLINE_SHARE = (0.12, 0.45)
#: Online applications per unit of online demand (1: as many as the share implies; below 1 would
#: thin them out to keep the demo's load time down).
ONLINE_DEMAND = 1.0
#: Share of visits and of decided applications that leave a rating.
RATED_VISITS = 0.03
RATED_CASES = 0.2
_SEED = 20250907
_CASE_NAMESPACE = uuid.UUID("0b6c2f1e-5d7a-4c1b-8a8e-3f2b9c4d7e61")

#: How often citizens need a service at the counter (relative); services not named weigh 1.
POPULARITY: Mapping[str, float] = {
    "personalausweis": 14, "reisepass": 8, "wohnsitzanmeldung": 9, "wohnsitzabmeldung": 2,
    "meldebescheinigung": 4, "fuehrungszeugnis": 4, "beglaubigung-von-kopien": 3, "unterschriftsbeglaubigung": 2,
    "fahrzeug-zulassen": 9, "fahrzeug-abmelden": 5, "fahrzeugpapiere-aendern": 3, "fuehrerschein-umtauschen": 4,
    "kurzzeitkennzeichen": 2, "gewerbe-anmeldung": 2, "bewohnerparkausweis": 2, "hundesteuer-anmeldung": 1.5,
    "personalausweis-verlust-melden": 1.5, "kinderreisepass": 2,
}  # fmt: skip

#: The Moers figures, for when the data file is absent: within-day intensity per (weekday, hour),
#: and the damped weekday and month levels (see ``moers_pattern``).
_BUILTIN_INTENSITY: Mapping[tuple[int, int], float] = {
    (0, 8): 1.35, (0, 9): 1.2, (0, 10): 1.17, (0, 11): 1.14, (0, 12): 1.06,
    (1, 8): 1.34, (1, 9): 1.17, (1, 10): 1.14, (1, 11): 1.12, (1, 12): 1.05,
    (2, 8): 1.3, (2, 9): 1.13, (2, 10): 1.11, (2, 11): 1.09, (2, 12): 1.03,
    (3, 8): 1.3, (3, 9): 1.16, (3, 10): 1.15, (3, 11): 1.12, (3, 12): 1.02, (3, 13): 0.94, (3, 14): 0.95,
    (3, 15): 1.0, (3, 16): 0.95, (3, 17): 0.93,
    (4, 8): 1.26, (4, 9): 1.1, (4, 10): 1.1, (4, 11): 0.98, (4, 12): 0.94,
    (5, 9): 1.29, (5, 10): 1.08, (5, 11): 1.05, (5, 12): 1.01,
}  # fmt: skip
_BUILTIN_WEEKDAY = {0: 1.09, 1: 1.03, 2: 0.93, 3: 1.09, 4: 0.87, 5: 0.82}
_BUILTIN_MONTH = {1: 0.92, 2: 0.97, 3: 1.02, 4: 1.07, 5: 1.02, 6: 1.24, 7: 1.31, 8: 1.1, 9: 1.0, 10: 0.93,
                  11: 0.89, 12: 0.84}  # fmt: skip
#: Multipliers of the day-level effects, in the order of ``office_calendar.FEATURE_NAMES``: school
#: holiday, first day after a closure, day before a holiday, bridge day, month start, month end.
DAY_EFFECTS = (0.85, 1.25, 1.2, 0.8, 1.12, 1.1)

COMMENTS_GOOD = (
    "Sehr freundlich und schnell, vielen Dank!",
    "Termin pünktlich, alles in zehn Minuten erledigt.",
    "Online ging es viel schneller als erwartet.",
    "Die Checkliste vorab war hilfreich, ich hatte alle Unterlagen dabei.",
    "Kompetente Beratung, gerne wieder.",
)
COMMENTS_BAD = (
    "Lange Wartezeit am Vormittag.",
    "Der Upload der Unterlagen hat beim ersten Mal nicht geklappt.",
    "Ich hätte gern schneller eine Rückmeldung bekommen.",
    "Schwer, einen Termin zu finden.",
)
#: What citizens would like to do online next: (service slug or free suggestion, weight).
SURVEY: tuple[tuple[str, float], ...] = (
    ("fuehrungszeugnis", 30), ("fahrzeug-zulassen", 24), ("bewohnerparkausweis", 18), ("reisepass", 13),
    ("eheschliessung-anmelden", 8), ("personenstandsurkunde-bestellen", 6), ("Sperrmüll anmelden", 5),
    ("fundsache", 3), ("Kita-Platz anmelden", 3),
)  # fmt: skip


# ---------------------------------------------------------------------------------------------- pattern


@dataclass(frozen=True)
class WeeklyPattern:
    """Relative arrival intensity: within the day per (weekday, hour), and per weekday and month."""

    intensity: Mapping[tuple[int, int], float]
    weekday_level: Mapping[int, float]
    month_level: Mapping[int, float]

    def hour(self, weekday: int, hour: int) -> float:
        """The intensity of an hour; hours the Moers office was closed borrow the long Thursday's."""
        if (weekday, hour) in self.intensity:
            return self.intensity[(weekday, hour)]
        if (3, hour) in self.intensity:
            return self.intensity[(3, hour)]
        same_day = [v for (w, _h), v in self.intensity.items() if w == weekday]
        return sum(same_day) / len(same_day) if same_day else 1.0


BUILTIN_PATTERN = WeeklyPattern(_BUILTIN_INTENSITY, _BUILTIN_WEEKDAY, _BUILTIN_MONTH)


def moers_csv() -> Path:
    return Path(settings.SHARED_DATA_DIR) / "waiting" / "moers_buergerservice_hourly_2014_2016.csv"


def moers_pattern(path: Path | None = None) -> WeeklyPattern:
    """The pattern of the Moers data, or the built-in copy when the file is absent.

    Waits are not arrivals: the within-day profile uses the fluid-queue argument of
    ``arrival_profile_from_waits``; the day and month levels are the ratio of the mean wait to the
    overall mean, damped (square root for weekdays, power 0.35 for months) because waits grow much
    faster than arrivals near capacity.
    """
    path = path or moers_csv()
    if not path.exists():
        return BUILTIN_PATTERN
    with path.open(newline="", encoding="utf-8") as handle:
        rows = [
            (r["date"], int(r["weekday_mon0"]), int(r["hour"]), float(r["avg_wait_min"]))
            for r in csv.DictReader(handle)
        ]
    if not rows:
        return BUILTIN_PATTERN
    profile = arrival_profile_from_waits((weekday, hour, wait) for _d, weekday, hour, wait in rows)
    overall = sum(r[3] for r in rows) / len(rows)
    by_weekday: dict[int, list[float]] = defaultdict(list)
    by_month: dict[int, list[float]] = defaultdict(list)
    for day, weekday, _hour, wait in rows:
        by_weekday[weekday].append(wait)
        by_month[int(day[5:7])].append(wait)
    return WeeklyPattern(
        intensity=dict(profile.intensity),
        weekday_level={w: (sum(v) / len(v) / overall) ** 0.5 for w, v in by_weekday.items()},
        month_level={m: (sum(v) / len(v) / overall) ** 0.35 for m, v in by_month.items()},
    )


def day_level(pattern: WeeklyPattern, calendar: OfficeCalendar, day: dt.date) -> float:
    """How busy ``day`` is relative to an average day: weekday, month and calendar effects."""
    level = pattern.weekday_level.get(day.weekday(), 1.0) * pattern.month_level.get(day.month, 1.0)
    for flag, effect in zip(day_features(calendar, day), DAY_EFFECTS, strict=True):
        if flag:
            level *= effect
    return level


def mean_intensity(pattern: WeeklyPattern, day: dt.date, spans: Sequence[tuple[float, float]]) -> float:
    """The mean hour intensity of ``day``'s opening hours (``spans`` in minutes after midnight)."""
    hours = [
        pattern.hour(day.weekday(), math.floor(lo / 60) + k)
        for lo, hi in spans
        for k in range(math.ceil((hi - lo) / 60))
    ]
    return sum(hours) / len(hours) if hours else 1.0


def staffed_counters(counters: int, utilisation: float) -> float:
    """How many of a line's ``counters`` are staffed on a day whose arrivals would keep all of them
    busy ``utilisation`` of the time: the offered load plus ``STAFFING_MARGIN`` times its square root
    (square-root staffing: small lines need a larger share of slack than large ones), at least one.
    A fraction means one more counter staffed for that part of the day, from the opening (the clerk
    then turns to back-office work). Staffing is planned for the whole day, so the morning peak builds
    a queue and the quieter rest of the day drains it, as in the Moers data."""
    load = counters * utilisation
    return min(float(counters), max(1.0, load + STAFFING_MARGIN * math.sqrt(load)))


def online_share(day: dt.date, first: dt.date, last: dt.date) -> float:
    """The online share of a service taken online, rising month by month from the first to the last day."""
    if last <= first:
        return ONLINE_SHARE[1]
    months = (last.year - first.year) * 12 + last.month - first.month
    month = (day.year - first.year) * 12 + day.month - first.month
    position = min(max(month / months, 0.0), 1.0) if months else 1.0
    return ONLINE_SHARE[0] + (ONLINE_SHARE[1] - ONLINE_SHARE[0]) * position


# ---------------------------------------------------------------------------------------------- entry


def history_days() -> int:
    return int(getattr(settings, "DEMO_HISTORY_DAYS", 365))


def load_demo_history(
    progress: Progress = lambda message: None, *, days: int | None = None, now: dt.datetime | None = None
) -> None:
    """Idempotent; call with scopes disabled, after the queue and application demos."""
    now = now or timezone.now()
    days = history_days() if days is None else days
    today = timezone.localdate(now)
    first = today - dt.timedelta(days=days)
    if days <= 0:
        return
    pattern = moers_pattern()
    district = District.objects.get(ars=demo.KREIS_KEY)
    online = _online_pairs(district)
    visits = load_ticket_history(first=first, today=today, pattern=pattern, online=online, progress=progress)
    cases = load_case_history(first=first, now=now, visits=visits, progress=progress)
    _load_ratings(district, first, today, visits, progress)
    _load_survey(district, first, today, progress)
    _load_checklist_uses(district, first, today, progress)
    _load_standard_times(district, progress)
    progress(f"  history: {days} days, {sum(visits.values())} visits, {cases} older online applications")


def _online_pairs(district: District) -> set[tuple[int, int]]:
    """(municipality id, service id) of every service a town of the Kreis takes online."""
    offerings = ServiceOffering.objects.filter(municipality__district=district).select_related("service")
    return {(o.municipality_id, o.service_id) for o in offerings if variant(o.service, o).online_application}


# ---------------------------------------------------------------------------------------------- tickets


@dataclass
class _Rows:
    """Ready-to-insert values of one office's history (see ``_insert``)."""

    tickets: list[tuple[Any, ...]] = field(default_factory=list)
    appointments: list[tuple[Any, ...]] = field(default_factory=list)
    appointment_services: list[tuple[int, int]] = field(default_factory=list)
    sequences: dict[tuple[dt.date, str], int] = field(default_factory=dict)
    #: visits (tickets served) per (office, service, day), for the ratings
    visits: dict[tuple[int, int | None, dt.date], int] = field(default_factory=lambda: defaultdict(int))


TICKET_COLUMNS = (
    "public_id", "office_id", "day", "prefix", "number", "group_id", "service_id", "source", "state", "priority",
    "appointment_id", "created_at", "arrived_at", "queued_at", "called_at", "last_called_at", "started_at",
    "ended_at", "counter_id", "clerk_id",
)  # fmt: skip
# Plain values for the raw rows (what the database driver sees).
_APPOINTMENT, _REMOTE, _KIOSK = TicketSource.APPOINTMENT.value, TicketSource.REMOTE.value, TicketSource.KIOSK.value
_NO_SHOW, _DONE = TicketState.NO_SHOW.value, TicketState.DONE.value
_PRIORITY, _NORMAL = int(Priority.APPOINTMENT), int(Priority.NORMAL)
APPOINTMENT_COLUMNS = (
    "id", "public_id", "code", "office_id", "group_id", "starts_at", "ends_at", "state", "channel", "name",
    "email", "phone", "person_key", "created_at", "confirmed_at", "reminder_sent_at", "checked_in_at", "no_show_at",
)  # fmt: skip


@dataclass
class _Context:
    """What the simulation of one office needs, read once."""

    office: Office
    groups: list[tuple[ServiceGroup, list[Service], list[int]]]
    clerks: list[int]
    calendar: OfficeCalendar
    pattern: WeeklyPattern
    online: set[int]
    first: dt.date
    last: dt.date
    keep_personal_from: dt.date
    next_appointment_id: int
    naive: bool
    native_uuid: bool


def load_ticket_history(
    *, first: dt.date, today: dt.date, pattern: WeeklyPattern, online: set[tuple[int, int]],
    progress: Progress = lambda message: None,
) -> dict[tuple[int, int | None, dt.date], int]:  # fmt: skip
    """Past tickets and appointments from ``first`` to yesterday for every office with lines that has
    no past tickets yet; returns the visits per (office, service, day) written."""
    offices = list(
        Office.objects.filter(service_groups__isnull=False)
        .select_related("municipality__district")
        .distinct()
        .order_by("municipality__name", "name")
    )
    rng = np.random.default_rng(_SEED)
    visits: dict[tuple[int, int | None, dt.date], int] = {}
    next_id = (Appointment.objects.aggregate(top=Max("pk"))["top"] or 0) + 1
    with _large_sqlite_cache():
        for office in offices:
            if Ticket.objects.filter(office=office, day__lt=today).exists():
                progress(f"  {office}: history already there")
                continue
            context = _context(office, first, today, pattern, online, next_id)
            rows = _Rows()
            for day, intervals in selectors.opening_days(office, first, context.last).items():
                for group, services, counters in context.groups:
                    _simulate_day(context, rows, rng, day, intervals, group, services, counters)
            next_id = context.next_appointment_id
            _write(office, rows, context.native_uuid)
            visits.update(rows.visits)
            progress(f"  {office}: {len(rows.tickets)} past tickets, {len(rows.appointments)} past appointments")
    if next_id > 1 and connection.vendor != "sqlite":
        # The appointments were written with explicit ids: move the id sequence past them.
        with connection.cursor() as cursor:
            for statement in connection.ops.sequence_reset_sql(no_style(), [Appointment]):
                cursor.execute(statement)
    return visits


def _context(
    office: Office, first: dt.date, today: dt.date, pattern: WeeklyPattern, online: set[tuple[int, int]],
    next_id: int,
) -> _Context:  # fmt: skip
    groups = []
    for group in ServiceGroup.objects.filter(office=office).prefetch_related("services", "counters"):
        counters = [c.pk for c in group.counters.all() if c.is_active]
        services = list(group.services.all())
        if counters and services:
            groups.append((group, services, counters))
    clerks = (
        User.objects.filter(staff_roles__municipality=office.municipality)
        .order_by("username")
        .values_list("pk", flat=True)
        .distinct()
    )
    return _Context(
        office=office,
        groups=groups,
        clerks=list(clerks),
        calendar=_calendar(office.municipality.district.state_code or "NW", first.year, today.year),
        pattern=pattern,
        online={service for municipality, service in online if municipality == office.municipality_id},
        first=first,
        last=today - dt.timedelta(days=1),
        keep_personal_from=today - dt.timedelta(days=settings.ANONYMISE_APPOINTMENTS_AFTER_DAYS),
        next_appointment_id=next_id,
        naive=not settings.USE_TZ or connection.vendor == "sqlite",
        native_uuid=connection.features.has_native_uuid_field,
    )


@functools.cache
def _calendar(state_code: str, first_year: int, last_year: int) -> OfficeCalendar:
    return calendar_for_land(state_code, range(first_year, last_year + 1))


def _write(office: Office, rows: _Rows, native_uuid: bool) -> None:
    _insert(Appointment, APPOINTMENT_COLUMNS, _with_public_ids(rows.appointments, 1, native_uuid))
    _insert(Appointment.services.through, ("appointment_id", "service_id"), rows.appointment_services)
    _insert(Ticket, TICKET_COLUMNS, _with_public_ids(rows.tickets, 0, native_uuid))
    TicketSequence.objects.bulk_create(
        [TicketSequence(office=office, day=d, prefix=p, last_number=n) for (d, p), n in rows.sequences.items()],
        update_conflicts=True,
        unique_fields=["office", "day", "prefix"],
        update_fields=["last_number"],
    )


@contextmanager
def _large_sqlite_cache() -> Iterator[None]:
    """On SQLite, let the page cache hold the ticket indexes while a year of rows goes in (256 MB at
    most, for this connection and only while loading): with the default 2 MB the inserts take twice
    as long."""
    if connection.vendor != "sqlite":
        yield
        return
    with connection.cursor() as cursor:
        cursor.execute("PRAGMA cache_size")
        before = cursor.fetchone()[0]
        cursor.execute("PRAGMA cache_size = -262144")
    try:
        yield
    finally:
        with connection.cursor() as cursor:
            cursor.execute(f"PRAGMA cache_size = {int(before)}")


def _simulate_day(
    context: _Context, rows: _Rows, rng: np.random.Generator, day: dt.date,
    intervals: Sequence[tuple[dt.datetime, dt.datetime]], group: ServiceGroup, services: Sequence[Service],
    counters: Sequence[int],
) -> None:  # fmt: skip
    """Simulate one line of one office on one day and add its rows."""
    share = online_share(day, context.first, context.last)
    weights = np.array(
        [POPULARITY.get(s.slug, 1.0) * ((1 - share) if s.pk in context.online else 1.0) for s in services]
    )
    weights /= weights.sum()
    minutes = np.array([float(s.counter_minutes or 10) for s in services])
    capacity = len(counters) * 60 / float(weights @ minutes)
    level = day_level(context.pattern, context.calendar, day) * float(rng.lognormal(0, 0.1)) * LOAD
    tz = timezone.get_current_timezone()
    midnight = dt.datetime.combine(day, dt.time(0), tzinfo=tz).astimezone(dt.UTC)
    if context.naive:
        midnight = midnight.replace(tzinfo=None)
    spans = [(_minutes(start, tz), _minutes(end, tz) - 15) for start, end in intervals]
    intensity = mean_intensity(context.pattern, day, spans)
    # On the busiest days the office stops issuing tickets once the day is full.
    level = min(level, PEAK_UTILISATION / intensity)
    staffed = staffed_counters(len(counters), level * intensity)
    counters = counters[: math.ceil(staffed)]
    # Walk-ins follow the Moers hour profile; appointments fill the opening hours evenly (5-minute grid).
    walk_ins: list[float] = []
    open_minutes = 0.0
    for opens, closes in spans:
        open_minutes += max(closes - opens, 0)
        hour = math.floor(opens / 60)
        while hour * 60 < closes:
            lo, hi = max(hour * 60.0, opens), min((hour + 1) * 60.0, closes)
            if hi > lo:
                rate = capacity * level * (1 - APPOINTMENT_SHARE) * context.pattern.hour(day.weekday(), hour)
                walk_ins.extend(rng.uniform(lo, hi, int(rng.poisson(rate * (hi - lo) / 60))).tolist())
            hour += 1
    booked = int(rng.poisson(capacity * level * APPOINTMENT_SHARE * open_minutes / 60))
    slots: list[float] = []
    for _ in range(booked):
        at = float(rng.uniform(0, open_minutes))
        for opens, closes in spans:
            if at < closes - opens:
                slots.append(opens + 5 * math.floor(at / 5))
                break
            at -= max(closes - opens, 0)
    n_walk, n_app = len(walk_ins), len(slots)
    total = n_walk + n_app
    if not total:
        return
    # Everything random per arrival, drawn at once.
    picks = rng.choice(len(services), size=total, p=weights)
    sigma2 = math.log1p(SERVICE_CV**2)
    durations = np.exp(np.log(minutes[picks]) - sigma2 / 2 + math.sqrt(sigma2) * rng.standard_normal(total))
    uniforms = rng.random((total, 5))
    # arrival: (minute, kind 0 walk-in / 1 appointment, index into the draws, slot)
    arrivals = [(t, 0, i, 0.0) for i, t in enumerate(walk_ins)]
    for j, slot in enumerate(slots):
        i = n_walk + j
        arrivals.append((slot - 10 * float(uniforms[i, 0]), 1, i, slot))
    arrivals.sort()

    prefix = group.ticket_prefix
    closing = spans[-1][1] + 45  # the last ticket 15 minutes before closing, served out for half an hour
    free = [(spans[0][0], index) for index in range(len(counters))]
    # The counter staffed for part of the day leaves the line after that part of the opening hours.
    leaves = [math.inf] * len(counters)
    if staffed < len(counters):
        leaves[-1] = spans[0][0] + (staffed - math.floor(staffed)) * open_minutes
    heapq.heapify(free)
    waiting_app: deque[tuple[float, int, int, float]] = deque()
    waiting_walk: deque[tuple[float, int, int, float]] = deque()
    served: list[tuple[float, tuple[Any, ...]]] = []
    pos = 0
    app_ids: dict[int, int] = {}
    # Appointment rows (no-shows never reach the line).
    for arrived, kind, i, slot in arrivals:
        if kind != 1:
            continue
        app_ids[i] = context.next_appointment_id
        context.next_appointment_id += 1
        no_show = bool(uniforms[i, 1] < APPOINTMENT_NO_SHOW)
        service = services[int(picks[i])]
        rows.appointments.append(
            _appointment_row(
                context, midnight, day, group, service, app_ids[i], slot, arrived, no_show, float(uniforms[i, 2])
            )
        )
        rows.appointment_services.append((app_ids[i], service.pk))
    arrivals = [a for a in arrivals if a[1] == 0 or uniforms[a[2], 1] >= APPOINTMENT_NO_SHOW]
    while pos < len(arrivals) or waiting_app or waiting_walk:
        moment, counter_index = heapq.heappop(free)
        while pos < len(arrivals) and arrivals[pos][0] <= moment:
            (waiting_app if arrivals[pos][1] else waiting_walk).append(arrivals[pos])
            pos += 1
        if not waiting_app and not waiting_walk:
            moment = arrivals[pos][0]
            (waiting_app if arrivals[pos][1] else waiting_walk).append(arrivals[pos])
            pos += 1
        if moment >= leaves[counter_index] and free:
            continue
        arrived, kind, i, _slot = waiting_app.popleft() if waiting_app else waiting_walk.popleft()
        called = max(moment, arrived)
        if called > closing:
            break  # the rest expired at closing: not part of the history
        u = uniforms[i]
        no_show = kind == 0 and bool(u[3] < WALK_IN_NO_SHOW)
        started = called + 0.3 + 1.2 * float(u[4])
        ended = called + 2 if no_show else started + float(durations[i])
        heapq.heappush(free, (ended + 0.2 + 0.8 * float(u[2]), counter_index))
        service = services[int(picks[i])]
        source = _APPOINTMENT if kind else (_REMOTE if u[2] < REMOTE_SHARE else _KIOSK)
        arrived_at = midnight + dt.timedelta(minutes=arrived)
        created = arrived_at - dt.timedelta(minutes=20) if source == _REMOTE else arrived_at
        call_at = midnight + dt.timedelta(minutes=called)
        served.append((arrived, (
            None, context.office.pk, day, prefix, 0, group.pk, service.pk, source,
            _NO_SHOW if no_show else _DONE, _PRIORITY if kind else _NORMAL, app_ids.get(i), created, arrived_at,
            arrived_at, call_at, call_at,
            None if no_show else midnight + dt.timedelta(minutes=started), midnight + dt.timedelta(minutes=ended),
            counters[counter_index], context.clerks[counter_index % len(context.clerks)] if context.clerks else None,
        )))  # fmt: skip
        if not no_show:
            rows.visits[(context.office.pk, service.pk, day)] += 1
    served.sort(key=lambda item: item[0])
    number = rows.sequences.get((day, prefix), 0)
    for _arrived, row in served:
        number += 1
        rows.tickets.append((*row[:4], number, *row[5:]))
    if served:
        rows.sequences[(day, prefix)] = number


def _appointment_row(
    context: _Context, midnight: dt.datetime, day: dt.date, group: ServiceGroup, service: Service, pk: int,
    slot: float, arrived: float, no_show: bool, u: float,
) -> tuple[Any, ...]:  # fmt: skip
    starts = midnight + dt.timedelta(minutes=slot)
    created = starts - dt.timedelta(days=1 + 20 * u, minutes=37)
    personal = day >= context.keep_personal_from
    first = demo_cases.FIRST_NAMES["weiblich" if u < 0.5 else "maennlich"][pk % 10]
    last = demo_cases.LAST_NAMES[pk % len(demo_cases.LAST_NAMES)]
    email = f"termin{pk}@example.org"
    return (
        pk, None, f"V-{pk:07d}", context.office.pk, group.pk, starts,
        starts + dt.timedelta(minutes=service.counter_minutes or 10),
        AppointmentState.NO_SHOW.value if no_show else AppointmentState.COMPLETED.value,
        BookingChannel.PHONE.value if u > 0.8 else BookingChannel.ONLINE.value,
        f"{first} {last}" if personal else "", email if personal else "", "",
        hashlib.sha256(email.encode()).hexdigest() if personal else "",
        created, created, starts - dt.timedelta(hours=24) if created < starts - dt.timedelta(hours=24) else None,
        None if no_show else midnight + dt.timedelta(minutes=arrived),
        starts + dt.timedelta(minutes=30) if no_show else None,
    )  # fmt: skip


def _with_public_ids(rows: Sequence[tuple[Any, ...]], index: int, native_uuid: bool) -> list[tuple[Any, ...]]:
    """Fill column ``index`` with random UUIDs, in ascending order: the unique index then takes them
    in one sweep instead of at random places (several times faster on SQLite for a year of rows)."""
    ids: list[Any] = sorted(uuid.uuid4() for _ in rows)
    if not native_uuid:
        ids = [value.hex for value in ids]
    return [(*row[:index], value, *row[index + 1 :]) for row, value in zip(rows, ids, strict=True)]


def _minutes(moment: dt.datetime, tz: dt.tzinfo) -> float:
    local = moment.astimezone(tz)
    return local.hour * 60 + local.minute + local.second / 60


def _insert(model: type[models.Model], columns: Sequence[str], rows: Sequence[tuple[Any, ...]]) -> None:
    """Insert ready values for ``columns`` (attnames); every other column gets its field default."""
    if not rows:
        return
    meta = model._meta
    by_attname = {f.attname: f for f in meta.concrete_fields}
    rest = [f for f in meta.concrete_fields if f.attname not in columns and not f.primary_key]
    constant = tuple(f.get_db_prep_save(f.get_default(), connection) for f in rest)
    names = [by_attname[c].column for c in columns] + [f.column for f in rest]
    quoted = ", ".join(connection.ops.quote_name(n) for n in names)
    placeholders = ", ".join(["%s"] * len(names))
    table = connection.ops.quote_name(meta.db_table)
    with connection.cursor() as cursor:
        cursor.executemany(
            f"INSERT INTO {table} ({quoted}) VALUES ({placeholders})",  # noqa: S608 - names from the model
            [(*row, *constant) for row in rows],
        )


# ---------------------------------------------------------------------------------------------- cases


def load_case_history(
    *, first: dt.date, now: dt.datetime, visits: Mapping[tuple[int, int | None, dt.date], int],
    progress: Progress = lambda message: None,
) -> int:  # fmt: skip
    """Online applications from ``first`` to yesterday, consistent with the on-site ``visits`` of the
    ticket history: for a service a town takes online, the town's demand splits into on-site visits,
    (1 - share), and online applications, share (``online_share``), so each day's online count is
    drawn around ``visits * share / (1 - share)``. Once, recognised by their fixed draft ids.
    (``demo/applications.py`` adds its few hundred cases of the last three months on top.)"""
    if Case.objects.filter(draft_id=_case_draft_id(1)).exists():
        progress("  older online applications: already loaded")
        return 0
    published = FormDefinition.objects.filter(status=FormStatus.PUBLISHED).select_related("service").order_by("version")
    forms = {form.service.slug: form for form in published}
    district = District.objects.get(ars=demo.KREIS_KEY)
    towns = demo_cases._towns(district)
    pairs = demo_cases._online_offerings(towns, forms)
    if not pairs:
        return 0
    rng = random.Random(_SEED)  # noqa: S311 - demo data, reproducible on purpose
    last = timezone.localdate(now)
    specs = {slug: formdef.parse_definition(form.definition) for slug, form in forms.items()}
    by_ids = {(towns[t].municipality.pk, forms[slug].service_id): (t, slug) for t, slug in pairs}
    municipality_of = dict(Office.objects.values_list("pk", "municipality_id"))
    demand: dict[tuple[dt.date, str, str], float] = defaultdict(float)
    for (office_id, service_id, day), count in visits.items():
        pair = by_ids.get((municipality_of[office_id], service_id or 0))
        if pair is not None and first <= day < last:
            share = online_share(day, first, last - dt.timedelta(days=1))
            demand[(day, *pair)] += count * share / (1 - share) * ONLINE_DEMAND
    planned: list[demo_cases.Planned] = []
    number = 0
    tz = timezone.get_current_timezone()
    for (day, town_slug, slug), rate in sorted(demand.items()):
        for _ in range(_poisson(rng, rate)):
            number += 1
            town = towns[town_slug]
            moment = dt.datetime.combine(day, dt.time(7), tzinfo=tz)
            submitted = moment + dt.timedelta(minutes=rng.randrange(0, 900))
            person = demo_cases._person(rng, town)
            planned.append(demo_cases.Planned(number, town, forms[slug], specs[slug], person, submitted, ""))
    numbers = demo_cases._file_numbers(district, planned)
    # Accounts with names of their own, as in demo/applications.py.
    citizens = demo_cases.demo_citizens(planned, prefix="demo-history", digits=5)
    fees = demo_cases._FeeRules()
    pdf_name = demo_cases._demo_pdf()
    cases: list[Case] = []
    attachments: list[Attachment] = []
    for item in planned:
        citizen = citizens[item.number]
        data, files = demo_cases._data(rng, item)
        files = [(path, str(uuid.uuid5(_CASE_NAMESPACE, f"{item.number}-{path}"))) for path, _id in files]
        for path, public_id in files:  # ids of their own: those of demo/applications.py count from 1 as well
            formdef.set_value(data, path, [public_id])
        fee = fees.fee(item, data)
        case = Case(
            municipality=item.town.municipality, service=item.form.service, form=item.form,
            file_number=numbers[item.number], draft_id=_case_draft_id(item.number), citizen=citizen,
            applicant_name=formdef.applicant_name(item.spec, data)[:200] or citizen.get_full_name(),
            applicant_email=formdef.applicant_email(item.spec, data) or citizen.email, language="de", data=data,
            data_sha512=canonical_sha512(data), submitted_at=item.submitted_at,
            due_at=item.submitted_at + dt.timedelta(days=item.spec.processing_days),
            legal_basis=item.form.service.legal_basis, fee_amount=fee,
            payment_state=PaymentState.OPEN if fee > 0 else PaymentState.NOT_REQUIRED,
        )  # fmt: skip
        item.state = _decide_old(rng, case, item, first, last, now)
        cases.append(case)
        for path, public_id in files:
            attachments.append(demo_cases._attachment(public_id, path, citizen, pdf_name, item.submitted_at))
    Case.objects.bulk_create(cases)
    for case, attachment_list in demo_cases._attachments_by_case(cases, attachments):
        for attachment in attachment_list:
            attachment.case = case
    Attachment.objects.bulk_create(attachments)
    demo_cases._timelines(rng, cases, planned, now)
    progress(f"  older online applications: {len(cases)}")
    return len(cases)


def _case_draft_id(number: int) -> uuid.UUID:
    return uuid.uuid5(_CASE_NAMESPACE, f"demo-history-case-{number}")


def _poisson(rng: random.Random, rate: float) -> int:
    """Knuth's Poisson draw (the rates here are small)."""
    limit, count, product = math.exp(-rate), 0, rng.random()
    while product > limit:
        count += 1
        product *= rng.random()
    return count


def _decide_old(
    rng: random.Random, case: Case, item: demo_cases.Planned, first: dt.date, last: dt.date, now: dt.datetime
) -> str:
    """Most cases are closed, decided after realistic days (faster later in the year); a few are
    still open and overdue (the backlog), and so are those whose decision would lie after ``now``."""
    case.assignee = item.town.clerk
    maturity = online_share(item.submitted_at.date(), first, last) / ONLINE_SHARE[1]
    typical = item.spec.processing_days * (0.9 - 0.4 * maturity)
    days = max(0.2, rng.lognormvariate(math.log(max(typical, 0.5)), 0.6))
    if rng.random() < 0.03 or item.submitted_at + dt.timedelta(days=days) > now:
        case.state = CaseState.IN_REVIEW
        if case.fee_amount > 0 and rng.random() < 0.6:
            case.payment_state = PaymentState.PAID
        return case.state
    case.decided_at = item.submitted_at + dt.timedelta(days=days)
    approved = rng.random() < 0.92
    case.decision = Decision.APPROVED if approved else Decision.REJECTED
    case.decision_text = demo_cases.APPROVED_TEXT if approved else demo_cases.REJECTED_TEXT
    case.state = CaseState.CLOSED if rng.random() < 0.9 else CaseState.DECIDED
    if case.state == CaseState.CLOSED:
        case.closed_at = min(case.decided_at + dt.timedelta(days=rng.uniform(0.5, 5)), now)
    if case.fee_amount > 0:
        case.payment_state = PaymentState.PAID
    return case.state


# ---------------------------------------------------------------------------------------------- what citizens say


def _load_ratings(
    district: District, first: dt.date, today: dt.date, visits: Mapping[tuple[int, int | None, dt.date], int],
    progress: Progress,
) -> None:  # fmt: skip
    if Rating.objects.filter(municipality__district=district, day__lt=today).exists():
        return
    rng = random.Random(_SEED + 1)  # noqa: S311 - demo data
    municipality_of = dict(Office.objects.values_list("pk", "municipality_id"))
    ratings: list[Rating] = []
    for (office_id, service_id, day), count in visits.items():
        for _ in range(_poisson(rng, count * RATED_VISITS)):
            ratings.append(_rating(rng, municipality_of[office_id], office_id, service_id, RatingContext.VISIT, day))
    decided = Case.objects.filter(
        municipality__district=district, decided_at__date__gte=first, decided_at__date__lt=today
    )
    for municipality_id, service_id, decided_at in decided.values_list("municipality_id", "service_id", "decided_at"):
        if rng.random() < RATED_CASES:
            day = timezone.localdate(decided_at)
            ratings.append(_rating(rng, municipality_id, None, service_id, RatingContext.APPLICATION, day))
    Rating.objects.bulk_create(ratings, batch_size=2000)
    progress(f"  ratings: {len(ratings)}")


def _rating(
    rng: random.Random, municipality_id: int, office_id: int | None, service_id: int | None, context: str,
    day: dt.date,
) -> Rating:  # fmt: skip
    stars = rng.choices((5, 4, 3, 2, 1), weights=(52, 30, 10, 5, 3))[0]
    comment = ""
    if rng.random() < 0.15:
        comment = rng.choice(COMMENTS_GOOD if stars >= 4 else COMMENTS_BAD)
    return Rating(
        municipality_id=municipality_id, office_id=office_id, service_id=service_id, context=context,
        stars=stars, comment=comment, day=day,
    )  # fmt: skip


def _load_survey(district: District, first: dt.date, today: dt.date, progress: Progress) -> None:
    if SurveyVote.objects.filter(district=district, day__lt=today).exists():
        return
    rng = random.Random(_SEED + 2)  # noqa: S311 - demo data
    services = {s.slug: s for s in Service.objects.filter(slug__in=[name for name, _w in SURVEY])}
    towns = list(Municipality.objects.filter(district=district).order_by("pk"))
    names = [name for name, _w in SURVEY if name in services or " " in name]
    weights = [w for name, w in SURVEY if name in names]
    votes = []
    span = (today - first).days
    for offset in range(span):
        day = first + dt.timedelta(days=offset)
        for _ in range(_poisson(rng, 4.0 if day.weekday() < 5 else 1.5)):
            name = rng.choices(names, weights=weights)[0]
            votes.append(SurveyVote(
                district=district, municipality=rng.choice(towns) if towns else None, service=services.get(name),
                suggestion="" if name in services else name, day=day,
            ))  # fmt: skip
    SurveyVote.objects.bulk_create(votes, batch_size=2000)
    progress(f"  survey answers: {len(votes)}")


def _load_checklist_uses(district: District, first: dt.date, today: dt.date, progress: Progress) -> None:
    if ChecklistUse.objects.filter(municipality__district=district, day__lt=today).exists():
        return
    rng = random.Random(_SEED + 3)  # noqa: S311 - demo data
    towns = list(Municipality.objects.filter(district=district).order_by("pk"))
    services = list(Service.objects.filter(slug__in=POPULARITY).order_by("slug"))
    uses = []
    for offset in range((today - first).days):
        day = first + dt.timedelta(days=offset)
        share = online_share(day, first, today)
        for town in towns:
            scale = max((town.population or 20000) / 40000, 0.3) * (1.0 if day.weekday() < 5 else 0.4)
            for service in services:
                count = _poisson(rng, POPULARITY[service.slug] * 0.12 * scale * (0.5 + share))
                if count:
                    uses.append(ChecklistUse(municipality=town, service=service, day=day, count=count))
    ChecklistUse.objects.bulk_create(uses, batch_size=5000)
    progress(f"  checklist uses: {len(uses)} town-days")


def _load_standard_times(district: District, progress: Progress) -> None:
    services = Service.objects.filter(online_application=True).order_by("slug")
    for service in services:
        on_site = (service.counter_minutes or 10) + 10
        StandardTime.objects.get_or_create(
            district=district,
            service=service,
            defaults={"on_site_minutes": on_site, "online_minutes": max(round(on_site * 0.4), 3)},
        )
    progress(f"  standard times: {services.count()} online services")
