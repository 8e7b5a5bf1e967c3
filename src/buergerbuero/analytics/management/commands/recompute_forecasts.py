"""``manage.py recompute_forecasts [--office ID] [--days 14]``: what the nightly task does, now."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from buergerbuero.analytics.services.forecasts import FORECAST_DAYS, recompute_forecasts
from buergerbuero.core.tenancy import scopes_disabled
from buergerbuero.tenants.models import Office


class Command(BaseCommand):
    help = "Recompute the expected arrivals and waits per open hour of the next days for every office (or one)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--office", type=int, help="only this office (id)")
        parser.add_argument("--days", type=int, default=FORECAST_DAYS, help=f"days ahead (default {FORECAST_DAYS})")

    def handle(self, *args: Any, **options: Any) -> None:
        days: int = options["days"]
        if days < 1:
            raise CommandError("--days must be at least 1.")
        office = None
        if options["office"] is not None:
            with scopes_disabled():
                office = Office.objects.select_related("municipality__district").filter(pk=options["office"]).first()
            if office is None:
                raise CommandError(f"There is no office with id {options['office']}.")
        runs = recompute_forecasts(office=office, days=days)
        for run in runs:
            if run.slots:
                self.stdout.write(f"office {run.office_id}: {run.slots} forecast hours")
            else:
                self.stdout.write(f"office {run.office_id}: not enough history, no forecast")
