"""Counting completed document checklists (a visit or second visit they probably avoided)."""

from __future__ import annotations

import datetime as dt

from django.db import IntegrityError, transaction
from django.db.models import F, Subquery

from buergerbuero.catalog.models import Service
from buergerbuero.tenants.models import Municipality

from ..models import ChecklistUse

__all__ = ["record_checklist_use"]


def record_checklist_use(*, municipality: Municipality | None, service: Service, day: dt.date) -> None:
    """Add one completed checklist of ``service`` for residents of ``municipality`` (``None``: unknown) on ``day``.

    Race-safe: the day's row is created once (a concurrent creator loses on the unique constraint and
    retries as an update), and the count grows with ``UPDATE … SET count = count + 1``.
    """
    lookup = {"municipality": municipality, "service": service, "day": day}
    for _attempt in range(2):
        # One row only: without a municipality the unique constraint does not hold (NULLs are distinct), so
        # two concurrent first counts may leave two rows; the count then goes on the older one.
        first = ChecklistUse.objects.filter(**lookup).order_by("pk").values("pk")[:1]
        if ChecklistUse.objects.filter(pk__in=Subquery(first)).update(count=F("count") + 1):
            return
        try:
            with transaction.atomic():
                ChecklistUse.objects.create(**lookup, count=1)
            return
        except IntegrityError:
            continue  # someone else created it a moment ago: count on their row
    raise RuntimeError("could not count a checklist use")
