"""Background work of the core (run by ``manage.py db_worker``)."""

from __future__ import annotations

from django_tasks import task

from .outbox import dispatch_due


@task()
def dispatch_outbox() -> dict[str, int]:
    """Send the due outbox messages; enqueued after each commit that queued one, and periodically."""
    result = dispatch_due()
    return {"sent": result.sent, "retried": result.retried, "failed": result.failed}
