"""The scheduler: enqueues the periodic tasks for ``manage.py db_worker`` at fixed intervals.

One process (``manage.py run_scheduler``) holds the schedule in memory. Intervals are jitter-free
and do not drift: a job that was due at ``t`` is next due at ``t + every``; when the scheduler was
asleep or stopped longer than one interval it runs the job once, not once per missed interval
(``next_due``). A fresh start runs every job at once. Every periodic task is idempotent, so a second
scheduler or a restart costs a duplicate run, never a duplicate effect.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.utils import timezone

__all__ = ["DEFAULT_SCHEDULE", "Job", "Scheduler", "default_schedule", "next_due"]

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Job:
    """Enqueue ``task`` (a django-tasks ``Task``) every ``every``."""

    name: str
    task: Any
    every: timedelta


def next_due(previous_due: datetime, every: timedelta, now: datetime) -> datetime:
    """When a job that was due at ``previous_due`` and ran at ``now`` is due next: the next point of its
    grid after ``now`` (``previous_due + k × every``), so late runs neither drift nor pile up."""
    if every <= timedelta(0):
        raise ValueError("a job's interval must be positive")
    missed = (now - previous_due) // every
    return previous_due + (max(missed, 0) + 1) * every


# (task path, seconds): the periodic work of every part, in the order it is enqueued when due together.
DEFAULT_SCHEDULE: tuple[tuple[str, int], ...] = (
    ("buergerbuero.appointments.tasks.return_capacity", 60),
    ("buergerbuero.appointments.tasks.expire_waitlist_offers", 60),
    ("buergerbuero.appointments.tasks.draw_lotteries", 60),
    ("buergerbuero.appointments.tasks.send_reminders", 300),
    ("buergerbuero.appointments.tasks.release_unanswered", 300),
    # The booking window moves on every day: release the new day's times (idempotent).
    ("buergerbuero.appointments.tasks.release_booking_windows", 3600),
    # Pre-call alerts that come due with time alone; yesterday's open tickets expire.
    ("buergerbuero.queueing.tasks.check_alerts", 60),
    ("buergerbuero.queueing.tasks.expire_tickets", 3600),
    # A safety net: each commit that queues a message already kicks a dispatch (core.outbox).
    ("buergerbuero.core.tasks.dispatch_outbox", 60),
    ("buergerbuero.catalog.tasks.sync_catalog_feeds", 3600),
    ("buergerbuero.applications.tasks.delete_orphan_attachments", 3600),
    # Privacy: personal data of old tickets and appointments is erased daily (idempotent).
    ("buergerbuero.analytics.tasks.anonymise_old_personal_data", 86400),
    # Forecasts of the next 14 days: hourly, but each office only once a day (the first run after midnight).
    ("buergerbuero.analytics.tasks.recompute_office_forecasts", 3600),
)


def default_schedule() -> list[Job]:
    from django.utils.module_loading import import_string

    return [
        Job(name=path.rsplit(".", 1)[1], task=import_string(path), every=timedelta(seconds=seconds))
        for path, seconds in DEFAULT_SCHEDULE
    ]


class Scheduler:
    """Enqueue due jobs; ``run_once(now)`` is one pass, ``run(stop)`` loops until ``stop`` is set."""

    def __init__(
        self,
        jobs: Sequence[Job],
        *,
        clock: Callable[[], datetime] = timezone.now,
        tick: timedelta = timedelta(seconds=5),
    ) -> None:
        self.jobs = list(jobs)
        self.clock = clock
        self.tick = tick
        self.due: dict[str, datetime] = {}

    def run_once(self, now: datetime | None = None) -> list[str]:
        """Enqueue every job that is due at ``now``; returns their names. A job whose enqueue fails is
        logged and tried again on the next pass."""
        now = now or self.clock()
        enqueued = []
        for job in self.jobs:
            due = self.due.get(job.name, now)
            if due > now:
                continue
            try:
                job.task.enqueue()
            except Exception:
                logger.exception("could not enqueue %s", job.name)
                continue
            self.due[job.name] = next_due(due, job.every, now)
            enqueued.append(job.name)
        return enqueued

    def run(self, stop: threading.Event) -> None:
        """Loop until ``stop`` is set (the management command sets it on SIGINT/SIGTERM)."""
        while not stop.is_set():
            names = self.run_once()
            if names:
                logger.info("enqueued %s", ", ".join(names))
            stop.wait(self._seconds_to_next(self.clock()))

    def _seconds_to_next(self, now: datetime) -> float:
        """Sleep until the next job is due, but at most one tick (so a stop is noticed quickly)."""
        soonest = min(self.due.values(), default=now + self.tick)
        return max(0.0, min((soonest - now).total_seconds(), self.tick.total_seconds()))
