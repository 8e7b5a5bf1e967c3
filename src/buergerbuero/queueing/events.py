"""What the live queue tells the event bus: one channel per office.

``announce`` is called by every service that changes an office's queue, inside its transaction. The
event reaches displays, counters and ticket pages after commit; after commit the office's due pre-call
alerts are checked once per transaction (a single query when no ticket asked for one).
"""

from __future__ import annotations

import functools
import logging
from typing import Any

from django.db import transaction

from buergerbuero.core import events

logger = logging.getLogger(__name__)


def office_channel(office_id: int) -> str:
    return f"queue.office.{office_id}"


def announce(office_id: int, kind: str, **data: Any) -> None:
    """Tell every display, counter and ticket page of the office that its queue changed (after commit)."""
    events.publish(office_channel(office_id), {"kind": kind, "office": office_id, **data})
    _check_alerts_after_commit(office_id)


def _check_alerts_after_commit(office_id: int) -> None:
    """One alert check per office and transaction, however many announcements it made (``call_next``
    finishes one ticket and calls the next). A check already pending in this transaction (registered
    under the savepoints active now) is enough; Django drops the callbacks of a rolled-back savepoint."""
    connection = transaction.get_connection()
    active = set(connection.savepoint_ids)
    for savepoints, pending, *_robust in connection.run_on_commit:
        if getattr(pending, "alert_office", None) == office_id and active <= set(savepoints):
            return
    callback = functools.partial(_check_alerts, office_id)
    callback.alert_office = office_id  # type: ignore[attr-defined]
    transaction.on_commit(callback)


def _check_alerts(office_id: int) -> None:
    from buergerbuero.core.tenancy import scopes_disabled
    from buergerbuero.tenants.models import Office

    from .services.alerts import check_office

    try:
        with scopes_disabled():
            check_office(Office.objects.get(pk=office_id))
    except Exception:  # the scheduler's minute check catches up; the queue change itself stands
        logger.exception("pre-call alert check failed for office %s", office_id)
