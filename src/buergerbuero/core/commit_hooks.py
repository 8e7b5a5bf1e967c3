"""Work for the moment the current transaction commits, registered once however often it is asked for."""

from __future__ import annotations

from collections.abc import Callable

from django.db import transaction

__all__ = ["on_commit_once", "pending"]


def pending(callback: Callable[[], None]) -> bool:
    """Whether ``callback`` waits for the current transaction's commit (one registered in a savepoint
    that rolled back is no longer waiting; in autocommit nothing waits)."""
    connection = transaction.get_connection()
    return any(registered is callback for _, registered, _ in connection.run_on_commit)


def on_commit_once(callback: Callable[[], None]) -> None:
    """``transaction.on_commit(callback)`` unless it is already pending (at once in autocommit)."""
    if not pending(callback):
        transaction.on_commit(callback)
