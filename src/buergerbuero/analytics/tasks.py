"""Periodic work of statistics (run by ``manage.py db_worker``, enqueued by the scheduler)."""

from __future__ import annotations

from django_tasks import task

from .services.anonymise import anonymise_personal_data
from .services.forecasts import recompute_forecasts


@task()
def anonymise_old_personal_data() -> dict[str, int]:
    """Daily: erase personal data of tickets, appointments, waitlist and lottery entries older than the configured
    days."""
    result = anonymise_personal_data()
    return {
        "tickets": result.tickets,
        "push_subscriptions": result.push_subscriptions,
        "ticket_events": result.ticket_events,
        "appointments": result.appointments,
        "waitlist_entries": result.waitlist_entries,
        "lottery_entries": result.lottery_entries,
    }


@task()
def recompute_office_forecasts() -> dict[str, int]:
    """Nightly: the next 14 days of expected arrivals and waits per office (hourly; offices done today are skipped)."""
    runs = recompute_forecasts(stale_only=True)
    return {
        "recomputed": sum(1 for run in runs if not run.skipped),
        "without_history": sum(1 for run in runs if not run.skipped and not run.slots),
    }


__all__ = ["anonymise_old_personal_data", "recompute_office_forecasts"]
