"""Builders for the Digitalisierungscheck tests: finished visits (tickets) and cases at fixed times."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from buergerbuero.appointments.models import ServiceGroup
from buergerbuero.catalog.models import Service
from buergerbuero.queueing.constants import TicketSource, TicketState
from buergerbuero.queueing.models import Ticket
from buergerbuero.tenants.models import Office

BERLIN = ZoneInfo("Europe/Berlin")


def at(day: dt.date, hour: int, minute: int = 0) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(hour, minute), tzinfo=BERLIN)


def line(office: Office) -> ServiceGroup:
    group, _created = ServiceGroup.objects.get_or_create(
        office=office, key="a", defaults={"name": "Pass und Ausweis", "ticket_prefix": "A"}
    )
    return group


def visit(
    office: Office,
    day: dt.date,
    *,
    service: Service | None,
    wait_minutes: int,
    state: str = TicketState.DONE,
    number: int | None = None,
) -> Ticket:
    """A ticket that joined the line at 9:00 and was called ``wait_minutes`` later (needs a tenant scope)."""
    queued = at(day, 9)
    called = queued + dt.timedelta(minutes=wait_minutes)
    return Ticket.objects.create(
        office=office,
        day=day,
        prefix="A",
        number=number if number is not None else Ticket.objects.filter(office=office, day=day).count() + 1,
        group=line(office),
        service=service,
        source=TicketSource.KIOSK,
        state=state,
        created_at=queued,
        arrived_at=queued,
        queued_at=queued,
        called_at=called,
        started_at=called,
        ended_at=called + dt.timedelta(minutes=10),
    )
