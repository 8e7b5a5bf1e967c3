"""The transactional outbox: everything that leaves the system goes through here.

``enqueue`` writes an ``OutboxMessage`` in the caller's transaction, so a message exists exactly when
the change that caused it was committed. After that transaction commits, ``dispatch_outbox`` is
enqueued once (the "kick"), so messages leave within seconds while ``db_worker`` runs; the
scheduler's periodic dispatch (and ``manage.py dispatch_outbox --loop``) is the safety net.

Sending one message takes three steps, each its own short transaction — no lock is held while a
receiver takes its time:

1. **claim**: one conditional ``UPDATE … WHERE state='pending' AND next_attempt_at <= now AND
   (claimed_until IS NULL OR claimed_until <= now)`` sets ``claimed_until`` (now +
   ``OUTBOX_CLAIM_SECONDS``), a fresh ``claim_token`` and counts the attempt. The row count says
   whether this dispatcher got it, on SQLite and PostgreSQL alike; two dispatchers never send the
   same message at the same time.
2. **send** through the handler registered for the kind, outside any transaction. While it runs,
   :func:`current_delivery` names the message; ``current_delivery().save_progress(**fields)``
   commits fields into the payload at once (guarded by the claim token, renewing the claim), so the
   next attempt continues where this one stopped.
3. **record** sent / retry with exponential backoff (``OUTBOX_BACKOFF_SECONDS`` × 2^(attempt-1)) /
   failed after ``OUTBOX_MAX_ATTEMPTS``, again guarded by the claim token: a worker that hung past
   its claim, which another run then took over, cannot overwrite the newer outcome.

A worker killed at any point leaves an unclaimed message or one with a claim that expires; the next
run takes it over. A message whose worker died during its last allowed attempt is marked failed.
Failed messages are shown to the municipality's staff, who can :func:`resend` them.

What "exactly once" means, per channel
--------------------------------------
Every attempt of a message carries its stable idempotency key (:func:`idempotency_key`, e.g.
``<outbox-42.1f3c…@buergerbuero.example>``), given to handlers as ``payload["_idempotency_key"]``
and ``current_delivery().idempotency_key``; a retried or resent message never gets a new key.

* **FIT-Connect**: the announced submission ID is persisted (``save_progress``) before anything is
  uploaded or submitted; a retry continues that submission, and the API refuses a second submit of
  it (409, which counts as delivered) → each case is submitted exactly once. A crash between the
  announcement and its persisting leaves an announced, never submitted submission that expires.
* **XGewerbeanzeige**: over HTTP with the message UUID as ``Idempotency-Key`` (the receiver drops a
  repeat), into files named by that UUID (a repeat rewrites the same file) → exactly once.
* **E-mail**: at least once, with the key as a stable ``Message-ID``; mail clients and archives fold
  equal Message-IDs. A duplicate is possible only if the worker dies after the mail server
  acknowledged DATA and before step 3 recorded it.

The fault test (``tests/applications/test_fault_delivery.py``, docs/outbox.md) kills the worker with
SIGKILL while it delivers and checks exactly that.
"""

from __future__ import annotations

import hashlib
import logging
import uuid
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from django.conf import settings
from django.core.cache import cache
from django.db import IntegrityError, connection, transaction
from django.db.models import F, Q
from django.utils import timezone

from .commit_hooks import on_commit_once
from .models import OutboxMessage

if TYPE_CHECKING:
    from buergerbuero.accounts.models import User
    from buergerbuero.tenants.models import Municipality

__all__ = [
    "ClaimLost",
    "Delivery",
    "DispatchResult",
    "current_delivery",
    "dispatch_due",
    "enqueue",
    "idempotency_key",
    "register_handler",
    "resend",
]

logger = logging.getLogger(__name__)

Handler = Callable[[Mapping[str, Any]], None]
_handlers: dict[str, Handler] = {}


def register_handler(kind: str, handler: Handler) -> None:
    """Make ``handler(payload)`` send messages of ``kind``; it raises to signal a failed attempt."""
    _handlers[kind] = handler


def enqueue(
    kind: str,
    payload: Mapping[str, Any],
    *,
    dedupe_key: str | None = None,
    municipality: Municipality | None = None,
    label: str = "",
) -> OutboxMessage | None:
    """Queue a message in the current transaction. With ``dedupe_key`` a second call with the same key
    is a no-op and returns ``None``. ``municipality`` and ``label`` let that municipality's staff see
    (and resend) the message in the back office if it cannot be delivered."""
    fields = {
        "kind": kind,
        "payload": dict(payload),
        "next_attempt_at": timezone.now(),
        "municipality": municipality,
        "label": label[:300],
    }
    if dedupe_key is None:
        message = OutboxMessage.objects.create(**fields)
    else:
        try:
            with transaction.atomic():
                message = OutboxMessage.objects.create(dedupe_key=dedupe_key, **fields)
        except IntegrityError:
            return None
    _kick_after_commit()
    return message


def _kick_after_commit() -> None:
    """Enqueue one ``dispatch_outbox`` when the current transaction commits (at once in autocommit).

    Once per transaction: a kick already registered (and not discarded with a rolled-back savepoint)
    is not registered again.
    """
    on_commit_once(_kick)


#: Set while a kicked dispatch waits to start; see ``_kick``.
KICK_PENDING_KEY = "outbox:kick-pending"


def _kick() -> None:
    """Enqueue ``dispatch_outbox`` unless one is already waiting to start.

    A waiting dispatch will see this commit's messages too, so a burst of commits (a release storm
    books dozens of appointments a second) queues one task, not one each. The dispatch clears the
    marker (``kick_taken``) *before* it reads the due messages: a message committed after that read
    began finds the marker gone and kicks a dispatch of its own. The marker expires after
    ``OUTBOX_KICK_SECONDS`` in case its task is lost; the periodic dispatch covers that gap.
    """
    from .tasks import dispatch_outbox

    try:
        seconds = settings.OUTBOX_KICK_SECONDS
        if seconds > 0 and not cache.add(KICK_PENDING_KEY, 1, timeout=seconds):
            return
    except Exception:  # no cache: kick anyway
        logger.warning("could not mark the outbox dispatch as pending", exc_info=True)
    try:
        dispatch_outbox.enqueue()
    except Exception:  # the periodic dispatch sends the message anyway
        logger.warning("could not enqueue the outbox dispatch", exc_info=True)


def kick_taken() -> None:
    """A kicked dispatch starts: later commits must kick again (called before reading due messages)."""
    try:
        cache.delete(KICK_PENDING_KEY)
    except Exception:  # the marker expires by itself
        logger.warning("could not clear the pending outbox dispatch", exc_info=True)


@dataclass(frozen=True)
class DispatchResult:
    sent: int
    retried: int
    failed: int


def dispatch_due(*, now: datetime | None = None, limit: int = 100) -> DispatchResult:
    """Send up to ``limit`` due messages, one after the other: each is claimed, sent and recorded on its own."""
    from . import handlers  # noqa: F401  (registers the built-in handlers)

    now = now or timezone.now()
    sent = retried = failed = 0
    _fail_abandoned(now)
    for pk in _due_ids(now, limit):
        outcome = _send_one(pk, now)
        sent += outcome == "sent"
        retried += outcome == "retry"
        failed += outcome == "failed"
    return DispatchResult(sent=sent, retried=retried, failed=failed)


def _claimable(now: datetime) -> Q:
    """Pending, due, and claimed by no one (or by a worker whose claim expired: it died or hangs)."""
    return Q(state=OutboxMessage.State.PENDING, next_attempt_at__lte=now) & (
        Q(claimed_until__isnull=True) | Q(claimed_until__lte=now)
    )


def _due_ids(now: datetime, limit: int) -> list[int]:
    return list(
        OutboxMessage.objects.filter(_claimable(now), attempts__lt=_max_attempts())
        .order_by("next_attempt_at", "pk")
        .values_list("pk", flat=True)[:limit]
    )


def _max_attempts() -> int:
    return int(settings.OUTBOX_MAX_ATTEMPTS)


def _claim_seconds() -> int:
    return int(settings.OUTBOX_CLAIM_SECONDS)


def _fail_abandoned(now: datetime) -> None:
    """A message whose worker died during its last allowed attempt (the claim expired with no attempt
    left) is failed: shown to staff with a resend button instead of killing workers forever."""
    OutboxMessage.objects.filter(_claimable(now), claimed_until__isnull=False, attempts__gte=_max_attempts()).update(
        state=OutboxMessage.State.FAILED,
        claimed_until=None,
        claim_token=None,
        last_error="the worker stopped during the last attempt",
    )


class ClaimLost(RuntimeError):
    """The claim on a message expired and another dispatcher took it over: stop sending it."""


@dataclass(frozen=True)
class Delivery:
    """The outbox message a handler is sending right now."""

    outbox_id: int
    idempotency_key: str
    claim_token: uuid.UUID | None = None

    def save_progress(self, **fields: Any) -> None:
        """Merge ``fields`` into the message's payload, committed at once (its own transaction, not the
        handler's), and renew the claim. A later attempt (after a crash or a failure) gets them in its
        payload and can continue where this one stopped, e.g. with an announced submission ID.

        Raises :class:`ClaimLost` if this worker's claim was taken over: the other worker owns the
        message now."""
        with transaction.atomic():
            rows = OutboxMessage.objects.filter(
                pk=self.outbox_id, claim_token=self.claim_token, state=OutboxMessage.State.PENDING
            )
            if connection.features.has_select_for_update:
                rows = rows.select_for_update()
            payload = rows.values_list("payload", flat=True).first()
            if payload is None:
                raise ClaimLost(f"outbox message {self.outbox_id} was claimed by another dispatcher")
            rows.update(
                payload={**payload, **fields},
                claimed_until=timezone.now() + timedelta(seconds=_claim_seconds()),
            )


_delivery: ContextVar[Delivery | None] = ContextVar("buergerbuero_outbox_delivery", default=None)


def current_delivery() -> Delivery | None:
    """The message being delivered while an outbox handler runs (``None`` outside a handler)."""
    return _delivery.get()


@contextmanager
def _delivering(message: OutboxMessage) -> Iterator[Delivery]:
    delivery = Delivery(outbox_id=message.pk, idempotency_key=idempotency_key(message), claim_token=message.claim_token)
    token = _delivery.set(delivery)
    try:
        yield delivery
    finally:
        _delivery.reset(token)


def idempotency_key(message: OutboxMessage) -> str:
    """The message's key, the same on every attempt and resend: ``<outbox-{pk}.{token}@{host}>``.

    ``token`` is derived from the dedupe key (or, without one, the creation time), so the key is
    stable, unique per message and a valid RFC 5322 ``Message-ID`` whatever the dedupe key contains.
    """
    source = message.dedupe_key or message.created_at.isoformat()
    token = hashlib.sha256(source.encode()).hexdigest()[:20]
    host = urlsplit(str(settings.SITE_URL)).hostname or "localhost"
    return f"<outbox-{message.pk}.{token}@{host}>"


def resend(message: OutboxMessage, *, actor: User) -> bool:
    """Give a failed message a fresh round of attempts, now (staff's "Resend" button).

    Claimed with a conditional update: only a ``failed`` message moves back to ``pending``, so a
    double click or two staff members resend it once. Returns whether this call resent it. The
    idempotency key stays the same, so a receiver that did get an earlier attempt recognises it.
    """
    from .audit import log_action

    with transaction.atomic():
        moved = OutboxMessage.objects.filter(pk=message.pk, state=OutboxMessage.State.FAILED).update(
            state=OutboxMessage.State.PENDING,
            attempts=0,
            next_attempt_at=timezone.now(),
            claimed_until=None,
            claim_token=None,
        )
        if not moved:
            return False
        attempts_before = message.attempts
        message.refresh_from_db()
        log_action(
            actor=actor,
            action="core.outbox.resent",
            obj=message,
            municipality=message.municipality,
            changes={"state": ["failed", "pending"], "attempts": [attempts_before, 0]},
        )
        _kick_after_commit()
    return True


def _send_one(pk: int, now: datetime) -> str:
    message = _claim(pk, now)
    if message is None:
        return "skipped"  # another dispatcher has it, or it was sent meanwhile
    # Step 2: send, outside any transaction of ours: no lock is held while a receiver takes its time.
    handler = _handlers.get(message.kind)
    try:
        if handler is None:
            raise LookupError(f"no outbox handler for {message.kind!r}")
        payload = {**message.payload, "_outbox_id": message.pk, "_idempotency_key": idempotency_key(message)}
        with _delivering(message):
            handler(payload)
    except Exception as error:
        return _record_failure(message, now, f"{type(error).__name__}: {error}")
    return _record_sent(message, now)


def _claim(pk: int, now: datetime) -> OutboxMessage | None:
    """Step 1: take the message with one conditional UPDATE (the row count says whether we got it).

    The claim holds for ``OUTBOX_CLAIM_SECONDS`` (renewed by ``save_progress``) and counts as an
    attempt, so a message that kills its worker again and again still runs out of attempts."""
    token = uuid.uuid4()
    with transaction.atomic():
        claimed = OutboxMessage.objects.filter(_claimable(now), pk=pk, attempts__lt=_max_attempts()).update(
            claimed_until=now + timedelta(seconds=_claim_seconds()),
            claim_token=token,
            attempts=F("attempts") + 1,
        )
    if not claimed:
        return None
    return OutboxMessage.objects.get(pk=pk)


def _record(message: OutboxMessage, **fields: Any) -> bool:
    """Step 3: write the outcome, only if the claim is still ours (a worker that hung past its claim
    must not overwrite what the worker that took over recorded). Releases the claim."""
    with transaction.atomic():
        updated = OutboxMessage.objects.filter(
            pk=message.pk, claim_token=message.claim_token, state=OutboxMessage.State.PENDING
        ).update(claimed_until=None, claim_token=None, **fields)
    if not updated:
        logger.warning("outbox message %s: the claim was taken over, outcome not recorded", message.pk)
    return bool(updated)


def _record_sent(message: OutboxMessage, now: datetime) -> str:
    recorded = _record(message, state=OutboxMessage.State.SENT, sent_at=now, last_error="")
    return "sent" if recorded else "skipped"


def _record_failure(message: OutboxMessage, now: datetime, error: str) -> str:
    error = error[:2000]
    if message.attempts >= _max_attempts():
        if not _record(message, state=OutboxMessage.State.FAILED, last_error=error):
            return "skipped"
        logger.error("outbox message %s failed for good: %s", message.pk, error)
        return "failed"
    delay = int(settings.OUTBOX_BACKOFF_SECONDS) * 2 ** (message.attempts - 1)
    recorded = _record(message, next_attempt_at=now + timedelta(seconds=delay), last_error=error)
    return "retry" if recorded else "skipped"
