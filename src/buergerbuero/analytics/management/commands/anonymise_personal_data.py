"""``manage.py anonymise_personal_data``: what the daily task does, on demand."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand

from buergerbuero.analytics.services.anonymise import anonymise_personal_data


class Command(BaseCommand):
    help = (
        "Erase personal data of tickets older than ANONYMISE_TICKETS_AFTER_DAYS and of appointments older than "
        "ANONYMISE_APPOINTMENTS_AFTER_DAYS (also waitlist and lottery entries after their last relevance); "
        "statistics are kept. Idempotent."
    )

    def handle(self, *args: Any, **options: Any) -> None:
        result = anonymise_personal_data()
        self.stdout.write(
            f"tickets before {result.tickets_before} ({settings.ANONYMISE_TICKETS_AFTER_DAYS} days): "
            f"{result.tickets} anonymised, {result.push_subscriptions} push subscriptions and "
            f"{result.ticket_events} events cleaned; appointments before {result.appointments_before:%Y-%m-%d %H:%M} "
            f"({settings.ANONYMISE_APPOINTMENTS_AFTER_DAYS} days): {result.appointments} anonymised, "
            f"{result.waitlist_entries} waitlist and {result.lottery_entries} lottery entries anonymised."
        )
