"""Periodic work of the live queue (run by ``manage.py db_worker``, enqueued by the scheduler)."""

from __future__ import annotations

from django.utils import timezone
from django_tasks import task

from buergerbuero.core.tenancy import scopes_disabled
from buergerbuero.tenants.models import Office

from .constants import TicketState
from .services.alerts import check_office
from .services.tickets import expire_before


@task()
def check_alerts() -> dict[str, int]:
    """Pre-call alerts that came due by the passing of time alone (no queue event since)."""
    with scopes_disabled():
        offices = Office.objects.filter(
            tickets__day=timezone.localdate(), tickets__state=TicketState.WAITING, tickets__alert_sent_at__isnull=True
        ).distinct()
        return {"alerted": sum(check_office(office) for office in offices)}


@task()
def expire_tickets() -> dict[str, int]:
    """Tickets of past days that were never served end as expired (the numbers start again each day)."""
    with scopes_disabled():
        return {"expired": expire_before(timezone.localdate())}


__all__ = ["check_alerts", "expire_tickets"]
