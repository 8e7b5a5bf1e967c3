"""``manage.py load_forms``: load and publish the form files in ``applications/forms/`` (idempotent)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from buergerbuero.applications.formdef import DefinitionError
from buergerbuero.applications.services import ApplicationError
from buergerbuero.applications.services.forms import load_form_file, load_form_files


class Command(BaseCommand):
    help = "Load the online forms (applications/forms/*.json); a new version only where a file changed."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("files", nargs="*", help="Form files to load (default: every file of the forms folder)")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            forms = [load_form_file(Path(name)) for name in options["files"]] or load_form_files()
        except DefinitionError as error:
            raise CommandError("\n".join(error.errors)) from error
        except ApplicationError as error:
            raise CommandError(error.message) from error
        for form in forms:
            self.stdout.write(f"{form.service.slug}: v{form.version} ({form.get_status_display()})")
