"""Demo live queue: queue settings and ticket prefixes for every office with lines, two weeks of
finished tickets, and — when the demo runs during opening hours — today's live queue.

History is written as rows (one ``executemany`` per office, no model instances): per open day,
arrivals follow the weekday × hour profile derived from the Moers Bürgerservice waits
(``queueing.simulation.arrival_profile_from_waits``; data: MIT licence, (c) 2014, 2015 Thomas
Tursics), scaled to the office's counters; service times are lognormal around the catalogue's
counter minutes (coefficient of variation 0.5); the counters serve first come, first served. That
gives the service-time learning and the statistics a history to read (two weeks are about 40
finished tickets per service, plenty for ``fit_service_time``). Only the tickets' own timestamps are
written, no ``TicketEvent`` rows: four event rows per ticket made the loader several times slower,
and the learning and statistics read the ticket timestamps. Building ``Ticket`` instances and
letting ``bulk_create`` prepare every value took most of the loader's time, hence the plain rows.

Today's live state goes through the real services: the demo clerks sign into counters
(``open_session``), a few people draw tickets (``draw_ticket``) and one is called (``call_next``).

Idempotent: history is written only for offices that have no past tickets, today's queue only when
the office has no tickets today yet. The demo loader passes ``history=False``: its past (a year, with
appointments and calendar effects) comes from ``demo/history.py``.
"""

from __future__ import annotations

import csv
import functools
import math
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from pathlib import Path
from typing import Any

import numpy as np
from django.conf import settings
from django.db import connection, models
from django.db.models import Q
from django.utils import timezone

from buergerbuero.accounts.models import User
from buergerbuero.appointments.models import ServiceGroup
from buergerbuero.catalog.models import Service
from buergerbuero.queueing import selectors
from buergerbuero.queueing.constants import RemoteTickets, TicketSource, TicketState
from buergerbuero.queueing.models import CounterSession, QueueSettings, Ticket, TicketSequence
from buergerbuero.queueing.services import QueueError, counters, tickets
from buergerbuero.queueing.simulation import ArrivalProfile, arrival_profile_from_waits
from buergerbuero.tenants.models import Counter, Office

Progress = Callable[[str], None]

HISTORY_DAYS = 14
LOAD = 0.8
"""Arrivals relative to what the counters can serve in the average hour (κ = 1)."""
SERVICE_CV = 0.5
NO_SHOW_SHARE = 0.03
REMOTE_SHARE = 0.15
LIVE_WAITING = (2, 6)
"""How many people draw a ticket in today's live queue (at least, less than)."""
_SEED = 5162


def moers_csv() -> Path:
    return Path(settings.SHARED_DATA_DIR) / "waiting" / "moers_buergerservice_hourly_2014_2016.csv"


def load_arrival_profile(path: Path | None = None) -> ArrivalProfile | None:
    """The weekday × hour arrival profile of the Moers data, or ``None`` when the file is missing."""
    path = path or moers_csv()
    if not path.exists():
        return None
    with path.open(newline="", encoding="utf-8") as handle:
        rows = [(int(r["weekday_mon0"]), int(r["hour"]), float(r["avg_wait_min"])) for r in csv.DictReader(handle)]
    return arrival_profile_from_waits(rows)


def load_demo_queue(
    *, now: datetime | None = None, progress: Progress = lambda message: None, history: bool = True
) -> None:
    """Idempotent; call with scopes disabled. ``history=False`` leaves the past to ``demo/history.py``."""
    now = now or timezone.now()
    profile = load_arrival_profile()
    rng = np.random.default_rng(_SEED)
    offices = list(
        Office.objects.filter(service_groups__isnull=False)
        .select_related("municipality__district")
        .distinct()
        .order_by("municipality__name", "name")
    )
    signed_in: set[int] = set(CounterSession.objects.filter(ended_at__isnull=True).values_list("user_id", flat=True))
    for index, office in enumerate(offices):
        QueueSettings.objects.update_or_create(
            office=office,
            defaults={
                "remote_tickets": RemoteTickets.DIRECT if index == 0 else RemoteTickets.CHECK_IN,
                "spoken_calls": index == 1,
            },
        )
        groups = list(ServiceGroup.objects.filter(office=office).prefetch_related("services", "counters"))
        for number, group in enumerate(groups):
            if not group.ticket_prefix:
                group.ticket_prefix = "ABCDEFGHJ"[number % 9]
                group.save(update_fields=["ticket_prefix"])
        past = _load_history(office, groups, profile, now, rng) if history else 0
        live = _load_today(office, groups, profile, now, rng, signed_in)
        progress(f"  {office}: {past} past tickets, {live} waiting now")


# --- history (rows) ------------------------------------------------------------------------------


@dataclass
class _Finished:
    rows: list[dict[str, object]] = field(default_factory=list)
    """Finished tickets as column values by field name (``office_id``, ``started_at``, …)."""
    last_numbers: dict[tuple[date, str], int] = field(default_factory=dict)


def _load_history(
    office: Office, groups: Sequence[ServiceGroup], profile: ArrivalProfile | None, now: datetime,
    rng: np.random.Generator,
) -> int:  # fmt: skip
    today = timezone.localdate(now)
    if Ticket.objects.filter(office=office, day__lt=today).exists():
        return 0
    out = _Finished()
    clerks = _clerks(office)
    opening = selectors.opening_days(office, today - timedelta(days=HISTORY_DAYS), today - timedelta(days=1))
    for day, intervals in opening.items():
        _simulate_day(office, groups, clerks, profile, day, intervals, None, rng, out)
    return _write(office, out)


def _clerks(office: Office) -> list[User]:
    return list(User.objects.filter(staff_roles__municipality=office.municipality).order_by("username"))


def _simulate_day(
    office: Office, groups: Sequence[ServiceGroup], clerks: Sequence[User], profile: ArrivalProfile | None,
    day: date, intervals: Sequence[tuple[datetime, datetime]], until: datetime | None, rng: np.random.Generator,
    out: _Finished,
) -> None:  # fmt: skip
    """Simulate ``day`` (open in ``intervals``, up to ``until``) and add its finished tickets to ``out``."""
    if not intervals:
        return
    for group in groups:
        services = list(group.services.all())
        line_counters = [c for c in group.counters.all() if c.is_active]
        if not services or not line_counters:
            continue
        _simulate_line(office, group, services, line_counters, clerks, profile, day, intervals, until, rng, out)


def _write(office: Office, out: _Finished) -> int:
    """Insert the simulated tickets with one ``executemany`` and set the days' number sequences."""
    if not out.rows:
        return 0
    fields = [f for f in Ticket._meta.concrete_fields if not f.primary_key]
    given = out.rows[0].keys()
    constant = {f.attname: f.get_db_prep_save(f.get_default(), connection) for f in fields if f.attname not in given}
    adapt = {f.attname: _adapter(f) for f in fields if f.attname in given}
    columns = ", ".join(connection.ops.quote_name(f.column) for f in fields)
    placeholders = ", ".join(["%s"] * len(fields))
    table = connection.ops.quote_name(Ticket._meta.db_table)
    params: list[list[Any]] = [
        [adapt[f.attname](row[f.attname]) if f.attname in adapt else constant[f.attname] for f in fields]
        for row in out.rows
    ]
    with connection.cursor() as cursor:
        cursor.executemany(f"INSERT INTO {table} ({columns}) VALUES ({placeholders})", params)  # noqa: S608
    TicketSequence.objects.bulk_create(
        [TicketSequence(office=office, day=d, prefix=p, last_number=n) for (d, p), n in out.last_numbers.items()],
        update_conflicts=True,
        unique_fields=["office", "day", "prefix"],
        update_fields=["last_number"],
    )
    return len(out.rows)


def _adapter(model_field: models.Field[Any, Any]) -> Callable[[Any], Any]:
    """Python value → what the cursor takes, without the per-value field machinery for the common types."""
    if isinstance(model_field, models.DateTimeField):
        # A ticket's arrival, queueing and call times repeat within the row: convert each moment once.
        return functools.lru_cache(maxsize=64)(connection.ops.adapt_datetimefield_value)
    if isinstance(model_field, models.DateField):
        return connection.ops.adapt_datefield_value
    if isinstance(model_field, models.UUIDField):
        return lambda value: model_field.get_db_prep_value(value, connection)
    return lambda value: value


def _simulate_line(
    office: Office, group: ServiceGroup, services: Sequence[Service], line_counters: Sequence[Counter],
    clerks: Sequence[User], profile: ArrivalProfile | None, day: date,
    intervals: Sequence[tuple[datetime, datetime]], until: datetime | None, rng: np.random.Generator, out: _Finished,
) -> None:  # fmt: skip
    mean_minutes = float(np.mean([s.counter_minutes or 10 for s in services]))
    per_hour = len(line_counters) * 60 / mean_minutes * LOAD * float(rng.lognormal(0, 0.15))
    midnight = datetime.combine(day, time(0), tzinfo=timezone.get_current_timezone())
    arrivals: list[float] = []
    for start, end in intervals:
        opens, closes = _minutes(start), _minutes(end) - 15  # the last ticket a quarter of an hour before closing
        hour = math.floor(opens / 60)
        while hour * 60 < closes:
            lo, hi = max(hour * 60.0, opens), min((hour + 1) * 60.0, closes)
            if hi > lo:
                rate = per_hour * _intensity(profile, day.weekday(), hour)
                count = int(rng.poisson(rate * (hi - lo) / 60))
                arrivals.extend(rng.uniform(lo, hi, count).tolist())
            hour += 1
    closing = _minutes(intervals[-1][1]) + 30
    free = [_minutes(intervals[0][0])] * len(line_counters)
    sigma2 = math.log1p(SERVICE_CV**2)
    number = out.last_numbers.get((day, group.prefix), 0)
    for arrived in sorted(arrivals):
        at = midnight + timedelta(minutes=arrived)
        if until is not None and at >= until:
            break
        number += 1
        index = int(np.argmin(free))
        called = max(arrived, free[index])
        service = services[int(rng.integers(len(services)))]
        duration = float(rng.lognormal(math.log(service.counter_minutes or 10) - sigma2 / 2, math.sqrt(sigma2)))
        started = called + float(rng.uniform(0.3, 1.5))
        ended = started + duration
        no_show = rng.random() < NO_SHOW_SHARE
        finished = (midnight + timedelta(minutes=ended)) <= until if until is not None else True
        if called > closing or not finished:
            break  # the rest of the day is served later (or was sent home): not history
        counter = line_counters[index]
        clerk = clerks[index % len(clerks)] if clerks else None
        free[index] = (called + 2 if no_show else ended) + float(rng.uniform(0.2, 1.0))
        out.rows.append(
            {
                "public_id": uuid.uuid4(),
                "office_id": office.pk,
                "day": day,
                "prefix": group.prefix,
                "number": number,
                "group_id": group.pk,
                "service_id": service.pk,
                "source": TicketSource.REMOTE if rng.random() < REMOTE_SHARE else TicketSource.KIOSK,
                "state": TicketState.NO_SHOW if no_show else TicketState.DONE,
                "created_at": at,
                "arrived_at": at,
                "queued_at": at,
                "called_at": midnight + timedelta(minutes=called),
                "last_called_at": midnight + timedelta(minutes=called),
                "started_at": None if no_show else midnight + timedelta(minutes=started),
                "ended_at": midnight + timedelta(minutes=called + 2 if no_show else ended),
                "counter_id": counter.pk,
                "clerk_id": clerk.pk if clerk else None,
            }
        )
        out.last_numbers[(day, group.prefix)] = number


def _intensity(profile: ArrivalProfile | None, weekday: int, hour: int) -> float:
    if profile is None:
        return 1.0
    if (weekday, hour) in profile.intensity:
        return profile.intensity[(weekday, hour)]
    same_day = [v for (w, _h), v in profile.intensity.items() if w == weekday]
    return float(np.mean(same_day)) if same_day else 1.0


def _minutes(moment: datetime) -> float:
    local = timezone.localtime(moment)
    return local.hour * 60 + local.minute + local.second / 60


# --- today (services) ----------------------------------------------------------------------------


def _load_today(
    office: Office, groups: Sequence[ServiceGroup], profile: ArrivalProfile | None, now: datetime,
    rng: np.random.Generator, signed_in: set[int],
) -> int:  # fmt: skip
    today = timezone.localdate(now)
    if Ticket.objects.filter(office=office, day=today).exists():
        return 0
    # The morning so far, as history; then the live part through the services.
    morning = _Finished()
    intervals = selectors.opening_today(office, today)
    _simulate_day(office, groups, _clerks(office), profile, today, intervals, now - timedelta(minutes=20), rng, morning)
    _write(office, morning)
    lines = [g for g in groups if g.services.all()]
    if not lines:
        return 0
    # The first ticket is drawn before the clerks sign in: ``draw_ticket`` refuses it when the office
    # is closed or stopped issuing tickets, which spares a ``queue_status`` prediction per office.
    drawn, sessions = 0, []
    for _ in range(int(rng.integers(*LIVE_WAITING))):
        group = lines[int(rng.integers(len(lines)))]
        services = list(group.services.all())
        try:
            tickets.draw_ticket(
                office, group, source=TicketSource.KIOSK, service=services[int(rng.integers(len(services)))], now=now
            )
        except QueueError:
            break  # closed, or the office stopped issuing tickets (the line is full until closing)
        drawn += 1
        if drawn == 1:
            sessions = _sign_in(office, groups, now, signed_in)
    if drawn and sessions:
        counters.call_next(sessions[0], now=now)
        drawn -= 1
    return drawn


def _sign_in(
    office: Office, groups: Sequence[ServiceGroup], now: datetime, signed_in: set[int]
) -> list[CounterSession]:
    """The town's demo clerk and team lead sign into the office's counters (one each, while they last)."""
    staff = User.objects.filter(
        Q(username=f"sb.{office.municipality.slug}") | Q(username=f"tl.{office.municipality.slug}")
    ).exclude(pk__in=signed_in)
    sessions = []
    office_counters = Counter.objects.filter(office=office, is_active=True).order_by("name")
    for counter, clerk in zip(office_counters, staff.order_by("username"), strict=False):
        lines = [g for g in groups if counter in g.counters.all()]
        if lines:
            sessions.append(counters.open_session(counter, clerk, lines, now=now))
            signed_in.add(clerk.pk)
    return sessions
