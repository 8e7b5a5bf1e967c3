"""The transactional outbox: everything that leaves the system goes through here.

``enqueue`` writes an ``OutboxMessage`` in the caller's transaction, so a message exists exactly when
the change that caused it was committed. ``dispatch_due`` (run by the ``dispatch_outbox`` task and
``manage.py dispatch_outbox``) sends due messages through the handler registered for their kind,
retrying with exponential backoff (``OUTBOX_BACKOFF_SECONDS`` × 2^attempt) up to
``OUTBOX_MAX_ATTEMPTS``. On PostgreSQL concurrent dispatchers skip each other's rows
(``SKIP LOCKED``); on SQLite writes are serialised anyway.

After a transaction that queued messages commits, ``dispatch_outbox`` is enqueued once (the "kick"),
so messages leave within seconds while ``db_worker`` runs; the scheduler's periodic dispatch is the
safety net for retries and for a kick that could not be enqueued.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import IntegrityError, connection, transaction
from django.utils import timezone

from .models import OutboxMessage

__all__ = ["DispatchResult", "dispatch_due", "enqueue", "register_handler"]

logger = logging.getLogger(__name__)

Handler = Callable[[Mapping[str, Any]], None]
_handlers: dict[str, Handler] = {}


def register_handler(kind: str, handler: Handler) -> None:
    """Make ``handler(payload)`` send messages of ``kind``; it raises to signal a failed attempt."""
    _handlers[kind] = handler


def enqueue(kind: str, payload: Mapping[str, Any], *, dedupe_key: str | None = None) -> OutboxMessage | None:
    """Queue a message in the current transaction. With ``dedupe_key`` a second call with the same key
    is a no-op and returns ``None``."""
    now = timezone.now()
    if dedupe_key is None:
        message = OutboxMessage.objects.create(kind=kind, payload=dict(payload), next_attempt_at=now)
    else:
        try:
            with transaction.atomic():
                message = OutboxMessage.objects.create(
                    kind=kind, payload=dict(payload), dedupe_key=dedupe_key, next_attempt_at=now
                )
        except IntegrityError:
            return None
    _kick_after_commit()
    return message


def _kick_after_commit() -> None:
    """Enqueue one ``dispatch_outbox`` when the current transaction commits (at once in autocommit).

    Once per transaction: a kick already registered (and not discarded with a rolled-back savepoint)
    is not registered again.
    """
    connection = transaction.get_connection()
    if any(callback is _kick for _, callback, _ in connection.run_on_commit):
        return
    transaction.on_commit(_kick)


def _kick() -> None:
    from .tasks import dispatch_outbox

    try:
        dispatch_outbox.enqueue()
    except Exception:  # the periodic dispatch sends the message anyway
        logger.warning("could not enqueue the outbox dispatch", exc_info=True)


@dataclass(frozen=True)
class DispatchResult:
    sent: int
    retried: int
    failed: int


def dispatch_due(*, now: datetime | None = None, limit: int = 100) -> DispatchResult:
    """Send up to ``limit`` due messages. Each message is claimed, sent and recorded on its own."""
    from . import handlers  # noqa: F401  (registers the built-in handlers)

    now = now or timezone.now()
    sent = retried = failed = 0
    for pk in _due_ids(now, limit):
        outcome = _send_one(pk, now)
        sent += outcome == "sent"
        retried += outcome == "retry"
        failed += outcome == "failed"
    return DispatchResult(sent=sent, retried=retried, failed=failed)


def _due_ids(now: datetime, limit: int) -> list[int]:
    return list(
        OutboxMessage.objects.filter(state=OutboxMessage.State.PENDING, next_attempt_at__lte=now)
        .order_by("next_attempt_at", "pk")
        .values_list("pk", flat=True)[:limit]
    )


def _send_one(pk: int, now: datetime) -> str:
    with transaction.atomic():
        rows = OutboxMessage.objects.filter(pk=pk, state=OutboxMessage.State.PENDING, next_attempt_at__lte=now)
        if connection.features.has_select_for_update_skip_locked:
            rows = rows.select_for_update(skip_locked=True)
        message = rows.first()
        if message is None:
            return "skipped"  # another dispatcher has it
        handler = _handlers.get(message.kind)
        message.attempts += 1
        try:
            if handler is None:
                raise LookupError(f"no outbox handler for {message.kind!r}")
            handler(message.payload)
        except Exception as error:
            message.last_error = f"{type(error).__name__}: {error}"[:2000]
            if message.attempts >= int(settings.OUTBOX_MAX_ATTEMPTS):
                message.state = OutboxMessage.State.FAILED
                logger.error("outbox message %s failed for good: %s", message.pk, message.last_error)
                outcome = "failed"
            else:
                delay = int(settings.OUTBOX_BACKOFF_SECONDS) * 2 ** (message.attempts - 1)
                message.next_attempt_at = now + timedelta(seconds=delay)
                outcome = "retry"
        else:
            message.state = OutboxMessage.State.SENT
            message.sent_at = now
            message.last_error = ""
            outcome = "sent"
        message.save(update_fields=["attempts", "state", "next_attempt_at", "last_error", "sent_at"])
        return outcome
