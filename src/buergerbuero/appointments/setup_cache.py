"""Per-process copies of the booking setup the public API reads on every request.

Every free-days, free-times and booking request needs the office (with its municipality and booking
policy), the catalogue services it names, which of the office's groups serve them together and which
days a lottery round holds back. Staff change these a few times a year; a release storm reads them
hundreds of times a second. Each worker process therefore keeps copies, valid for one *generation* of
the setup:

* saving or deleting an office, municipality, booking policy, service group (or its services),
  catalogue service or lottery round clears this process's copies at once and starts a new generation when the
  transaction commits (``connect``, called from ``AppointmentsConfig.ready``); until then this
  process makes no new copies, since what the transaction saw may still be rolled back;
* the generation lives in the shared cache (Redis in production). A process reads it at most every
  ``APPOINTMENTS_SETUP_CHECK_SECONDS`` (default 1; 0 = on every lookup), so every other process drops
  its copies within that second after the commit.

Changes that bypass model signals (``QuerySet.update``, ``bulk_create``) must call ``changed()``
themselves. The copies are shared by the requests of a process and must not be modified.
``APPOINTMENTS_SETUP_CACHE = False`` switches the copies off.
"""

from __future__ import annotations

import logging
import threading
import time
import uuid
from collections.abc import Callable
from typing import Any, TypeVar

from django.conf import settings
from django.core.cache import cache
from django.db.models.signals import m2m_changed, post_delete, post_save

from buergerbuero.core.commit_hooks import on_commit_once, pending

__all__ = ["GENERATION_KEY", "changed", "clear_local", "connect", "remembered"]

GENERATION_KEY = "appointments:setup-generation"

logger = logging.getLogger(__name__)

T = TypeVar("T")

_lock = threading.Lock()
_copies: dict[tuple[Any, ...], Any] = {}
_generation_of_copies: list[str | None] = [None]
_checked: list[str | float] = ["", 0.0]  # the generation last read from the shared cache, and when
MAX_COPIES = 10_000  # a bound: lottery days are kept per date range and pile up until a change


def remembered(key: tuple[Any, ...], load: Callable[[], T]) -> T:
    """``load()``'s value, kept for this generation of the setup; ``None`` (not found) is not kept."""
    generation = _current_generation() if settings.APPOINTMENTS_SETUP_CACHE else None
    if generation is None:
        return load()
    with _lock:
        if _generation_of_copies[0] != generation or len(_copies) >= MAX_COPIES:
            _copies.clear()
            _generation_of_copies[0] = generation
        if key in _copies:
            return _copies[key]  # type: ignore[no-any-return]
    value = load()
    if value is not None and not pending(_new_generation):  # what this transaction saw may still roll back
        with _lock:
            if _generation_of_copies[0] == generation:
                _copies[key] = value
    return value


def changed(**_signal: Any) -> None:
    """The setup changed: drop this process's copies now, and every process's after the commit (once
    per transaction, however many rows it saved)."""
    clear_local()
    on_commit_once(_new_generation)


def clear_local() -> None:
    """Drop this process's copies (tests: a rolled-back test transaction never starts a generation)."""
    with _lock:
        _copies.clear()
        _generation_of_copies[0] = None
        _checked[:] = ["", 0.0]


def connect() -> None:
    """Watch the models the copies are made of."""
    from buergerbuero.catalog.models import Service
    from buergerbuero.tenants.models import Municipality, Office

    from .models import BookingPolicy, LotteryRound, ServiceGroup

    for model in (Office, Municipality, BookingPolicy, ServiceGroup, Service, LotteryRound):
        post_save.connect(changed, sender=model, dispatch_uid=f"setup-cache-save-{model.__name__}")
        post_delete.connect(changed, sender=model, dispatch_uid=f"setup-cache-delete-{model.__name__}")
    m2m_changed.connect(changed, sender=ServiceGroup.services.through, dispatch_uid="setup-cache-group-services")
    m2m_changed.connect(changed, sender=LotteryRound.services.through, dispatch_uid="setup-cache-lottery-services")


def _current_generation() -> str | None:
    """The shared generation, read again once ``APPOINTMENTS_SETUP_CHECK_SECONDS`` have passed;
    ``None`` when the shared cache cannot be read (then nothing is copied: every lookup loads)."""
    now = time.monotonic()
    known, at = _checked
    if known and now - float(at) < settings.APPOINTMENTS_SETUP_CHECK_SECONDS:
        return str(known)
    try:
        generation = cache.get(GENERATION_KEY)
        if generation is None:
            cache.add(GENERATION_KEY, uuid.uuid4().hex, timeout=None)
            generation = cache.get(GENERATION_KEY)
    except Exception:
        logger.warning("the setup generation could not be read; no copies are used", exc_info=True)
        return None
    if generation is None:
        return None
    _checked[:] = [str(generation), now]
    return str(generation)


def _new_generation() -> None:
    """Runs after the commit: a failure must not turn a saved change into an error."""
    try:
        cache.set(GENERATION_KEY, uuid.uuid4().hex, timeout=None)
    except Exception:
        logger.error("the setup generation could not be renewed; other processes keep old copies", exc_info=True)
