"""Demo appointment setup: every office with by-appointment services gets a booking policy, one
service group with all its counters and those services, and its booking window released."""

from __future__ import annotations

from collections.abc import Callable

from django.db.models import Q

from buergerbuero.appointments.models import BookingPolicy, ServiceGroup
from buergerbuero.appointments.services.booking import release_capacity
from buergerbuero.catalog.models import Service
from buergerbuero.tenants.models import Counter, Office

Progress = Callable[[str], None]


def load_demo_appointments(*, progress: Progress = lambda message: None) -> None:
    """Idempotent; call with scopes disabled."""
    for office in Office.objects.select_related("municipality").order_by("municipality__name", "name"):
        services = Service.objects.filter(
            Q(offerings__by_appointment=True) | Q(offerings__by_appointment__isnull=True, by_appointment=True),
            offerings__offices=office,
        ).distinct()
        if not services.exists():
            continue
        BookingPolicy.objects.get_or_create(office=office)
        group, _ = ServiceGroup.objects.get_or_create(office=office, key="termine", defaults={"name": "Terminschalter"})
        group.counters.set(Counter.objects.filter(office=office))
        group.services.set(services)
        result = release_capacity(office)
        progress(f"  {office}: {services.count()} services by appointment, {result.created} slots released")
