"""A discrete-event simulator of office days, used to benchmark the wait prediction.

Arrival profile
---------------
The Moers Bürgerservice data (MIT (c) 2014, 2015 Thomas Tursics) records the *average wait* per
weekday × hour, not arrivals. ``arrival_profile_from_waits`` turns waits into arrival intensities with
a fluid (deterministic) queue: if ``Q(t)`` customers wait and the office serves ``c`` customers per
minute, a customer arriving at ``t`` waits about ``Q(t) / c``, so ``Q(t) ≈ c · W(t)``. Over one hour
the backlog changes by arrivals minus services, hence

    arrivals in hour h ≈ c · (60 + W_end(h) − W_start(h)),

i.e. the arrival intensity *relative to the office's capacity* is ``κ(h) = 1 + ΔW(h) / 60``. The
hourly means are taken as the wait in the middle of each hour; the backlog at an hour boundary is the
mean of the two neighbouring hours, it is zero when the doors open (so the first hour carries the
opening rush) and at closing it stays at the last hour's level (the people inside are still served).
Hours that are open on fewer than half of the weekday's dates are dropped (the file mixes a few
afternoon openings into otherwise morning-only days). ``κ`` is clipped to [0.2, 2].

Office day
----------
Arrivals are a non-homogeneous Poisson process with rate ``κ(weekday, hour) · capacity · demand``,
where ``capacity`` is the planned counter-minutes of the roster divided by the mean catalogue time
and ``demand`` a day-to-day factor. Each customer wants one service drawn from a fixed mix. The true
service time is lognormal around the service's true mean (the catalogue time times a per-service bias
drawn once per run), scaled by the clerk's speed on that day, with a coefficient of variation of 0.5.
Counters follow a roster (``CounterShift``) with staggered breaks, late starts and early leavers;
a counter finishes the customer in front of it before pausing or closing. Free counters take the
first waiting ticket whose service they handle. When the doors close the counters that serve out
keep calling until the queue is empty or the hard end is reached; whoever is still waiting then is
sent home ("left at close").

The simulator reports every queue state after an arrival and every finished service to an
``Observer``; the benchmark plugs the predictor in there, so the simulation itself knows nothing
about predictors.
"""

from __future__ import annotations

import heapq
import itertools
import math
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from enum import IntEnum
from typing import Protocol

import numpy as np

from buergerbuero.queueing.prediction import (
    CounterState,
    CounterStatus,
    QueueSnapshot,
    ServiceInProgress,
    WaitingTicket,
)

__all__ = [
    "ArrivalProfile",
    "CounterShift",
    "DayPlan",
    "DayResult",
    "Observer",
    "ServedInterval",
    "ServiceSpec",
    "TicketRecord",
    "arrival_profile_from_waits",
    "simulate_day",
]

KAPPA_BOUNDS = (0.2, 2.0)


@dataclass(frozen=True)
class ArrivalProfile:
    """Per weekday (Monday = 0): opening and closing hour and the relative intensity of each open hour."""

    opening_hours: Mapping[int, tuple[int, int]]
    intensity: Mapping[tuple[int, int], float]


def arrival_profile_from_waits(rows: Iterable[tuple[int, int, float]]) -> ArrivalProfile:
    """Derive the weekday × hour arrival intensity from ``(weekday, hour, avg_wait_min)`` rows.

    See the module docstring for the fluid-queue argument; the result is relative to capacity.
    """
    waits: dict[tuple[int, int], list[float]] = defaultdict(list)
    for weekday, hour, wait in rows:
        waits[(weekday, hour)].append(wait)
    opening_hours: dict[int, tuple[int, int]] = {}
    intensity: dict[tuple[int, int], float] = {}
    for weekday in sorted({w for w, _ in waits}):
        counts = {h: len(v) for (w, h), v in waits.items() if w == weekday}
        busiest = max(counts.values())
        hours = sorted(h for h, n in counts.items() if n * 2 >= busiest)
        mean_wait = [sum(waits[(weekday, h)]) / len(waits[(weekday, h)]) for h in hours]
        boundary = [0.0, *((a + b) / 2 for a, b in itertools.pairwise(mean_wait)), mean_wait[-1]]
        for index, hour in enumerate(hours):
            kappa = 1 + (boundary[index + 1] - boundary[index]) / 60
            intensity[(weekday, hour)] = min(max(kappa, KAPPA_BOUNDS[0]), KAPPA_BOUNDS[1])
        opening_hours[weekday] = (hours[0], hours[-1] + 1)
    return ArrivalProfile(opening_hours=opening_hours, intensity=intensity)


@dataclass(frozen=True)
class ServiceSpec:
    key: str
    name: str
    typical_min: float
    share: float


@dataclass(frozen=True)
class CounterShift:
    """One counter's day. ``services=None`` means every service. Times are minutes after midnight.

    ``closes_at`` is when the counter starts no new service; ``break_at``/``break_min`` the planned
    break (``None``: none); ``speed`` multiplies this clerk's service times on this day.
    """

    counter_id: str
    services: frozenset[str] | None
    opens_at: float
    closes_at: float
    break_at: float | None = None
    break_min: float = 0.0
    speed: float = 1.0


@dataclass(frozen=True)
class DayPlan:
    """Everything random about one day, drawn beforehand, so the simulation itself is replayable."""

    doors_open: float
    doors_close: float
    arrival_rate_per_hour: Mapping[int, float]
    shifts: Sequence[CounterShift]
    true_mean_min: Mapping[str, float]
    cv: float = 0.5
    break_overrun_sd_min: float = 4.0
    intake_mean_min: float | None = None
    """If set, the ticket machine refuses new tickets while the queue times this many minutes exceeds
    the counter-minutes left in the roster (the staff's rule of thumb; ``None``: never refuse)."""


@dataclass
class TicketRecord:
    ticket_id: str
    service_key: str
    arrived_at: float
    started_at: float | None = None
    counter_id: str | None = None


@dataclass(frozen=True)
class ServedInterval:
    counter_id: str
    ticket_id: str
    start: float
    end: float


@dataclass
class DayResult:
    tickets: list[TicketRecord] = field(default_factory=list)
    turned_away: list[float] = field(default_factory=list)
    intervals: list[ServedInterval] = field(default_factory=list)
    breaks: list[tuple[float, float]] = field(default_factory=list)
    """``(start, end)`` of every break taken."""
    open_before_break: list[tuple[float, float]] = field(default_factory=list)
    """``(start, end)`` of the time each counter was open before its first break (or its closing)."""

    def pause_history(self) -> tuple[list[float], list[float], list[float]]:
        """Break starts, break lengths and open minutes per hour of day before the first break."""
        exposure = [0.0] * 24
        for start, end in self.open_before_break:
            for hour in range(int(start // 60), min(int(end // 60), 23) + 1):
                exposure[hour] += max(min(end, (hour + 1) * 60.0) - max(start, hour * 60.0), 0.0)
        return [b[0] for b in self.breaks], [b[1] - b[0] for b in self.breaks], exposure

    @property
    def left_at_close(self) -> list[TicketRecord]:
        return [t for t in self.tickets if t.started_at is None]


class Observer(Protocol):
    def observe_queue(self, snapshot: QueueSnapshot) -> None: ...

    def observe_completion(self, service_key: str, minutes: float) -> None: ...


class _Event(IntEnum):
    """Ordered so that at equal times finishing and opening happen before new arrivals queue up."""

    FINISH = 0
    SHIFT_START = 1
    BREAK_END = 2
    BREAK_START = 3
    SHIFT_END = 4
    ARRIVAL = 5


@dataclass
class _Counter:
    shift: CounterShift
    services: frozenset[str]
    status: CounterStatus = CounterStatus.CLOSED
    serving: TicketRecord | None = None
    serving_since: float = 0.0
    pending: _Event | None = None
    resumes_at: float | None = None
    started: bool = False
    paused_today: bool = False
    paused_at: float = 0.0

    def state(self) -> CounterState:
        in_progress = None
        if self.serving is not None:
            in_progress = ServiceInProgress(self.serving.service_key, self.serving_since)
        available_from = None
        if self.status is CounterStatus.PAUSED:
            available_from = self.resumes_at
        elif self.status is CounterStatus.CLOSED and not self.started:
            available_from = self.shift.opens_at
        return CounterState(
            counter_id=self.shift.counter_id,
            status=self.status,
            services=self.services,
            serving=in_progress,
            available_from=available_from,
            closes_at=self.shift.closes_at,
            paused_today=self.paused_today,
        )


def simulate_day(
    plan: DayPlan,
    services: Sequence[ServiceSpec],
    observer: Observer,
    rng: np.random.Generator,
) -> DayResult:
    """Play one office day; every queue state after an arrival and every finished service is observed."""
    all_keys = frozenset(s.key for s in services)
    counters = [_Counter(shift=s, services=all_keys if s.services is None else s.services) for s in plan.shifts]
    events: list[tuple[float, int, int, _Event, int]] = []
    sequence = itertools.count()

    def schedule(time: float, kind: _Event, index: int = -1) -> None:
        heapq.heappush(events, (time, int(kind), next(sequence), kind, index))

    for index, counter in enumerate(counters):
        schedule(counter.shift.opens_at, _Event.SHIFT_START, index)
        schedule(counter.shift.closes_at, _Event.SHIFT_END, index)
        if counter.shift.break_at is not None:
            schedule(counter.shift.break_at, _Event.BREAK_START, index)

    result = DayResult()
    arrivals = _arrival_times(plan, rng)
    mix = np.array([s.share for s in services]) / sum(s.share for s in services)
    wanted = rng.choice(len(services), size=len(arrivals), p=mix)
    for arrival, choice in zip(arrivals, wanted, strict=True):
        schedule(arrival, _Event.ARRIVAL, int(choice))

    queue: list[TicketRecord] = []

    def intake_closed(now: float) -> bool:
        if plan.intake_mean_min is None:
            return False
        left = sum(max(c.shift.closes_at - max(now, c.shift.opens_at), 0.0) for c in counters)
        return len(queue) * plan.intake_mean_min >= left

    def start_service(counter: _Counter, ticket: TicketRecord, now: float) -> None:
        queue.remove(ticket)
        ticket.started_at, ticket.counter_id = now, counter.shift.counter_id
        counter.serving, counter.serving_since = ticket, now
        schedule(
            now + _service_time(plan, ticket.service_key, counter.shift.speed, rng),
            _Event.FINISH,
            counters.index(counter),
        )

    def dispatch(now: float) -> None:
        for counter in counters:
            if counter.status is CounterStatus.OPEN and counter.serving is None and now < counter.shift.closes_at:
                ticket = next((t for t in queue if t.service_key in counter.services), None)
                if ticket is not None:
                    start_service(counter, ticket, now)

    def close(counter: _Counter, now: float) -> None:
        if not counter.paused_today:
            result.open_before_break.append((counter.shift.opens_at, now))
        counter.status, counter.pending = CounterStatus.CLOSED, None

    def pause(counter: _Counter, now: float) -> None:
        result.open_before_break.append((counter.shift.opens_at, now))
        counter.status, counter.pending, counter.paused_today = CounterStatus.PAUSED, None, True
        counter.paused_at = now
        counter.resumes_at = now + counter.shift.break_min
        overrun = float(rng.normal(0.0, plan.break_overrun_sd_min))
        schedule(max(counter.resumes_at + overrun, now + 1.0), _Event.BREAK_END, counters.index(counter))

    while events:
        now, _, _, kind, index = heapq.heappop(events)
        if kind is _Event.ARRIVAL:
            if intake_closed(now):
                result.turned_away.append(now)
                continue
            result.tickets.append(TicketRecord(f"T{len(result.tickets):03d}", services[index].key, now))
            queue.append(result.tickets[-1])
            dispatch(now)
            if queue:
                observer.observe_queue(_snapshot(now, queue, counters))
            continue
        counter = counters[index]
        if kind is _Event.FINISH:
            ticket, since = counter.serving, counter.serving_since
            if ticket is None:  # pragma: no cover - a finish is only scheduled with a service
                raise RuntimeError(f"counter {counter.shift.counter_id} finished without a customer")
            counter.serving = None
            result.intervals.append(ServedInterval(counter.shift.counter_id, ticket.ticket_id, since, now))
            observer.observe_completion(ticket.service_key, now - since)
            if counter.pending is _Event.BREAK_START:
                pause(counter, now)
            elif counter.pending is _Event.SHIFT_END:
                close(counter, now)
        elif kind is _Event.SHIFT_START:
            counter.status, counter.started = CounterStatus.OPEN, True
        elif kind is _Event.BREAK_START and counter.status is CounterStatus.OPEN:
            if counter.serving is None:
                pause(counter, now)
            else:
                counter.pending = kind
        elif kind is _Event.BREAK_END and counter.status is CounterStatus.PAUSED:
            result.breaks.append((counter.paused_at, now))
            counter.status, counter.resumes_at = CounterStatus.OPEN, None
        elif kind is _Event.SHIFT_END:
            if counter.status is CounterStatus.PAUSED:
                result.breaks.append((counter.paused_at, now))
                counter.status = CounterStatus.CLOSED
            elif counter.serving is None:
                close(counter, now)
            else:
                counter.pending = kind
        dispatch(now)
    return result


def _snapshot(now: float, queue: Sequence[TicketRecord], counters: Sequence[_Counter]) -> QueueSnapshot:
    tickets = tuple(WaitingTicket(t.ticket_id, t.service_key, t.arrived_at) for t in queue)
    return QueueSnapshot(now=now, tickets=tickets, counters=tuple(c.state() for c in counters))


def _arrival_times(plan: DayPlan, rng: np.random.Generator) -> list[float]:
    """Piecewise-constant Poisson arrivals, hour by hour, between opening and closing of the doors."""
    times: list[float] = []
    for hour, rate in sorted(plan.arrival_rate_per_hour.items()):
        start = max(hour * 60.0, plan.doors_open)
        end = min((hour + 1) * 60.0, plan.doors_close)
        if end <= start:
            continue
        count = int(rng.poisson(rate * (end - start) / 60))
        times.extend(sorted(rng.uniform(start, end, count).tolist()))
    return times


def _service_time(plan: DayPlan, service_key: str, speed: float, rng: np.random.Generator) -> float:
    mean = plan.true_mean_min[service_key] * speed
    sigma2 = math.log1p(plan.cv**2)
    return float(rng.lognormal(math.log(mean) - sigma2 / 2, math.sqrt(sigma2)))
