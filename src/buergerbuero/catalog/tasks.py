"""Background work of the catalogue (run by ``manage.py db_worker``)."""

from __future__ import annotations

from django_tasks import task

from .feed_import import FeedSyncError, sync_all, sync_source
from .models import FeedSource


@task()
def sync_catalog_feeds(source_id: int | None = None) -> dict[str, str]:
    """Import one feed source (or all): enqueue it after adding a source, or from a scheduler for periodic syncs.

    Returns source name → outcome; a failure is recorded in ``FeedSource.last_error`` and does not
    stop the other sources.
    """
    if source_id is None:
        return sync_all()
    source = FeedSource.objects.get(pk=source_id)
    try:
        result = sync_source(source)
    except FeedSyncError as error:
        return {source.name: f"error: {error}"}
    return {source.name: f"ok: {result.applied} applied, {result.deleted} deleted"}
