"""Reads of the live queue: opening today, the status an office shows, the queue in call order, the
wait predictions and the live state that displays, counters and ticket pages receive.

Times given to the pure predictor (``prediction.predict_waits``) are minutes since local midnight.
Service-time distributions are learned per line and service from the office's finished tickets of
the last ``HISTORY_DAYS`` days, shrunk towards the catalogue's counter time (``fit_service_time``),
and cached for a quarter of an hour.
"""

from __future__ import annotations

import time
from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

import numpy as np
from django.core.cache import cache
from django.utils import timezone

from buergerbuero.appointments.closures import closed_dates
from buergerbuero.appointments.models import ServiceGroup
from buergerbuero.core.tenancy import scopes_disabled
from buergerbuero.tenants.models import ClosingDay, Office, OpeningHours

from .constants import OPEN_STATES, Priority, QueueStatus, TicketState
from .models import CounterSession, QueueSettings, Ticket
from .prediction import (
    CounterState,
    CounterStatus,
    QueueSnapshot,
    ServiceInProgress,
    ServiceTimeModel,
    WaitingTicket,
    WaitPrediction,
    fit_service_time,
    predict_waits,
)

__all__ = [
    "LiveQueue",
    "OfficeStatus",
    "live_queue",
    "office_live_state",
    "opening_days",
    "opening_today",
    "queue_settings",
    "queue_status",
    "walk_in_wait",
]

HISTORY_DAYS = 60
SAMPLES = 300
RECENT_CALLS = 8
_MODELS_TTL = 15 * 60
_WALK_IN = "__walk_in__"
_OCCUPANCY_KEYS = ("office", "status", "stop_reason", "closes_at", "waiting", "open_counters", "lines")


def queue_settings(office: Office) -> QueueSettings:
    """The office's settings, or the defaults (unsaved) if it never changed them."""
    with scopes_disabled():
        return QueueSettings.objects.filter(office=office).first() or QueueSettings(office=office)


def opening_today(office: Office, day: date) -> list[tuple[datetime, datetime]]:
    """The office's opening intervals on ``day`` (none on holidays and closing days)."""
    return opening_days(office, day, day).get(day, [])


def opening_days(office: Office, first: date, last: date) -> dict[date, list[tuple[datetime, datetime]]]:
    """The office's opening intervals on every open day from ``first`` to ``last`` (holidays of the
    Land and the office's closing days left out), read in three queries however long the range."""
    with scopes_disabled():
        local = ClosingDay.objects.filter(office=office, date__range=(first, last)).values_list("date", flat=True)
        closed = closed_dates(office.municipality.district.state_code, first, last, local)
        hours: dict[int, list[OpeningHours]] = defaultdict(list)
        for entry in OpeningHours.objects.filter(office=office).order_by("opens"):
            hours[entry.weekday].append(entry)
    tz = timezone.get_current_timezone()
    days = (first + timedelta(days=n) for n in range((last - first).days + 1))
    return {
        day: [(datetime.combine(day, h.opens, tzinfo=tz), datetime.combine(day, h.closes, tzinfo=tz)) for h in open_]
        for day in days
        if day not in closed and (open_ := hours.get(day.weekday()))
    }


@dataclass(frozen=True)
class OfficeStatus:
    """Whether an office issues tickets now, and the predicted wait of a walk-in per line."""

    status: QueueStatus
    opens_at: datetime | None = None
    closes_at: datetime | None = None
    stopped_groups: frozenset[str] = frozenset()
    stop_reason: str = ""
    walk_in: Mapping[str, WaitPrediction] = field(default_factory=dict)


@dataclass
class LineTicket:
    ticket: Ticket
    service_key: str
    position: int = 0
    prediction: WaitPrediction | None = None


@dataclass
class LiveQueue:
    """An office's queue at one moment, with a prediction for every waiting ticket."""

    office: Office
    now: datetime
    groups: list[ServiceGroup]
    waiting: list[LineTicket]
    at_counters: list[Ticket]
    parked: list[Ticket]
    sessions: list[CounterSession]
    walk_in: dict[str, WaitPrediction]
    recent_calls: list[Ticket]
    settings: QueueSettings
    opening: list[tuple[datetime, datetime]]  #: today's opening intervals


def live_queue(office: Office, now: datetime | None = None, *, predict: bool = True) -> LiveQueue:
    """Read the queue once and predict every waiting ticket's wait (and a walk-in's per line)."""
    now = now or timezone.now()
    settings = queue_settings(office)
    return _read_queue(office, now, settings, opening_today(office, timezone.localdate(now)), predict=predict)


def _read_queue(
    office: Office,
    now: datetime,
    settings: QueueSettings,
    opening: list[tuple[datetime, datetime]],
    *,
    predict: bool,
) -> LiveQueue:
    day = timezone.localdate(now)
    with scopes_disabled():
        groups = list(ServiceGroup.objects.filter(office=office).prefetch_related("counters", "services"))
        tickets = list(
            Ticket.objects.filter(office=office, day=day, state__in=OPEN_STATES).select_related(
                "group", "service", "counter"
            )
        )
        sessions = list(
            CounterSession.objects.filter(counter__office=office, ended_at__isnull=True)
            .select_related("counter", "user")
            .prefetch_related("groups")
        )
        recent = list(
            Ticket.objects.filter(office=office, day=day, last_called_at__isnull=False)
            .select_related("counter")
            .order_by("-last_called_at")[:RECENT_CALLS]
        )
    waiting = sorted((t for t in tickets if t.state == TicketState.WAITING), key=lambda t: _call_key(t, now))
    lines = [LineTicket(ticket=t, service_key=_service_key(t)) for t in waiting]
    ahead: dict[int, int] = defaultdict(int)
    for line in lines:
        line.position = ahead[line.ticket.group_id]
        ahead[line.ticket.group_id] += 1
    queue = LiveQueue(
        office=office,
        now=now,
        groups=groups,
        waiting=lines,
        at_counters=[t for t in tickets if t.state in (TicketState.CALLED, TicketState.SERVING)],
        parked=[t for t in tickets if t.state == TicketState.PARKED],
        sessions=sessions,
        walk_in={},
        recent_calls=recent,
        settings=settings,
        opening=opening,
    )
    if predict:
        _predict(queue)
    return queue


def walk_in_wait(office: Office, now: datetime) -> dict[str, WaitPrediction]:
    """Predicted wait of someone drawing a ticket now, per line key."""
    return live_queue(office, now).walk_in


def queue_status(office: Office, now: datetime | None = None, *, queue: LiveQueue | None = None) -> OfficeStatus:
    """Open, ticket stop or closed — and why — plus the walk-in predictions behind a ticket stop.

    Tickets are issued from opening until ``last_ticket_minutes`` before the last closing of the day.
    A line stops when a walk-in would probably not be served before the counters stop serving
    (closing plus ``serve_out_minutes``); the office shows a ticket stop when staff stopped it for the
    day or every line has stopped.
    """
    now = now or timezone.now()
    if queue is not None:
        settings, intervals = queue.settings, queue.opening
    else:
        settings, intervals = queue_settings(office), opening_today(office, timezone.localdate(now))
    if not settings.is_active or not intervals:
        return OfficeStatus(QueueStatus.CLOSED)
    opens, closes = intervals[0][0], intervals[-1][1]
    last_ticket = closes - timedelta(minutes=settings.last_ticket_minutes)
    if not any(start <= now < end for start, end in intervals) or now >= last_ticket:
        return OfficeStatus(QueueStatus.CLOSED, opens_at=_next_opening(intervals, now), closes_at=closes)
    if settings.stopped_on == timezone.localdate(now):
        return OfficeStatus(QueueStatus.TICKET_STOP, opens, closes, stop_reason=settings.stop_reason)
    walk_in = (queue or _read_queue(office, now, settings, intervals, predict=True)).walk_in
    serve_until = closes + timedelta(minutes=settings.serve_out_minutes)
    minutes_left = (serve_until - now).total_seconds() / 60
    stopped = frozenset(
        key for key, p in walk_in.items() if p.served_probability < 0.5 or p.estimate_min > minutes_left
    )
    status = QueueStatus.TICKET_STOP if walk_in and stopped == set(walk_in) else QueueStatus.OPEN
    return OfficeStatus(status, opens, closes, stopped_groups=stopped, walk_in=walk_in)


def office_live_state(office_id: int, now: datetime | None = None) -> dict[str, Any]:
    """The JSON state every display, counter and ticket page of the office receives (language-neutral)."""
    now = now or timezone.now()
    with scopes_disabled():
        office = Office.objects.select_related("municipality__district").get(pk=office_id)
    queue = live_queue(office, now)
    status = queue_status(office, now, queue=queue)
    return {
        "version": time.time_ns() // 1_000_000,
        "generated_at": now.isoformat(),
        "office": {"id": office.pk, "name": office.name, "municipality": office.municipality.name},
        "status": str(status.status),
        "stop_reason": status.stop_reason,
        "closes_at": None if status.closes_at is None else status.closes_at.isoformat(),
        "waiting": len(queue.waiting),
        "open_counters": sum(1 for s in queue.sessions if s.paused_since is None),
        "lines": [
            {
                "key": g.key,
                "name": g.name,
                "prefix": g.prefix,
                "waiting": sum(1 for line in queue.waiting if line.ticket.group_id == g.pk),
                "stopped": g.key in status.stopped_groups,
                "walk_in": _wait_json(queue.walk_in.get(g.key)),
            }
            for g in queue.groups
        ],
        "counters": [
            {
                "name": s.counter.name,
                "paused": s.paused_since is not None,
                "lines": sorted(g.key for g in s.groups.all()),
                "ticket": next((t.code for t in queue.at_counters if t.counter_id == s.counter_id), None),
            }
            for s in sorted(queue.sessions, key=lambda s: s.counter.name)
        ],
        "calls": [
            {
                "ticket": t.code,
                "counter": None if t.counter is None else t.counter.name,
                "at": t.last_called_at.isoformat() if t.last_called_at else None,
                "state": t.state,
                "recalls": t.recalls,
            }
            for t in queue.recent_calls
        ],
        "tickets": {
            **{
                line.ticket.code: {
                    "state": TicketState.WAITING,
                    "line": line.ticket.group.key,
                    "position": line.position,
                    "ready_at": None if line.ticket.ready_at is None else line.ticket.ready_at.isoformat(),
                    **_wait_json(line.prediction),
                }
                for line in queue.waiting
            },
            **{
                t.code: {"state": t.state, "line": t.group.key, "counter": t.counter.name if t.counter else None}
                for t in [*queue.at_counters, *queue.parked]
            },
        },
    }


# --- prediction ---------------------------------------------------------------------------------


def _predict(queue: LiveQueue) -> None:
    now_min = _minutes(queue.now)
    closes_at = None
    if queue.opening:
        closes_at = _minutes(queue.opening[-1][1]) + queue.settings.serve_out_minutes
    keys_by_group: dict[int, set[str]] = defaultdict(set)
    for line in queue.waiting:
        keys_by_group[line.ticket.group_id].add(line.service_key)
    for ticket in queue.at_counters:
        keys_by_group[ticket.group_id].add(_service_key(ticket))
    for group in queue.groups:
        keys_by_group[group.pk].add(_walk_in_key(group))
    counters = _counter_states(queue, keys_by_group, now_min, closes_at)
    models = _service_models(queue.office, queue.groups)
    walk_ins = [
        WaitingTicket(ticket_id=_WALK_IN + g.key, service_key=_walk_in_key(g), arrived_at=now_min) for g in queue.groups
    ]
    tickets = [
        WaitingTicket(ticket_id=str(line.ticket.pk), service_key=line.service_key, arrived_at=now_min)
        for line in queue.waiting
    ]
    if not counters:
        return
    for key in {t.service_key for t in tickets} | {w.service_key for w in walk_ins}:
        models.setdefault(key, models.get(key.split("|")[0] + "|*") or ServiceTimeModel.from_mean(15, 0.6))
    rng = np.random.default_rng(len(tickets) * 7919 + int(now_min))
    predictions = predict_waits(
        QueueSnapshot(now=now_min, tickets=tickets, counters=counters), models, rng, samples=SAMPLES
    )
    for line, prediction in zip(queue.waiting, predictions, strict=True):
        line.prediction = prediction
    # A walk-in joins the end of every line at once: one extra run per line keeps them independent.
    for walk_in in walk_ins:
        snapshot = QueueSnapshot(now=now_min, tickets=[*tickets, walk_in], counters=counters)
        queue.walk_in[walk_in.ticket_id.removeprefix(_WALK_IN)] = predict_waits(snapshot, models, rng, samples=SAMPLES)[
            -1
        ]


def _counter_states(
    queue: LiveQueue, keys_by_group: Mapping[int, set[str]], now_min: float, closes_at: float | None
) -> list[CounterState]:
    states = []
    for session in queue.sessions:
        keys = frozenset().union(*(keys_by_group.get(g.pk, set()) for g in session.groups.all()))
        current = next((t for t in queue.at_counters if t.counter_id == session.counter_id), None)
        serving = None
        if current is not None:
            began = current.started_at or current.last_called_at or queue.now
            serving = ServiceInProgress(service_key=_service_key(current), started_at=_minutes(began))
        states.append(
            CounterState(
                counter_id=str(session.counter_id),
                status=CounterStatus.PAUSED if session.paused_since else CounterStatus.OPEN,
                services=keys,
                serving=serving,
                closes_at=closes_at,
            )
        )
    if states:
        return states
    # Nobody signed in yet (before the first clerk arrives): assume the counters of each line open.
    planned: dict[int, set[str]] = defaultdict(set)
    for group in queue.groups:
        for counter in group.counters.all():
            if counter.is_active:
                planned[counter.pk] |= keys_by_group.get(group.pk, set())
    return [
        CounterState(counter_id=str(pk), status=CounterStatus.OPEN, services=frozenset(keys), closes_at=closes_at)
        for pk, keys in planned.items()
    ]


def _service_models(office: Office, groups: Sequence[ServiceGroup]) -> dict[str, ServiceTimeModel]:
    """Per ``line|service`` key: the lognormal learned from finished tickets (cached), with the
    catalogue's counter minutes as the prior; ``line|*`` is the line's average service."""
    cache_key = f"queueing:models:{office.pk}:{timezone.localdate().isoformat()}"
    cached = cache.get(cache_key)
    if cached is not None:
        return dict(cached)
    since = timezone.localdate() - timedelta(days=HISTORY_DAYS)
    durations: dict[str, list[float]] = defaultdict(list)
    with scopes_disabled():
        finished = Ticket.objects.filter(
            office=office, day__gte=since, state=TicketState.DONE, started_at__isnull=False, ended_at__isnull=False
        ).values_list("group__key", "service__slug", "started_at", "ended_at")
        for group_key, slug, started, ended in finished.iterator():
            minutes = (ended - started).total_seconds() / 60 if ended and started else 0.0
            if 0 < minutes < 240:
                durations[f"{group_key}|{slug or '*'}"].append(minutes)
                durations[f"{group_key}|*"].append(minutes)
    models: dict[str, ServiceTimeModel] = {}
    for group in groups:
        typical = [s.counter_minutes for s in group.services.all()] or [15]
        models[_walk_in_key(group)] = fit_service_time(durations.get(_walk_in_key(group), []), float(np.mean(typical)))
        for service in group.services.all():
            key = f"{group.key}|{service.slug}"
            models[key] = fit_service_time(durations.get(key, []), float(service.counter_minutes))
    cache.set(cache_key, models, _MODELS_TTL)
    return models


def _service_key(ticket: Ticket) -> str:
    return f"{ticket.group.key}|{ticket.service.slug if ticket.service is not None else '*'}"


def _walk_in_key(group: ServiceGroup) -> str:
    return f"{group.key}|*"


def _call_key(ticket: Ticket, now: datetime) -> tuple[int, datetime, int]:
    applies = ticket.priority_from is None or ticket.priority_from <= now
    start = ticket.queued_at or ticket.created_at
    # Moved back: behind the others until its time comes, then in its old place, as call next takes it.
    if ticket.ready_at is not None and ticket.ready_at > now:
        start = max(start, ticket.ready_at)
    return (-(ticket.priority if applies else Priority.NORMAL), start, ticket.pk)


def _minutes(moment: datetime) -> float:
    local = timezone.localtime(moment)
    return local.hour * 60 + local.minute + local.second / 60


def _next_opening(intervals: Sequence[tuple[datetime, datetime]], now: datetime) -> datetime | None:
    return next((start for start, _end in intervals if start > now), None)


def _wait_json(prediction: WaitPrediction | None) -> dict[str, Any]:
    if prediction is None or not np.isfinite(prediction.estimate_min):
        return {"estimate": None, "low": None, "high": None}
    return {
        "estimate": round(prediction.estimate_min),
        "low": round(prediction.low_min),
        "high": round(prediction.high_min),
    }
