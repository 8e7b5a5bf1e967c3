from typing import Any

from django.core.management.base import BaseCommand

from buergerbuero.demo.loader import load_demo


class Command(BaseCommand):
    help = "Load (or refresh) the Rhein-Kreis Neuss demo district. Safe to run repeatedly."

    def handle(self, *args: Any, **options: Any) -> None:
        load_demo(progress=self.stdout.write)
        self.stdout.write(self.style.SUCCESS("Demo district loaded."))
