"""The transactional outbox: a message exists exactly when its transaction commits, is sent once,
retried with backoff and finally marked failed; each committing transaction kicks one dispatch."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator, Mapping
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core import mail
from django.core.cache import cache
from django.db import transaction
from django_tasks_db.models import DBTaskResult
from pytest_django import Settings

from buergerbuero.core import outbox
from buergerbuero.core.models import OutboxMessage
from buergerbuero.core.outbox import dispatch_due, enqueue, register_handler
from buergerbuero.core.tasks import dispatch_outbox
from buergerbuero.notifications.email import queue_email

pytestmark = pytest.mark.django_db

T0 = dt.datetime(2026, 11, 17, 9, 30, tzinfo=ZoneInfo("Europe/Berlin"))


@pytest.fixture(autouse=True)
def frozen() -> Iterator[time_machine.Coordinates]:
    with time_machine.travel(T0, tick=False) as traveller:
        yield traveller


@pytest.fixture
def handler() -> Iterator[Callable[[Callable[[Mapping[str, Any]], None]], str]]:
    """Register a test handler under a kind of its own; removed afterwards."""
    kinds: list[str] = []

    def register(send: Callable[[Mapping[str, Any]], None]) -> str:
        kind = f"test-{len(kinds)}"
        register_handler(kind, send)
        kinds.append(kind)
        return kind

    yield register
    for kind in kinds:
        outbox._handlers.pop(kind, None)


def test_it_leaves_nothing_when_the_transaction_rolls_back() -> None:
    with pytest.raises(RuntimeError), transaction.atomic():
        queue_email(["anna@example.org"], "Hello", "Body")
        raise RuntimeError("the change failed")

    assert not OutboxMessage.objects.exists()
    dispatch_due(now=T0)
    assert mail.outbox == []


def test_it_enqueues_a_dedupe_key_once() -> None:
    first = queue_email(["anna@example.org"], "Reminder", "Body", dedupe_key="reminder:1")
    second = queue_email(["anna@example.org"], "Reminder", "Body", dedupe_key="reminder:1")

    assert first is not None and second is None
    assert OutboxMessage.objects.count() == 1
    assert dispatch_due(now=T0).sent == 1
    assert len(mail.outbox) == 1


def test_it_never_sends_a_message_twice() -> None:
    queue_email(["anna@example.org"], "Hello", "Body")

    first, second = dispatch_due(now=T0), dispatch_due(now=T0 + dt.timedelta(hours=1))

    assert (first.sent, second.sent) == (1, 0)
    assert len(mail.outbox) == 1
    message = OutboxMessage.objects.get()
    assert message.state == OutboxMessage.State.SENT and message.sent_at == T0 and message.attempts == 1


def test_it_retries_a_failing_handler_with_backoff_and_then_marks_it_failed(
    settings: Settings, handler: Callable[[Callable[[Mapping[str, Any]], None]], str]
) -> None:
    settings.OUTBOX_MAX_ATTEMPTS = 3
    settings.OUTBOX_BACKOFF_SECONDS = 10
    calls: list[Mapping[str, Any]] = []

    def broken(payload: Mapping[str, Any]) -> None:
        calls.append(payload)
        raise ConnectionRefusedError("mail server down")

    kind = handler(broken)
    enqueue(kind, {"n": 1})

    def at(seconds: int) -> dt.datetime:
        return T0 + dt.timedelta(seconds=seconds)

    assert dispatch_due(now=at(0)).retried == 1
    message = OutboxMessage.objects.get()
    assert message.next_attempt_at == at(10) and "mail server down" in message.last_error
    assert dispatch_due(now=at(9)).retried == 0  # not due yet
    assert dispatch_due(now=at(10)).retried == 1
    message.refresh_from_db()
    assert message.next_attempt_at == at(30)  # 10 s, then 20 s
    assert dispatch_due(now=at(30)).failed == 1
    message.refresh_from_db()
    assert message.state == OutboxMessage.State.FAILED and message.attempts == 3
    assert dispatch_due(now=at(3600)) == outbox.DispatchResult(sent=0, retried=0, failed=0)
    assert len(calls) == 3


def test_it_kicks_one_dispatch_per_committed_transaction(
    django_capture_on_commit_callbacks: Callable[..., Any],
) -> None:
    with django_capture_on_commit_callbacks(execute=True) as callbacks, transaction.atomic():
        queue_email(["a@example.org"], "One", "Body")
        queue_email(["b@example.org"], "Two", "Body")
        queue_email(["c@example.org"], "Three", "Body", dedupe_key="three")
        queue_email(["c@example.org"], "Three", "Body", dedupe_key="three")

    assert len(callbacks) == 1
    assert list(DBTaskResult.objects.values_list("task_path", flat=True)) == ["buergerbuero.core.tasks.dispatch_outbox"]


def test_it_kicks_again_when_the_savepoint_that_kicked_rolled_back(
    django_capture_on_commit_callbacks: Callable[..., Any],
) -> None:
    with django_capture_on_commit_callbacks() as callbacks, transaction.atomic():
        with pytest.raises(RuntimeError), transaction.atomic():
            queue_email(["a@example.org"], "Gone", "Body")
            raise RuntimeError
        queue_email(["b@example.org"], "Kept", "Body")

    assert len(callbacks) == 1
    assert list(OutboxMessage.objects.values_list("payload__subject", flat=True)) == ["Kept"]


def test_it_sends_nothing_when_nothing_was_queued(django_capture_on_commit_callbacks: Callable[..., Any]) -> None:
    with django_capture_on_commit_callbacks() as callbacks, transaction.atomic():
        queue_email(["a@example.org"], "Once", "Body", dedupe_key="once")
    with django_capture_on_commit_callbacks() as again, transaction.atomic():
        queue_email(["a@example.org"], "Once", "Body", dedupe_key="once")

    assert (len(callbacks), len(again)) == (1, 0)


@pytest.mark.django_db(transaction=True)
def test_a_burst_of_commits_kicks_one_dispatch_until_it_starts(settings: Settings) -> None:
    settings.OUTBOX_KICK_SECONDS = 30
    cache.delete(outbox.KICK_PENDING_KEY)
    try:
        queue_email(["a@example.org"], "One", "Body")  # autocommit: kicks at once
        queue_email(["b@example.org"], "Two", "Body")  # the first dispatch has not started: no second task
        assert DBTaskResult.objects.count() == 1

        dispatch_outbox.call()  # it clears the marker before it reads, and sends both
        assert OutboxMessage.objects.filter(state=OutboxMessage.State.SENT).count() == 2

        queue_email(["c@example.org"], "Three", "Body")  # after the dispatch started: a task of its own
        assert DBTaskResult.objects.count() == 2
    finally:
        cache.delete(outbox.KICK_PENDING_KEY)
