"""Build the pure ``capacity.OfficeCapacity`` of an office from the database."""

from __future__ import annotations

from datetime import date, datetime, timedelta

from django.db.models import Count, Q
from django.utils import timezone

from buergerbuero.tenants.models import ClosingDay, Office, OpeningHours

from .capacity import BookingWindow, OfficeCapacity, OpeningInterval, ServiceGroup
from .closures import closed_dates
from .models import BookingPolicy
from .models import ServiceGroup as GroupRow

__all__ = ["booking_window", "office_capacity", "policy_of"]


def policy_of(office: Office) -> BookingPolicy:
    """The office's booking policy; an unsaved default one for offices that have none."""
    try:
        return BookingPolicy.objects.get(office=office)
    except BookingPolicy.DoesNotExist:
        return BookingPolicy(office=office, is_active=False)


def booking_window(policy: BookingPolicy, now: datetime) -> tuple[date, date]:
    """The first and last day citizens may book at ``now`` under ``policy`` (both inclusive, local dates)."""
    today = timezone.localtime(now).date()
    return today + timedelta(days=policy.first_day_offset), today + timedelta(days=7 * policy.weeks_ahead)


def office_capacity(office: Office, start: date, end: date) -> OfficeCapacity:
    """The capacity model of ``office`` for the days ``start``..``end`` (closures are looked up for them)."""
    policy = policy_of(office)
    groups = (
        GroupRow.objects.filter(office=office)
        .annotate(active_counters=Count("counters", filter=Q(counters__is_active=True), distinct=True))
        .prefetch_related("services")
        .order_by("key")
    )
    minutes: dict[str, int] = {}
    pure_groups = []
    for group in groups:
        services = frozenset(service.slug for service in group.services.all())
        for service in group.services.all():
            minutes[service.slug] = service.counter_minutes
        pure_groups.append(ServiceGroup(key=group.key, services=services, counters=group.active_counters))
    local = ClosingDay.objects.filter(office=office, date__range=(start, end)).values_list("date", flat=True)
    return OfficeCapacity(
        key=str(office.public_id),
        hours=tuple(
            OpeningInterval(weekday=row.weekday, opens=row.opens, closes=row.closes)
            for row in OpeningHours.objects.filter(office=office)
        ),
        groups=tuple(pure_groups),
        service_minutes=minutes,
        closed=closed_dates(office.municipality.district.state_code, start, end, local),
        grid_minutes=policy.grid_minutes,
        walk_in_percent=policy.walk_in_percent,
        window=BookingWindow(first_day_offset=policy.first_day_offset, weeks=policy.weeks_ahead),
    )
