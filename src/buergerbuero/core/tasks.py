"""Background work of the core (run by ``manage.py db_worker``)."""

from __future__ import annotations

from django_tasks import task

from .outbox import dispatch_due, kick_taken


@task()
def dispatch_outbox() -> dict[str, int]:
    """Send the due outbox messages; enqueued after commits that queued one (one task for a burst of
    them, ``outbox._kick``), and periodically."""
    kick_taken()
    result = dispatch_due()
    return {"sent": result.sent, "retried": result.retried, "failed": result.failed}
