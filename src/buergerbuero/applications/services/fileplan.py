"""Claiming file numbers (Aktenzeichen) from the Kreis-wide file plan.

One counter row per (plan, code, year), created on first use and incremented under a row lock inside
the caller's transaction, so numbers are unique and without gaps across the Kreis: a rolled-back
submission gives its number back with the rest of its transaction.
"""

from __future__ import annotations

from django.db import IntegrityError, transaction
from django.db.models import F

from buergerbuero.catalog.models import Service
from buergerbuero.tenants.models import District

from ..fileplan import format_file_number
from ..models import FileNumberCounter, FilePlan, FilePlanEntry

__all__ = ["claim_file_number", "file_plan_of"]


def file_plan_of(district: District) -> FilePlan:
    """The Kreis's file plan; a Kreis without one gets one with the default format and code."""
    plan = FilePlan.objects.filter(district=district).first()
    if plan is not None:
        return plan
    try:
        with transaction.atomic():
            return FilePlan.objects.create(district=district)
    except IntegrityError:  # created by a concurrent claim
        return FilePlan.objects.get(district=district)


def file_plan_code(plan: FilePlan, service: Service) -> str:
    """The code the service is filed under: its entry in the plan, else the plan's default code."""
    code = (
        FilePlanEntry.objects.filter(plan=plan, services=service)
        .order_by("code")
        .values_list("code", flat=True)
        .first()
    )
    return code or plan.default_code


def claim_file_number(*, district: District, service: Service, year: int) -> str:
    """The next file number for ``service`` in ``year`` (e.g. ``32.11/2026/000123``).

    Runs in the caller's transaction if there is one (the number is then claimed together with the case
    that carries it); the counter row stays locked until that transaction ends.
    """
    with transaction.atomic():
        plan = file_plan_of(district)
        code = file_plan_code(plan, service)
        counter = _locked_counter(plan, code, year)
        FileNumberCounter.objects.filter(pk=counter.pk).update(last_value=F("last_value") + 1)
        number = counter.last_value + 1
    return format_file_number(plan.number_format, code=code, year=year, number=number)


def _locked_counter(plan: FilePlan, code: str, year: int) -> FileNumberCounter:
    counters = FileNumberCounter.objects.select_for_update()
    counter = counters.filter(plan=plan, code=code, year=year).first()
    if counter is not None:
        return counter
    try:
        with transaction.atomic():  # a savepoint: a concurrent first claim may win the insert
            FileNumberCounter.objects.create(plan=plan, code=code, year=year)
    except IntegrityError:
        pass
    return counters.get(plan=plan, code=code, year=year)
