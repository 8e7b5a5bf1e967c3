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


_FIRST = ["Anna", "Mehmet", "Julia", "Lukas", "Sofia", "Jonas", "Elif", "Paul", "Marie", "Luca", "Hannah", "Ben"]
_LAST = ["Schmitz", "Yilmaz", "Becker", "Hoffmann", "Kowalski", "Schneider", "Nowak", "Wagner", "Krause", "Meyer"]


def load_demo_bookings(*, share: float = 0.35, days: int = 3, progress: Progress = lambda message: None) -> None:
    """Book about ``share`` of the first ``days`` bookable days of every office through the real claim
    path, so the staff day view and the citizens' choice show a realistic picture. Runs once (skipped
    when the demo already has appointments); the confirmations these would send are not queued."""
    import random

    from buergerbuero.appointments import selectors
    from buergerbuero.appointments.models import Appointment
    from buergerbuero.appointments.services.booking import BookingError, book
    from buergerbuero.core.models import OutboxMessage

    if Appointment.objects.exists():
        return
    rng = random.Random(5162)  # noqa: S311 - demo data, reproducible on purpose
    last_message = OutboxMessage.objects.order_by("-pk").values_list("pk", flat=True).first() or 0
    made = 0
    for group in ServiceGroup.objects.select_related("office").prefetch_related("services").order_by("pk"):
        services = [s for s in group.services.all() if s.counter_minutes <= 30]
        if not services:
            continue
        for day in selectors.bookable_days(group.office, services[:1])[:days]:
            for slot in selectors.free_slots(group.office, services[:1], day):
                if rng.random() > share:
                    continue
                service = rng.choice(services)
                name = f"{rng.choice(_FIRST)} {rng.choice(_LAST)}"
                try:
                    book(
                        group.office,
                        [service],
                        slot.starts_at,
                        name=name,
                        email=f"demo{made}@example.org",
                        phone="02131 0000",
                        enforce_caps=False,
                    )
                except BookingError:
                    continue  # the time was filled by an earlier demo booking
                made += 1
    OutboxMessage.objects.filter(pk__gt=last_message).delete()
    progress(f"  {made} demo appointments booked")
