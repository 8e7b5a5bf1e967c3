"""An office that takes appointments: policy, one service group, released capacity.

``bookable_office(office, services=..., counters=..., walk_in_percent=0, now=...)`` is the usual
start of a booking test; it returns the office's ``ServiceGroup``.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

from buergerbuero.appointments.models import BookingPolicy, ServiceGroup
from buergerbuero.appointments.services.booking import release_capacity
from buergerbuero.catalog.models import Service
from buergerbuero.core.tenancy import scopes_disabled
from buergerbuero.tenants.models import Counter, Office
from tests.catalog.factories import ServiceFactory


def bookable_office(
    office: Office,
    *,
    services: Sequence[Service] | None = None,
    counters: int | None = None,
    now: dt.datetime | None = None,
    key: str = "termine",
    **policy: Any,
) -> ServiceGroup:
    """Give ``office`` a booking policy (``policy`` overrides its fields; walk-in share 0 unless given),
    a group with ``counters`` counters (default: the office's) serving ``services`` (default: one
    new 10-minute service), and release its booking window at ``now``."""
    policy.setdefault("walk_in_percent", 0)
    with scopes_disabled():
        BookingPolicy.objects.update_or_create(office=office, defaults=policy)
        if counters is not None:
            existing = Counter.objects.filter(office=office).count()
            for number in range(existing + 1, counters + 1):
                Counter.objects.create(office=office, name=f"Platz {number}")
            for extra in Counter.objects.filter(office=office).order_by("pk")[counters:]:
                extra.is_active = False
                extra.save(update_fields=["is_active"])
        group, _ = ServiceGroup.objects.get_or_create(office=office, key=key, defaults={"name": "Termine"})
        group.counters.set(Counter.objects.filter(office=office, is_active=True))
        group.services.set(services if services is not None else [ServiceFactory(counter_minutes=10)])
        release_capacity(office, now=now)
    return group
