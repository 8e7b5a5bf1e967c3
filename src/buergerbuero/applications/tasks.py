"""Background work of online applications (run by ``manage.py db_worker``)."""

from __future__ import annotations

import datetime as dt

from django_tasks import task

from .services.attachments import delete_orphans

#: How long an upload may belong to nothing (a draft deleted, a request rolled back) before it goes.
ORPHAN_AGE = dt.timedelta(days=1)


@task()
def delete_orphan_attachments() -> dict[str, int]:
    """Delete uploads that never reached a draft, message or case, and stray files in private storage."""
    return {"deleted": delete_orphans(ORPHAN_AGE)}
