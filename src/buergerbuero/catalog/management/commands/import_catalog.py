from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils.translation import gettext as _

from buergerbuero.catalog.importer import import_catalog, read_file


class Command(BaseCommand):
    help = (
        "Import catalogue services from a JSON file (our full format) or a CSV file. "
        "Records are keyed by slug, so importing again changes nothing; nothing is written when any record is invalid."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("path", type=Path, help="the file to import")
        parser.add_argument(
            "--format", choices=["json", "csv"], default=None, help="the file's format (default: from its suffix)"
        )
        parser.add_argument("--dry-run", action="store_true", help="check and count, then save nothing")

    def handle(self, *args: Any, **options: Any) -> None:
        path: Path = options["path"]
        if not path.is_file():
            raise CommandError(_("No such file: %(path)s") % {"path": path})
        data = read_file(path, options["format"])
        result = import_catalog(data, dry_run=options["dry_run"], progress=self.stdout.write)
        if result.errors:
            for error in result.errors:
                self.stderr.write(str(error))
            raise CommandError(_("%(count)d problem(s) found; nothing was imported.") % {"count": len(result.errors)})
        self.stdout.write(result.summary())
        if not result.dry_run:
            self.stdout.write(self.style.SUCCESS(_("Catalogue imported.")))
