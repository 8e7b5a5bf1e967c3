from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from buergerbuero.core.outbox import dispatch_due


class Command(BaseCommand):
    help = "Send the due messages of the transactional outbox (e-mails, pushes, hand-offs)."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--limit", type=int, default=500)

    def handle(self, *args: Any, limit: int, **options: Any) -> None:
        result = dispatch_due(limit=limit)
        self.stdout.write(f"sent {result.sent}, retrying {result.retried}, failed {result.failed}")
