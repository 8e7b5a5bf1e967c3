"""Nightly forecasts per office: the next 14 days of expected arrivals and wait per open hour.

``recompute_forecasts`` builds each office's hourly history from its tickets (``analytics.office_history``), fits
the forecasting model (``analytics.forecasting``, unchanged; the Land's public and school holidays from the
office's district) and replaces the office's ``ForecastSlot`` rows in one transaction, so a reader sees either
yesterday's forecast or today's, never a mix. Closed days and hours get no slots; an office without enough
history gets none at all (its page says so). Running it twice gives the same rows (idempotent).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db import transaction
from django.utils import timezone

from buergerbuero.analytics.models import ForecastSlot
from buergerbuero.analytics.office_calendar import calendar_for_land
from buergerbuero.analytics.office_history import forecast_hours, office_history, open_hours
from buergerbuero.core.tenancy import scopes_disabled
from buergerbuero.queueing.selectors import opening_days
from buergerbuero.tenants.models import Office

__all__ = ["FORECAST_DAYS", "HISTORY_WEEKS", "OfficeForecastRun", "recompute_forecasts"]

FORECAST_DAYS = 14
HISTORY_WEEKS = 52


@dataclass(frozen=True)
class OfficeForecastRun:
    office_id: int
    slots: int  # 0: not enough history (or no open hours ahead)
    skipped: bool  # stale_only and already computed today


def recompute_forecasts(
    *,
    office: Office | None = None,
    days: int = FORECAST_DAYS,
    now: datetime | None = None,
    stale_only: bool = False,
) -> list[OfficeForecastRun]:
    """Recompute the forecast of ``office`` (or of every office with a queue) for ``days`` days from today.

    ``stale_only`` leaves offices alone whose forecast was already computed today (local time): the scheduler
    runs the task hourly and the first run after midnight does the work, so a stopped scheduler catches up.
    """
    now = now or timezone.now()
    today = timezone.localdate(now)
    with scopes_disabled():
        offices = (
            [office]
            if office is not None
            else list(
                Office.objects.filter(service_groups__isnull=False)
                .select_related("municipality__district")
                .distinct()
                .order_by("pk")
            )
        )
        fresh: set[int] = set()
        if stale_only:
            start_of_today = datetime.combine(today, datetime.min.time(), tzinfo=timezone.get_current_timezone())
            fresh = set(
                ForecastSlot.objects.filter(office__in=offices, computed_at__gte=start_of_today).values_list(
                    "office_id", flat=True
                )
            )
    runs = []
    for item in offices:
        if item.pk in fresh:
            runs.append(OfficeForecastRun(office_id=item.pk, slots=0, skipped=True))
            continue
        runs.append(OfficeForecastRun(office_id=item.pk, slots=_recompute_office(item, days, now), skipped=False))
    return runs


def _recompute_office(office: Office, days: int, now: datetime) -> int:
    today = timezone.localdate(now)
    last = today + timedelta(days=days - 1)
    history = office_history(office, first=today - timedelta(weeks=HISTORY_WEEKS), last=today - timedelta(days=1))
    land = office.municipality.district.state_code
    calendar = calendar_for_land(land, range(today.year - 2, last.year + 2))
    hours = forecast_hours(history, open_hours(opening_days(office, today, last)), calendar=calendar)
    with scopes_disabled(), transaction.atomic():
        ForecastSlot.objects.filter(office=office).delete()
        ForecastSlot.objects.bulk_create(
            ForecastSlot(
                office=office,
                date=hour.day,
                hour=hour.hour,
                expected_arrivals=round(hour.arrivals, 2),
                expected_wait_min=round(hour.wait_min, 2),
                computed_at=now,
            )
            for hour in hours
        )
    return len(hours)
