"""A short-lived, shared cache of the public free-days and free-times answers.

In a release storm thousands of clients ask the same question ("which days / times are free at this
office for this service?") within seconds. Each answer is computed at most once per
``APPOINTMENTS_AVAILABILITY_CACHE_SECONDS`` (default 2) per office, services and day and kept as the
finished JSON in the shared cache (Redis in production), so every worker process answers a repeat
with one cache read instead of reading the office, its services and its cells again.

A hold, booking, cancellation or move made through the API forgets the answer it changed (that
day's times at that office for those services), so its own client and most others see it at once.
An answer may still show a time taken in the last seconds another way (the portal's pages, staff,
another combination of services), and a list of days may name a day that just filled up. Nothing
depends on it: a hold or booking always claims the cells themselves (and answers 409 with fresh,
never cached alternatives), so the cache can make a citizen's choice fail, never overbook. Only
successful answers are kept; errors (unknown office or service, bad date) are computed every time,
in the language of the request. ``0`` switches the cache off (the test suite does, except for the
tests of this module).
"""

from __future__ import annotations

import hashlib
import logging
import uuid
from collections.abc import Callable, Sequence

from django.conf import settings
from django.core.cache import cache

__all__ = ["cached_answer", "forget", "key_for", "office_key", "question", "slugs"]

PREFIX = "appointments:availability:"

logger = logging.getLogger(__name__)


def key_for(kind: str, parts: Sequence[str]) -> str:
    """The cache key of one question; ``parts`` are hashed, so any slug or date is a safe key."""
    digest = hashlib.blake2b("\x1f".join(parts).encode(), digest_size=16).hexdigest()
    return f"{PREFIX}{kind}:{digest}"


def question(kind: str, office_id: str, services: str | Sequence[str], day: str = "") -> tuple[str, list[str]]:
    """``(kind, parts)`` of a free-days (``day`` empty) or free-times question, however it was spelt:
    the office's canonical UUID and the distinct service slugs, sorted."""
    return kind, [office_key(office_id), *([day] if kind == "slots" else []), *slugs(services)]


def office_key(public_id: str) -> str:
    """``public_id`` as the cache knows offices: the canonical UUID (any spelling of it is one office)."""
    try:
        return str(uuid.UUID(str(public_id)))
    except ValueError:
        return str(public_id)


def slugs(services: str | Sequence[str]) -> list[str]:
    """The distinct slugs of ``services`` (a comma-separated string or a list), sorted."""
    wanted = services.split(",") if isinstance(services, str) else list(services)
    return sorted({slug.strip() for slug in wanted if slug.strip()})


def cached_answer(kind: str, parts: Sequence[str], compute: Callable[[], bytes]) -> bytes:
    """The JSON answer to ``(kind, parts)``: from the cache while it is fresh, else ``compute()`` it
    and keep it. ``compute`` raises for refusals, which are never kept."""
    seconds = settings.APPOINTMENTS_AVAILABILITY_CACHE_SECONDS
    if seconds <= 0:
        return compute()
    key = key_for(kind, parts)
    try:
        body: bytes | None = cache.get(key)
    except Exception:  # the cache is down: answer fresh
        logger.warning("kept free times could not be read", exc_info=True)
        return compute()
    if body is None:
        body = compute()
        try:
            cache.set(key, body, timeout=seconds)
        except Exception:
            logger.warning("free times could not be kept", exc_info=True)
    return body


def forget(office_id: str, services: Sequence[str], day: str) -> None:
    """Drop the kept times of ``office_id`` on ``day`` (YYYY-MM-DD) for ``services``. Its list of days
    is left to expire: it changes only when a whole day is full, and a day listed a second too long
    just shows no times."""
    if settings.APPOINTMENTS_AVAILABILITY_CACHE_SECONDS <= 0:
        return
    try:
        cache.delete(key_for(*question("slots", office_id, services, day)))
    except Exception:  # called after a booking committed: it must not become an error; the entry expires
        logger.warning("kept free times could not be forgotten", exc_info=True)
