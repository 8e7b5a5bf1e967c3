"""Hand-made tickets with known arrival and call times, for the history and forecast tests."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime, time, timedelta
from itertools import count

from django.utils import timezone

from buergerbuero.appointments.models import ServiceGroup
from buergerbuero.core.tenancy import scopes_disabled
from buergerbuero.queueing.constants import TicketSource, TicketState
from buergerbuero.queueing.models import Ticket
from buergerbuero.tenants.models import Office

_numbers = count(1)


def ticket(
    office: Office,
    group: ServiceGroup,
    day: date,
    arrive: time,
    wait_min: float | None,
    *,
    source: str = TicketSource.KIOSK,
) -> Ticket:
    """An unsaved ticket that arrived at ``arrive`` on ``day`` and was called ``wait_min`` later (or never)."""
    arrived = datetime.combine(day, arrive, tzinfo=timezone.get_current_timezone())
    called = None if wait_min is None else arrived + timedelta(minutes=wait_min)
    return Ticket(
        office=office,
        day=day,
        prefix="A",
        number=next(_numbers),
        group=group,
        source=source,
        state=TicketState.DONE if called else TicketState.NO_SHOW,
        created_at=arrived,
        arrived_at=arrived,
        queued_at=arrived,
        called_at=called,
        last_called_at=called,
        started_at=called,
        ended_at=None if called is None else called + timedelta(minutes=8),
    )


def known_wait(day: date, hour: int) -> float:
    """Busier towards noon and on Mondays; afternoons quieter."""
    base = 10.0 + 5.0 * (hour - 8) if hour < 12 else 30.0 - 6.0 * (hour - 13)
    return base * (1.5 if day.weekday() == 0 else 1.0)


def weeks_of_tickets(
    office: Office,
    group: ServiceGroup,
    *,
    first_monday: date,
    weeks: int,
    wait: Callable[[date, int], float] = known_wait,
    arrivals: Callable[[int], int] = lambda hour: 2 + hour % 3,
) -> int:
    """``arrivals(hour)`` walk-ins per open hour (8–12, 13–16 on weekdays) for ``weeks`` weeks, each waiting
    ``wait(day, hour)``."""
    tickets = [
        ticket(office, group, day, time(hour, minute), wait(day, hour))
        for week in range(weeks)
        for weekday in range(5)
        for day in [first_monday + timedelta(weeks=week, days=weekday)]
        for hour in (8, 9, 10, 11, 13, 14, 15)
        for minute in range(5, 5 + 5 * arrivals(hour), 5)
    ]
    with scopes_disabled():
        Ticket.objects.bulk_create(tickets)
    return len(tickets)
