"""``manage.py dispatch_outbox``: send the due outbox messages once, or keep sending with ``--loop``.

``--loop`` is a dedicated outbox worker (the fault test kills and restarts it); ``make demo`` sends
through ``db_worker`` (the ``dispatch_outbox`` task). Both use the same claims, so they can run side
by side, and a killed one leaves nothing behind that the next run does not pick up.
"""

from __future__ import annotations

import time
from typing import Any

from django.core.management.base import BaseCommand
from django.db import close_old_connections

from buergerbuero.core.outbox import dispatch_due


class Command(BaseCommand):
    help = "Send the due messages of the transactional outbox (e-mails, pushes, hand-offs)."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--limit", type=int, default=500)
        parser.add_argument("--loop", action="store_true", help="keep dispatching until stopped")
        parser.add_argument("--interval", type=float, default=1.0, help="seconds between idle rounds with --loop")

    def handle(self, *args: Any, limit: int, loop: bool, interval: float, **options: Any) -> None:
        while True:
            result = dispatch_due(limit=limit)
            if not loop or result.sent or result.retried or result.failed:
                self.stdout.write(f"sent {result.sent}, retrying {result.retried}, failed {result.failed}")
                self.stdout.flush()
            if not loop:
                return
            close_old_connections()
            if not (result.sent or result.retried or result.failed):
                time.sleep(interval)
