"""Telling citizens their turn is near: the pre-call alert and the call itself.

After every change of an office's queue (and every minute from the scheduler) ``check_office`` looks
at the waiting tickets that asked for an alert and have not had one: a ticket is due when at most
``alert_positions`` people are ahead of it in its line, or when the *early* end of its predicted wait
(the 10th percentile) is within ``alert_minutes`` — better a minute early than a missed call. The
ticket is marked alerted and its messages are queued in one transaction, so an alert is sent once and
never lost. Web Push goes to every browser that subscribed the ticket; e-mail and SMS if the citizen
gave an address or number. When the number is called, subscribed browsers (and SMS) are told where to go.
"""

from __future__ import annotations

import logging
from datetime import datetime

from django.db import transaction
from django.db.models import Q
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from buergerbuero.core.links import absolute_url
from buergerbuero.core.tenancy import scopes_disabled
from buergerbuero.tenants.models import Counter, Office

from ..constants import TicketEventKind, TicketState
from ..models import Ticket, TicketEvent

__all__ = ["check_office", "queue_call_notice"]

logger = logging.getLogger(__name__)


def check_office(office: Office, *, now: datetime | None = None) -> int:
    """Send the pre-call alerts that are due at ``office``; returns how many tickets were alerted."""
    from .. import selectors

    now = now or timezone.now()
    with scopes_disabled():
        pending = set(
            Ticket.objects.filter(office=office, day=timezone.localdate(now), state=TicketState.WAITING)
            .filter(alert_sent_at__isnull=True)
            .filter(Q(alert_minutes__isnull=False) | Q(alert_positions__isnull=False))
            .values_list("pk", flat=True)
        )
        if not pending:
            return 0
        queue = selectors.live_queue(office, now)
        sent = 0
        for line in queue.waiting:
            ticket = line.ticket
            if ticket.pk not in pending or not _due(ticket, line.position, line.prediction):
                continue
            with transaction.atomic():
                claimed = Ticket.objects.filter(pk=ticket.pk, alert_sent_at__isnull=True).update(alert_sent_at=now)
                if not claimed:
                    continue
                minutes = None if line.prediction is None else round(line.prediction.estimate_min)
                TicketEvent.objects.create(
                    ticket=ticket,
                    kind=TicketEventKind.ALERTED,
                    at=now,
                    data={"ahead": line.position, "minutes": minutes},
                )
                _queue_pre_call(ticket, line.position, minutes)
                sent += 1
        return sent


def queue_call_notice(ticket: Ticket, counter: Counter) -> None:
    """Queue "your number is called, go to counter X" for the ticket's browsers and phone."""
    with translation.override(ticket.language or "de"):
        title = _("%(code)s: it is your turn") % {"code": ticket.code}
        body = _("Please go to %(counter)s now.") % {"counter": counter.name}
        _send(ticket, title, body, tag=f"call-{ticket.pk}", email=False)


def _due(ticket: Ticket, ahead: int, prediction: object) -> bool:
    if ticket.alert_positions is not None and ahead <= ticket.alert_positions:
        return True
    low = getattr(prediction, "low_min", None)
    return ticket.alert_minutes is not None and low is not None and low <= ticket.alert_minutes


def _queue_pre_call(ticket: Ticket, ahead: int, minutes: int | None) -> None:
    with translation.override(ticket.language or "de"):
        title = _("%(code)s: your turn is coming up") % {"code": ticket.code}
        if minutes is None:
            body = _("%(ahead)s people are ahead of you. Please make your way back to the office.") % {"ahead": ahead}
        else:
            body = _(
                "%(ahead)s people are ahead of you, about %(minutes)s minutes. Please make your way back to the office."
            ) % {"ahead": ahead, "minutes": minutes}
        _send(ticket, title, body, tag=f"alert-{ticket.pk}", email=True)


def _send(ticket: Ticket, title: str, body: str, *, tag: str, email: bool) -> None:
    from buergerbuero.notifications import sms, webpush
    from buergerbuero.notifications.email import queue_email

    url = absolute_url(f"/warteschlange/ticket/{ticket.public_id}/")
    if webpush.webpush_enabled():
        for subscription in ticket.push_subscriptions.all():
            webpush.queue_push(subscription.as_subscription(), title=title, body=body, url=url, tag=tag, ttl=600)
    if ticket.alert_phone:
        sms.queue_sms(ticket.alert_phone, f"{title}. {body}")
    if email and ticket.alert_email:
        queue_email([ticket.alert_email], title, f"{body}\n\n{url}\n")
