"""Claim → send → record: concurrent dispatchers never send one message twice, a dead worker's claim
expires and is taken over, a stale worker cannot record over a newer claim, progress saved during an
attempt survives a crash, and an e-mail accepted but not recorded is retried with the same Message-ID."""

from __future__ import annotations

import datetime as dt
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator, Mapping
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core import mail
from django.db import connection
from pytest_django import Settings

from buergerbuero.core import outbox
from buergerbuero.core.handlers import send_email
from buergerbuero.core.models import OutboxMessage
from buergerbuero.core.outbox import ClaimLost, current_delivery, dispatch_due, enqueue, register_handler
from buergerbuero.notifications.email import queue_email

T0 = dt.datetime(2026, 11, 17, 9, 30, tzinfo=ZoneInfo("Europe/Berlin"))
Send = Callable[[Mapping[str, Any]], None]


class WorkerKilled(BaseException):
    """Stands for SIGKILL: not an ``Exception``, so nothing in the outbox catches or records it."""


@pytest.fixture
def handler() -> Iterator[Callable[[Send], str]]:
    kinds: list[str] = []

    def register(send: Send) -> str:
        kind = f"claims-test-{len(kinds)}"
        register_handler(kind, send)
        kinds.append(kind)
        return kind

    yield register
    for kind in kinds:
        outbox._handlers.pop(kind, None)


def later(seconds: float) -> dt.datetime:
    return T0 + dt.timedelta(seconds=seconds)


@pytest.mark.django_db(transaction=True)
def test_two_dispatchers_in_threads_never_send_the_same_message(handler: Callable[[Send], str]) -> None:
    sent: list[int] = []
    lock = threading.Lock()

    def slow(payload: Mapping[str, Any]) -> None:
        time.sleep(0.01)  # long enough for the other dispatcher to look at the same rows
        with lock:
            sent.append(int(payload["n"]))

    kind = handler(slow)
    for n in range(30):
        enqueue(kind, {"n": n})
    now = dt.datetime.now(dt.UTC)
    results: list[outbox.DispatchResult] = []
    errors: list[BaseException] = []
    start = threading.Barrier(2)

    def run() -> None:
        try:
            start.wait()
            results.append(dispatch_due(now=now))
        except BaseException as error:  # reported below
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=run) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)

    assert errors == []
    assert sorted(sent) == list(range(30)), Counter(sent).most_common(3)
    assert sum(result.sent for result in results) == 30
    assert set(OutboxMessage.objects.values_list("state", "attempts")) == {(OutboxMessage.State.SENT, 1)}


@pytest.mark.django_db
def test_an_expired_claim_of_a_dead_worker_is_taken_over(handler: Callable[[Send], str], settings: Settings) -> None:
    settings.OUTBOX_CLAIM_SECONDS = 60
    calls: list[int] = []

    def dies_first(payload: Mapping[str, Any]) -> None:
        calls.append(1)
        if len(calls) == 1:
            raise WorkerKilled

    kind = handler(dies_first)
    with time_machine.travel(T0, tick=False):
        enqueue(kind, {})
        with pytest.raises(WorkerKilled):
            dispatch_due(now=T0)
        message = OutboxMessage.objects.get()
        assert message.state == OutboxMessage.State.PENDING and message.claimed_until == later(60)

        assert dispatch_due(now=later(59)).sent == 0  # still claimed by the (dead) worker
        assert dispatch_due(now=later(60)).sent == 1  # the claim expired: taken over

    message.refresh_from_db()
    assert len(calls) == 2
    assert message.state == OutboxMessage.State.SENT and message.attempts == 2
    assert message.claimed_until is None and message.claim_token is None


@pytest.mark.django_db
def test_a_stale_worker_cannot_record_over_a_newer_claim(handler: Callable[[Send], str], settings: Settings) -> None:
    settings.OUTBOX_CLAIM_SECONDS = 60
    kind = handler(lambda payload: None)
    with time_machine.travel(T0, tick=False):
        pk = enqueue(kind, {"step": 0}).pk  # type: ignore[union-attr]
    stale = outbox._claim(pk, T0)
    assert stale is not None
    assert outbox._claim(pk, later(30)) is None  # claimed: nobody else gets it
    fresh = outbox._claim(pk, later(61))  # the first worker hung past its claim
    assert fresh is not None and fresh.claim_token != stale.claim_token

    assert outbox._record_failure(stale, later(62), "timeout") == "skipped"
    assert outbox._record_sent(stale, later(62)) == "skipped"
    with pytest.raises(ClaimLost), outbox._delivering(stale):
        current_delivery().save_progress(step=1)  # type: ignore[union-attr]
    message = OutboxMessage.objects.get()
    assert message.state == OutboxMessage.State.PENDING and message.claim_token == fresh.claim_token
    assert message.payload == {"step": 0} and message.last_error == ""

    assert outbox._record_sent(fresh, later(63)) == "sent"
    message.refresh_from_db()
    assert message.state == OutboxMessage.State.SENT and message.sent_at == later(63)


@pytest.mark.django_db
def test_progress_saved_during_an_attempt_survives_a_crash(handler: Callable[[Send], str], settings: Settings) -> None:
    settings.OUTBOX_CLAIM_SECONDS = 60
    seen: list[dict[str, Any]] = []

    def announce_then_die(payload: Mapping[str, Any]) -> None:
        seen.append(dict(payload))
        if "submission_id" not in payload:
            current_delivery().save_progress(submission_id="sub-1")  # type: ignore[union-attr]
            raise WorkerKilled

    kind = handler(announce_then_die)
    with time_machine.travel(T0, tick=False):
        enqueue(kind, {"handoff_id": 7})
        with pytest.raises(WorkerKilled):
            dispatch_due(now=T0)
        assert OutboxMessage.objects.get().payload == {"handoff_id": 7, "submission_id": "sub-1"}
        assert dispatch_due(now=later(61)).sent == 1

    assert [p.get("submission_id") for p in seen] == [None, "sub-1"]
    assert seen[0]["_idempotency_key"] == seen[1]["_idempotency_key"]


@pytest.mark.django_db
def test_an_email_accepted_but_not_recorded_is_sent_again_with_the_same_message_id(
    monkeypatch: pytest.MonkeyPatch, settings: Settings
) -> None:
    """The one window of e-mail: the server acknowledged DATA, the worker died before step 3."""
    settings.OUTBOX_CLAIM_SECONDS = 60
    dispatch_due(now=T0)  # registers the built-in handlers
    crashes = [True]

    def sent_then_killed(payload: Mapping[str, Any]) -> None:
        send_email(payload)
        if crashes:
            crashes.pop()
            raise WorkerKilled

    monkeypatch.setitem(outbox._handlers, "email", sent_then_killed)
    with time_machine.travel(T0, tick=False):
        queue_email(["anna@example.org"], "Eingangsbestätigung", "Ihr Antrag ist eingegangen.")
        with pytest.raises(WorkerKilled):
            dispatch_due(now=T0)
        assert dispatch_due(now=later(61)).sent == 1

    assert len(mail.outbox) == 2  # at least once: delivered twice …
    first, second = (message.extra_headers["Message-ID"] for message in mail.outbox)
    assert first == second == outbox.idempotency_key(OutboxMessage.objects.get())  # … as one Message-ID


@pytest.mark.django_db
def test_a_message_that_kills_its_worker_on_the_last_attempt_fails_visibly(
    handler: Callable[[Send], str], settings: Settings
) -> None:
    settings.OUTBOX_CLAIM_SECONDS = 60
    settings.OUTBOX_MAX_ATTEMPTS = 2

    def poison(payload: Mapping[str, Any]) -> None:
        raise WorkerKilled

    kind = handler(poison)
    with time_machine.travel(T0, tick=False):
        enqueue(kind, {})
        for attempt in range(2):
            with pytest.raises(WorkerKilled):
                dispatch_due(now=later(61 * attempt))
        assert dispatch_due(now=later(200)) == outbox.DispatchResult(sent=0, retried=0, failed=0)

    message = OutboxMessage.objects.get()
    assert message.state == OutboxMessage.State.FAILED and message.attempts == 2
    assert message.last_error == "the worker stopped during the last attempt"
    assert message.claimed_until is None
