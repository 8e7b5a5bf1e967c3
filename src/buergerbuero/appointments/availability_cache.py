"""A short-lived, shared cache of the public free-days and free-times answers.

In a release storm thousands of clients ask the same question ("which days / times are free at this
office for this service?") within seconds. Each answer is computed at most once per
``APPOINTMENTS_AVAILABILITY_CACHE_SECONDS`` (default 2) per office, services and day and kept as the
finished JSON in the shared cache (Redis in production), so every worker process answers a repeat
with one cache read instead of reading the office, its services and its cells again.

An answer may therefore still show a time that was booked in the last seconds. Nothing depends on it:
a hold or booking always claims the cells themselves (and answers 409 with fresh, never cached
alternatives), so the cache can make a citizen's choice fail, never overbook. Only successful answers
are kept; errors (unknown office or service, bad date) are computed every time, in the language of
the request. ``0`` switches the cache off (the test suite does, except for the tests of this module).
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Sequence

from django.conf import settings
from django.core.cache import cache

__all__ = ["cached_answer", "key_for"]

PREFIX = "appointments:availability:"


def key_for(kind: str, parts: Sequence[str]) -> str:
    """The cache key of one question; ``parts`` are hashed, so any slug or date is a safe key."""
    digest = hashlib.blake2b("\x1f".join(parts).encode(), digest_size=16).hexdigest()
    return f"{PREFIX}{kind}:{digest}"


def cached_answer(kind: str, parts: Sequence[str], compute: Callable[[], bytes | None]) -> bytes | None:
    """The JSON answer to ``(kind, parts)``: from the cache while it is fresh, else ``compute()`` it
    and keep it. ``compute`` returns ``None`` for an answer that must not be kept (it raises for
    refusals, which are never kept either)."""
    seconds = settings.APPOINTMENTS_AVAILABILITY_CACHE_SECONDS
    if seconds <= 0:
        return compute()
    key = key_for(kind, parts)
    body: bytes | None = cache.get(key)
    if body is None:
        body = compute()
        if body is not None:
            cache.set(key, body, timeout=seconds)
    return body
