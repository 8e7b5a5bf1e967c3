"""Noting that a citizen completed a document checklist, once per client, checklist and day.

Called by the catalogue's checklist pages (the result page after answering the questions, and the
PDF). Reloading the page or downloading the PDF after viewing it does not count again: a cache key
per client (hashed address), service, answers and day is claimed with ``cache.add`` first.
"""

from __future__ import annotations

import hashlib

from django.core.cache import cache
from django.http import HttpRequest
from django.utils import timezone

from buergerbuero.appointments.fairness import client_key
from buergerbuero.catalog.models import Service
from buergerbuero.tenants.models import Municipality

from .services.checklists import record_checklist_use

__all__ = ["note_checklist_completed"]


def note_checklist_completed(
    request: HttpRequest, *, municipality: Municipality | None, service: Service, answers: str
) -> bool:
    """Count one completed checklist unless this client already completed the same one today."""
    if request.method != "GET":
        return False
    day = timezone.localdate()
    digest = hashlib.sha256(f"{client_key(request)}|{service.pk}|{answers}".encode()).hexdigest()[:32]
    if not cache.add(f"analytics:checklist:{day.isoformat()}:{digest}", 1, timeout=26 * 3600):
        return False
    record_checklist_use(municipality=municipality, service=service, day=day)
    return True
