"""Personal data in tickets and appointments is erased after a configurable number of days.

What goes, what stays (docs: the statistics keep working on what stays):

* **Tickets** whose day lies more than ``ANONYMISE_TICKETS_AFTER_DAYS`` back: the alert e-mail address
  and mobile number are cleared, the ticket's Web Push subscriptions deleted, and personal keys in
  its events' ``data`` (``PERSONAL_EVENT_KEYS``) removed. Kept: office, line, service, source, state,
  every timestamp, counter and clerk. The clerk is staff acting in office, not the citizen, and is
  needed for "tickets per counter" and the audit of who served; the citizen is not identified by
  anything that remains.
* **Appointments** that started more than ``ANONYMISE_APPOINTMENTS_AFTER_DAYS`` ago: name, e-mail,
  phone, note, cancel reason, the manage link's token hash, the person key (hash of the e-mail) and
  the link to the citizen account are cleared. Kept: office, group, services, times, state, channel.
  The per-person caps and the no-show limit look at *open* appointments and at no-shows of the last
  180 days by person key; with the default 90 days this delay must therefore stay ≥ 180 days if the
  no-show limit should see the whole half year — with 90 days, no-shows older than 90 days no longer
  count against a person. The caps on open appointments look only ahead and are unaffected.
* **Waitlist entries** (``appointments.WaitlistEntry``) after the same delay from their last relevance,
  the latest of: the day they were made (``created_at``), the expiry of a time offered to them
  (``offer_expires_at``) and the last day they wished for (``until_date``). An entry still waiting or
  holding an offer without an ``until_date`` stays relevant and is left alone; one still waiting
  whose ``until_date`` passed is dead even if nobody closed it. Cleared: name, e-mail, person key
  and the manage link's token hash. Kept: office, services, wished days and hours, state, the
  offered appointment, times.
* **Lottery entries** (``appointments.LotteryEntry``) after the same delay from their round's last
  relevance: the later of its ``closes_at`` and the last day of the appointments it drew for
  (``slots_until``), whatever the round's state. Cleared: name, e-mail and token hash; the person key
  becomes ``"anonymised-<pk>"`` (a round admits one entry per person key, so it cannot be blank for
  all). Kept: round, preferred weekdays, state (entered/won/lost/withdrawn), the appointment won.

The work runs in batches (``BATCH``), each batch one transaction of conditional updates that select
only rows still holding personal data, so a second run changes nothing (idempotent) and an
interrupted run resumes where it stopped. One audit entry summarises a run that changed anything.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.conf import settings
from django.db import transaction
from django.db.models import CharField, Q, Value
from django.db.models.functions import Cast, Concat
from django.utils import timezone

from buergerbuero.appointments.constants import WaitlistState
from buergerbuero.appointments.models import Appointment, LotteryEntry, WaitlistEntry
from buergerbuero.core.audit import log_action
from buergerbuero.core.tenancy import scopes_disabled
from buergerbuero.queueing.models import PushSubscription, Ticket, TicketEvent

__all__ = ["ANONYMISED_KEY_PREFIX", "PERSONAL_EVENT_KEYS", "AnonymiseResult", "anonymise_personal_data"]

BATCH = 500
#: Keys of ``TicketEvent.data`` that could hold personal data (none of today's events writes them;
#: cleared defensively should one ever do).
PERSONAL_EVENT_KEYS = frozenset({"email", "phone", "name", "alert_email", "alert_phone", "note", "to"})
#: The person key of an anonymised lottery entry starts with this (a real one is a hex digest).
ANONYMISED_KEY_PREFIX = "anonymised-"
#: Waitlist states in which an entry still matters to its citizen (without an ``until_date``: indefinitely).
ACTIVE_WAITLIST_STATES = (WaitlistState.WAITING, WaitlistState.OFFERED)


@dataclass(frozen=True)
class AnonymiseResult:
    tickets: int
    push_subscriptions: int
    ticket_events: int
    appointments: int
    tickets_before: dt.date
    appointments_before: dt.datetime
    waitlist_entries: int = 0
    lottery_entries: int = 0

    @property
    def changed(self) -> int:
        return (
            self.tickets
            + self.push_subscriptions
            + self.ticket_events
            + self.appointments
            + self.waitlist_entries
            + self.lottery_entries
        )


def anonymise_personal_data(*, now: dt.datetime | None = None) -> AnonymiseResult:
    """Erase the personal data of old tickets, appointments, waitlist and lottery entries of every municipality
    (Kreis-wide work)."""
    now = now or timezone.now()
    tickets_before = timezone.localtime(now).date() - dt.timedelta(days=settings.ANONYMISE_TICKETS_AFTER_DAYS)
    appointments_before = now - dt.timedelta(days=settings.ANONYMISE_APPOINTMENTS_AFTER_DAYS)
    with scopes_disabled():  # a system task over every municipality
        tickets, subscriptions, events = _anonymise_tickets(tickets_before)
        appointments = _anonymise_appointments(appointments_before)
        waitlist = _anonymise_waitlist(appointments_before)
        lottery = _anonymise_lottery(appointments_before)
        result = AnonymiseResult(
            tickets, subscriptions, events, appointments, tickets_before, appointments_before, waitlist, lottery
        )
        if result.changed:
            log_action(
                actor=None,
                action="analytics.personal_data.anonymised",
                changes={
                    "tickets": tickets,
                    "push_subscriptions": subscriptions,
                    "ticket_events": events,
                    "appointments": appointments,
                    "waitlist_entries": waitlist,
                    "lottery_entries": lottery,
                    "tickets_before": tickets_before.isoformat(),
                    "appointments_before": appointments_before.isoformat(),
                },
            )
    return result


def _anonymise_tickets(before: dt.date) -> tuple[int, int, int]:
    old = Ticket.objects.filter(day__lt=before)
    tickets = subscriptions = events = 0
    personal = old.filter(~Q(alert_email="") | ~Q(alert_phone=""))
    while ids := list(personal.order_by("pk").values_list("pk", flat=True)[:BATCH]):
        with transaction.atomic():
            tickets += Ticket.objects.filter(pk__in=ids).update(alert_email="", alert_phone="")
    while ids := list(PushSubscription.objects.filter(ticket__day__lt=before).values_list("pk", flat=True)[:BATCH]):
        with transaction.atomic():
            subscriptions += PushSubscription.objects.filter(pk__in=ids).delete()[0]
    # JSON key lookups differ between databases: read the few events with data and rewrite them in Python.
    last = 0
    while batch := list(
        TicketEvent.objects.filter(ticket__day__lt=before, pk__gt=last)
        .exclude(data={})
        .order_by("pk")
        .values_list("pk", "data")[:BATCH]
    ):
        last = batch[-1][0]
        with transaction.atomic():
            for pk, data in batch:
                if isinstance(data, dict) and PERSONAL_EVENT_KEYS & data.keys():
                    cleaned = {key: value for key, value in data.items() if key not in PERSONAL_EVENT_KEYS}
                    events += TicketEvent.objects.filter(pk=pk).update(data=cleaned)
    return tickets, subscriptions, events


def _anonymise_appointments(before: dt.datetime) -> int:
    personal = Appointment.objects.filter(starts_at__lt=before).filter(
        ~Q(name="")
        | ~Q(email="")
        | ~Q(phone="")
        | ~Q(note="")
        | ~Q(person_key="")
        | ~Q(manage_token_hash="")
        | ~Q(cancel_reason="")
        | Q(citizen__isnull=False)
    )
    count = 0
    while ids := list(personal.order_by("pk").values_list("pk", flat=True)[:BATCH]):
        with transaction.atomic():
            count += Appointment.objects.filter(pk__in=ids).update(
                name="",
                email="",
                phone="",
                note="",
                person_key="",
                manage_token_hash="",
                cancel_reason="",
                citizen=None,
            )
    return count


def _anonymise_waitlist(before: dt.datetime) -> int:
    before_day = timezone.localtime(before).date()
    past = (
        Q(created_at__lt=before)
        & (Q(offer_expires_at__isnull=True) | Q(offer_expires_at__lt=before))
        & (Q(until_date__isnull=True) | Q(until_date__lt=before_day))
        & (~Q(state__in=ACTIVE_WAITLIST_STATES) | Q(until_date__isnull=False))
    )
    personal = WaitlistEntry.objects.filter(past).filter(
        ~Q(name="") | ~Q(email="") | ~Q(person_key="") | ~Q(manage_token_hash="")
    )
    count = 0
    while ids := list(personal.order_by("pk").values_list("pk", flat=True)[:BATCH]):
        with transaction.atomic():
            count += WaitlistEntry.objects.filter(pk__in=ids).update(
                name="", email="", person_key="", manage_token_hash=""
            )
    return count


def _anonymise_lottery(before: dt.datetime) -> int:
    before_day = timezone.localtime(before).date()
    personal = LotteryEntry.objects.filter(
        round__closes_at__lt=before, round__slots_until__lt=before_day, created_at__lt=before
    ).filter(~Q(name="") | ~Q(email="") | ~Q(manage_token_hash="") | ~Q(person_key__startswith=ANONYMISED_KEY_PREFIX))
    count = 0
    while ids := list(personal.order_by("pk").values_list("pk", flat=True)[:BATCH]):
        with transaction.atomic():
            count += LotteryEntry.objects.filter(pk__in=ids).update(
                name="",
                email="",
                manage_token_hash="",
                person_key=Concat(Value(ANONYMISED_KEY_PREFIX), Cast("pk", output_field=CharField())),
            )
    return count
