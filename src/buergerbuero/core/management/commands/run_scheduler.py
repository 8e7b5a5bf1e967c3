"""``manage.py run_scheduler``: enqueue the periodic tasks for ``manage.py db_worker``."""

from __future__ import annotations

import signal
import threading
from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from buergerbuero.core.scheduler import Scheduler, default_schedule


class Command(BaseCommand):
    help = "Enqueue the periodic tasks (reminders, capacity return, outbox, …) at their intervals."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--once", action="store_true", help="enqueue every periodic task once and exit")

    def handle(self, *args: Any, once: bool, **options: Any) -> None:
        scheduler = Scheduler(default_schedule())
        if once:
            names = scheduler.run_once()
            self.stdout.write(f"enqueued {len(names)} tasks: {', '.join(names)}")
            return
        stop = threading.Event()

        def _stop(signum: int, frame: object) -> None:
            stop.set()

        signal.signal(signal.SIGINT, _stop)
        signal.signal(signal.SIGTERM, _stop)
        self.stdout.write(f"Scheduler running: {', '.join(f'{job.name} every {job.every}' for job in scheduler.jobs)}")
        scheduler.run(stop)
        self.stdout.write("Scheduler stopped.")
