"""``manage.py forecast_waits --history FILE.csv --weeks N --out FORECAST.csv``.

A thin wrapper: the work is done by :func:`buergerbuero.analytics.forecast_io.write_forecast`.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from buergerbuero.analytics.forecast_io import write_forecast


class Command(BaseCommand):
    help = "Write an hourly waiting-time forecast (date,hour,avg_wait_min) for the N ISO weeks after a history CSV."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--history", type=Path, required=True, help="CSV with date,hour,avg_wait_min")
        parser.add_argument("--weeks", type=int, default=2, help="number of ISO weeks to forecast (default 2)")
        parser.add_argument("--out", type=Path, required=True, help="where to write the forecast CSV")

    def handle(self, *args: Any, **options: Any) -> None:
        weeks: int = options["weeks"]
        if weeks < 1:
            raise CommandError("--weeks must be at least 1.")
        try:
            forecasts = write_forecast(options["history"], weeks, options["out"])
        except ValueError as error:  # HistoryFormatError and an unusable history
            raise CommandError(str(error)) from error
        except OSError as error:
            raise CommandError(f"{options['out']}: cannot be written ({error.strerror}).") from error
        first, last = forecasts[0].day, forecasts[-1].day
        self.stdout.write(f"Wrote {len(forecasts)} hourly forecasts ({first} to {last}) to {options['out']}.")
