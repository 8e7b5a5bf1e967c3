"""Import the catalogue feeds of other installations: ``sync_catalog_feed --url URL [--name NAME]`` or ``--all``."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from buergerbuero.catalog.feed_import import FeedSyncError, source_for_url, sync_source
from buergerbuero.catalog.models import FeedSource


class Command(BaseCommand):
    help = "Pull the catalogue feed of other installations (a new URL becomes a feed source) and apply it."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--url", help="base URL of the other installation, e.g. https://buergerbuero.neuss.de")
        parser.add_argument("--name", default="", help="name of a new feed source (default: its host name)")
        parser.add_argument("--all", action="store_true", help="sync every feed source")
        parser.add_argument("--limit", type=int, default=100, help="records per page (1–500)")
        parser.add_argument("--restart", action="store_true", help="forget the cursor and read the feed from the start")

    def handle(self, *args: Any, **options: Any) -> None:
        if not options["url"] and not options["all"]:
            raise CommandError("Give --url URL (and --name NAME for a new source) or --all.")
        try:
            sources = [source_for_url(url=options["url"], name=options["name"])] if options["url"] else []
        except FeedSyncError as error:
            raise CommandError(str(error)) from error
        if options["all"]:
            sources += [source for source in FeedSource.objects.order_by("name") if source not in sources]
        failed = []
        for source in sources:
            if options["restart"]:
                source.cursor = ""
                source.save(update_fields=["cursor"])
            try:
                result = sync_source(source, limit=options["limit"], progress=self.stdout.write)
            except FeedSyncError as error:
                self.stderr.write(f"{source.name}: {error}")
                failed.append(source.name)
                continue
            self.stdout.write(
                self.style.SUCCESS(
                    f"{source.name}: {result.applied} applied, {result.unchanged} unchanged, "
                    f"{result.deleted} deleted, {result.skipped} skipped in {result.pages} page(s)"
                )
            )
            for note in result.notes:
                self.stdout.write(f"  {note}")
        if failed:
            raise CommandError(f"Sync failed for: {', '.join(failed)}")
