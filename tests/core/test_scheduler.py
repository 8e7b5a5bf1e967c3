"""The scheduler enqueues each periodic task at its fixed interval, without drift or pile-ups."""

from __future__ import annotations

import datetime as dt
import io
import threading
from dataclasses import dataclass, field
from zoneinfo import ZoneInfo

import pytest
from django.core.management import call_command
from django_tasks_db.models import DBTaskResult

from buergerbuero.core.scheduler import DEFAULT_SCHEDULE, Job, Scheduler, default_schedule, next_due

T0 = dt.datetime(2026, 11, 17, 9, 30, tzinfo=ZoneInfo("Europe/Berlin"))
MINUTE = dt.timedelta(minutes=1)


def test_it_keeps_a_job_on_its_grid_when_it_runs_late() -> None:
    assert next_due(T0, MINUTE, T0) == T0 + MINUTE
    assert next_due(T0, MINUTE, T0 + dt.timedelta(seconds=7)) == T0 + MINUTE  # no drift
    # Asleep for 3.5 intervals: one run now, the next on the grid, not three catch-up runs.
    assert next_due(T0, MINUTE, T0 + dt.timedelta(seconds=210)) == T0 + 4 * MINUTE
    with pytest.raises(ValueError):
        next_due(T0, dt.timedelta(0), T0)


@dataclass
class Recorder:
    """Stands in for a django-tasks ``Task``: counts ``enqueue()`` calls (optionally failing first)."""

    fail_first: int = 0
    calls: list[int] = field(default_factory=list)
    on_enqueue: threading.Event | None = None

    def enqueue(self) -> None:
        self.calls.append(1)
        if self.fail_first >= len(self.calls):
            raise ConnectionError("database is away")
        if self.on_enqueue is not None:
            self.on_enqueue.set()


def test_it_enqueues_every_job_at_start_and_then_each_at_its_interval() -> None:
    fast, slow = Recorder(), Recorder()
    scheduler = Scheduler([Job("fast", fast, MINUTE), Job("slow", slow, 5 * MINUTE)])

    assert scheduler.run_once(T0) == ["fast", "slow"]
    assert scheduler.run_once(T0 + dt.timedelta(seconds=59)) == []
    assert scheduler.run_once(T0 + MINUTE) == ["fast"]
    assert scheduler.run_once(T0 + 5 * MINUTE + dt.timedelta(seconds=3)) == ["fast", "slow"]
    assert scheduler.run_once(T0 + 6 * MINUTE) == ["fast"]
    assert (len(fast.calls), len(slow.calls)) == (4, 2)


def test_it_retries_a_failed_enqueue_on_the_next_pass() -> None:
    flaky = Recorder(fail_first=1)
    scheduler = Scheduler([Job("flaky", flaky, 5 * MINUTE)])

    assert scheduler.run_once(T0) == []
    assert scheduler.run_once(T0 + dt.timedelta(seconds=5)) == ["flaky"]
    assert scheduler.run_once(T0 + MINUTE) == []


def test_it_stops_when_told() -> None:
    stop = threading.Event()
    job = Recorder(on_enqueue=stop)  # the first pass sets the stop flag
    scheduler = Scheduler([Job("job", job, MINUTE)], tick=dt.timedelta(seconds=30))

    worker = threading.Thread(target=scheduler.run, args=(stop,))
    worker.start()
    worker.join(timeout=5)

    assert not worker.is_alive()
    assert len(job.calls) == 1


@pytest.mark.django_db
def test_it_enqueues_the_real_periodic_tasks_for_the_worker() -> None:
    names = {job.name for job in default_schedule()}
    assert {
        "return_capacity",
        "send_reminders",
        "release_unanswered",
        "release_booking_windows",
        "expire_waitlist_offers",
        "draw_lotteries",
        "dispatch_outbox",
    } <= names

    out = io.StringIO()
    call_command("run_scheduler", "--once", stdout=out)

    assert out.getvalue().startswith(f"enqueued {len(DEFAULT_SCHEDULE)} tasks")

    enqueued = sorted(DBTaskResult.objects.values_list("task_path", flat=True))
    assert enqueued == sorted(path for path, _ in DEFAULT_SCHEDULE)
