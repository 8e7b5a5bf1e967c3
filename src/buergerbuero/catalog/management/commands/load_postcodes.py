"""Load the postcodes of Germany (``geo/plz_ags_de.csv``, © OpenStreetMap contributors, ODbL 1.0).

    SECRET_KEY=x .venv/bin/python manage.py load_postcodes [PATH] [--prune]

Idempotent: a second run changes nothing. Without PATH it reads ``$SHARED_DATA_DIR/geo/plz_ags_de.csv``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from buergerbuero.catalog.geo import ATTRIBUTION, load_postcodes, postcode_path


class Command(BaseCommand):
    help = "Load postcode → municipality (AGS) pairs for the responsibility finder."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("path", nargs="?", type=Path, help=f"CSV file (default: {postcode_path()})")
        parser.add_argument("--prune", action="store_true", help="Delete postcode areas the file no longer lists.")

    def handle(self, *args: Any, path: Path | None = None, prune: bool = False, **options: Any) -> None:
        path = path or postcode_path()
        if not path.is_file():
            raise CommandError(f"No postcode file at {path}")
        verbose = int(options.get("verbosity", 1)) >= 1

        def progress(line: str) -> None:
            if verbose:
                self.stdout.write(line)

        result = load_postcodes(path, prune=prune, progress=progress)
        self.stdout.write(
            self.style.SUCCESS(
                f"Postcodes: {result.created} created, {result.updated} updated, {result.unchanged} unchanged, "
                f"{result.deleted} deleted ({ATTRIBUTION})"
            )
        )
