"""Web Push subscriptions of a ticket: the ticket page's browser subscribes, and the push service may
later say the browser is gone (``webpush.on_subscription_gone``, registered in ``apps.py``).

A subscription belongs to one ticket and one endpoint; the same browser posting twice (two tabs, a
retry) keeps one row with the newest keys.
"""

from __future__ import annotations

from typing import Any

from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from buergerbuero.notifications import webpush

from ..constants import FINAL_STATES
from ..models import PushSubscription, Ticket
from . import QueueError, acts_on_given_objects

__all__ = ["forget_endpoint", "subscribe"]


@acts_on_given_objects
def subscribe(ticket: Ticket, subscription_json: Any) -> PushSubscription:
    """Keep the browser's ``PushSubscription.toJSON()`` (already decoded) for ``ticket``.

    Raises ``QueueError`` when the ticket is no longer in the queue, and ``ValidationError`` when the
    subscription is malformed or points somewhere push must not go (``webpush.validate_subscription``).
    """
    if Ticket.objects.filter(pk=ticket.pk, state__in=FINAL_STATES).exists():
        raise QueueError(_("This ticket is no longer waiting."))
    clean = webpush.validate_subscription(subscription_json)
    keys = clean["keys"]
    try:
        with transaction.atomic():  # a savepoint, so the lookup below still runs after a lost race
            subscription, _created = PushSubscription.objects.update_or_create(
                ticket=ticket, endpoint=clean["endpoint"], defaults={"p256dh": keys["p256dh"], "auth": keys["auth"]}
            )
    except IntegrityError:  # the same browser posted twice at once; the other request stored it
        subscription = PushSubscription.objects.get(ticket=ticket, endpoint=clean["endpoint"])
    return subscription


@acts_on_given_objects
def forget_endpoint(endpoint: str) -> None:
    """The push service says the browser unsubscribed: drop every ticket's row for that endpoint."""
    PushSubscription.objects.filter(endpoint=endpoint).delete()
