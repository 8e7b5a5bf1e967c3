"""Serving tickets at a counter: sign in, call next, call again, park, no-show, transfer, finish.

**Call next is atomic.** The candidate is read in call order and claimed with a conditional update
(``state = waiting`` → ``called``) in the same transaction; on PostgreSQL the read locks the row and
skips rows other clerks hold (``FOR UPDATE SKIP LOCKED``), so two clerks calling at the same moment get
two different tickets without waiting for each other; on SQLite writers are serialised anyway. A ticket
is never called twice and never lost: if the conditional update finds the ticket gone, the next one is
tried.

**A stale page changes nothing.** Every counter action takes ``expected_ticket_id``: the ticket the
clerk's page showed at the counter (``None``: none). It is compared with the counter's current ticket
after the counter session's row is locked, and the action is refused when they differ, so "call next"
pressed twice (a double click, a second tab) never finishes or skips a citizen the clerk has not seen.
Leaving it out acts on whatever ticket is at the counter (tasks, tests).

Call order: tickets whose priority applies now first (appointments in their window, then accessibility
needs), then by time in line; tickets moved back are skipped until their time; a ticket transferred to a
counter waits only for that counter.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import datetime
from enum import Enum
from typing import Final

from django.db import connection, transaction
from django.db.models import Case, F, IntegerField, Q, QuerySet, When
from django.db.models.expressions import OrderBy
from django.utils import timezone
from django.utils.translation import gettext as _

from buergerbuero.accounts.models import User
from buergerbuero.appointments.models import ServiceGroup
from buergerbuero.core.tenancy import scopes_disabled
from buergerbuero.tenants.models import Counter

from ..constants import AT_COUNTER_STATES, TicketEventKind, TicketState
from ..events import announce
from ..models import CounterSession, Ticket, TicketEvent
from . import QueueError
from .tickets import settings_of

__all__ = [
    "call_next",
    "call_order",
    "close_session",
    "current_ticket",
    "finish",
    "no_show",
    "open_session",
    "park",
    "pause",
    "recall",
    "resume",
    "resume_parked",
    "start",
    "transfer",
]

_CLAIM_ATTEMPTS = 50


class _Unchecked(Enum):
    ANY = "any"


#: The default of ``expected_ticket_id``: act on whatever ticket is at the counter.
_ANY_TICKET: Final = _Unchecked.ANY
#: The ticket id the clerk's page showed at the counter, ``None`` for none.
ExpectedTicket = int | None | _Unchecked


def open_session(
    counter: Counter, user: User, groups: Iterable[ServiceGroup], *, now: datetime | None = None
) -> CounterSession:
    """Sign ``user`` into ``counter`` for ``groups``; their previous counter session ends."""
    now = now or timezone.now()
    groups = list(groups)
    if not groups:
        raise QueueError(_("Choose at least one line to serve."))
    if any(g.office_id != counter.office_id for g in groups):
        raise QueueError(_("These lines belong to another office."))
    with transaction.atomic(), scopes_disabled():
        for previous in CounterSession.objects.select_for_update().filter(
            Q(user=user) | Q(counter=counter), ended_at__isnull=True
        ):
            if previous.user_id != user.pk and current_ticket(previous) is not None:
                raise QueueError(_("{name} is serving someone at this counter.").format(name=previous.user))
            _end(previous, now)
        session = CounterSession.objects.create(counter=counter, user=user, started_at=now)
        session.groups.set(groups)
        announce(counter.office_id, "counter_open", counter=counter.name)
    return session


def close_session(
    session: CounterSession, *, now: datetime | None = None, expected_ticket_id: ExpectedTicket = _ANY_TICKET
) -> None:
    """Sign out. A ticket still at the counter goes back to the front of its line."""
    now = now or timezone.now()
    with transaction.atomic(), scopes_disabled():
        locked = CounterSession.objects.select_for_update().get(pk=session.pk)
        if locked.ended_at is None:
            _check_expected(locked, expected_ticket_id)
            _end(locked, now)
            announce(locked.counter.office_id, "counter_closed", counter=locked.counter.name)


def pause(session: CounterSession, *, now: datetime | None = None) -> None:
    """A break: the counter calls nobody until ``resume``."""
    now = now or timezone.now()
    with transaction.atomic(), scopes_disabled():
        CounterSession.objects.filter(pk=session.pk, paused_since__isnull=True).update(paused_since=now)
        announce(session.counter.office_id, "counter_paused", counter=session.counter.name)


def resume(session: CounterSession) -> None:
    with transaction.atomic(), scopes_disabled():
        CounterSession.objects.filter(pk=session.pk).update(paused_since=None)
        announce(session.counter.office_id, "counter_resumed", counter=session.counter.name)


def call_order(now: datetime) -> list[OrderBy]:
    """``order_by`` arguments that put waiting tickets in the order they are called."""
    effective = Case(
        When(Q(priority_from__isnull=True) | Q(priority_from__lte=now), then=F("priority")),
        default=0,
        output_field=IntegerField(),
    )
    return [effective.desc(), F("queued_at").asc(), F("pk").asc()]


def callable_tickets(session: CounterSession, now: datetime) -> QuerySet[Ticket]:
    """The waiting tickets this counter may call now, in call order."""
    with scopes_disabled():
        return (
            Ticket.objects.filter(
                office_id=session.counter.office_id,
                day=timezone.localdate(now),
                state=TicketState.WAITING,
                group__in=session.groups.all(),
            )
            .filter(Q(ready_at__isnull=True) | Q(ready_at__lte=now))
            .filter(Q(target_counter__isnull=True) | Q(target_counter_id=session.counter_id))
            .order_by(*call_order(now))
        )


def current_ticket(session: CounterSession) -> Ticket | None:
    """The ticket called to or being served at the session's counter."""
    with scopes_disabled():
        return (
            Ticket.objects.filter(counter_id=session.counter_id, state__in=AT_COUNTER_STATES)
            .order_by("-last_called_at")
            .first()
        )


def call_next(
    session: CounterSession,
    *,
    now: datetime | None = None,
    finish_current: bool = True,
    expected_ticket_id: ExpectedTicket = _ANY_TICKET,
) -> Ticket | None:
    """Call the next ticket to this counter; ``None`` when nobody waits for it.

    With ``finish_current`` the ticket still at the counter is finished first, in the same transaction.
    """
    now = now or timezone.now()
    skip_locked = connection.features.has_select_for_update_skip_locked
    with transaction.atomic(), scopes_disabled():
        live = _live_session(session, expected_ticket_id)
        if live.paused_since is not None:
            raise QueueError(_("This counter is paused. Continue first."))
        current = current_ticket(live)
        if current is not None:
            if not finish_current:
                raise QueueError(_("Finish the current ticket first."))
            _finish(current, live, now)
        for _attempt in range(_CLAIM_ATTEMPTS):
            candidates = callable_tickets(live, now)
            if skip_locked:
                candidates = candidates.select_for_update(skip_locked=True, of=("self",))
            ticket = candidates.first()
            if ticket is None:
                return None
            claimed = Ticket.objects.filter(pk=ticket.pk, state=TicketState.WAITING).update(
                state=TicketState.CALLED,
                counter_id=live.counter_id,
                clerk_id=live.user_id,
                called_at=now,
                last_called_at=now,
            )
            if claimed:
                break
        else:  # pragma: no cover - would need 50 lost races in a row
            raise QueueError(_("Too many clerks called at once. Please try again."))
        ticket.refresh_from_db()
        _record(ticket, TicketEventKind.CALLED, now, live)
        announce(ticket.office_id, "called", ticket=ticket.code, counter=live.counter.name)
        _queue_call_alerts(ticket, live)
    return ticket


def recall(
    session: CounterSession, *, now: datetime | None = None, expected_ticket_id: ExpectedTicket = _ANY_TICKET
) -> Ticket:
    """Call the current ticket again (up to the office's limit)."""
    now = now or timezone.now()
    with transaction.atomic(), scopes_disabled():
        live = _live_session(session, expected_ticket_id)
        ticket = _require_current(live, states=(TicketState.CALLED,))
        if ticket.recalls >= settings_of(ticket.office).max_recalls:
            raise QueueError(_("This number has been called as often as allowed. Mark it as not present."))
        Ticket.objects.filter(pk=ticket.pk).update(recalls=F("recalls") + 1, last_called_at=now)
        _record(ticket, TicketEventKind.RECALLED, now, live)
        announce(ticket.office_id, "called", ticket=ticket.code, counter=live.counter.name, recall=True)
        ticket.refresh_from_db()
    return ticket


def start(
    session: CounterSession, *, now: datetime | None = None, expected_ticket_id: ExpectedTicket = _ANY_TICKET
) -> Ticket:
    """The citizen has arrived at the counter: the service starts."""
    return _step(
        session,
        from_states=(TicketState.CALLED,),
        kind=TicketEventKind.STARTED,
        changes=lambda now: {"state": TicketState.SERVING, "started_at": now},
        now=now,
        expected_ticket_id=expected_ticket_id,
    )


def finish(
    session: CounterSession, *, now: datetime | None = None, expected_ticket_id: ExpectedTicket = _ANY_TICKET
) -> Ticket:
    now = now or timezone.now()
    with transaction.atomic(), scopes_disabled():
        live = _live_session(session, expected_ticket_id)
        ticket = _require_current(live, states=AT_COUNTER_STATES)
        _finish(ticket, live, now)
        ticket.refresh_from_db()
    return ticket


def no_show(
    session: CounterSession, *, now: datetime | None = None, expected_ticket_id: ExpectedTicket = _ANY_TICKET
) -> Ticket:
    """Nobody came after the calls: the ticket ends."""
    return _step(
        session,
        from_states=(TicketState.CALLED,),
        kind=TicketEventKind.NO_SHOW,
        changes=lambda now: {"state": TicketState.NO_SHOW, "ended_at": now},
        now=now,
        expected_ticket_id=expected_ticket_id,
    )


def park(
    session: CounterSession, *, now: datetime | None = None, expected_ticket_id: ExpectedTicket = _ANY_TICKET
) -> Ticket:
    """Set the current ticket aside (a document is fetched, a fee paid); the counter is free for the next."""
    return _step(
        session,
        from_states=AT_COUNTER_STATES,
        kind=TicketEventKind.PARKED,
        changes=lambda now: {"state": TicketState.PARKED},
        now=now,
        expected_ticket_id=expected_ticket_id,
    )


def _step(
    session: CounterSession,
    *,
    from_states: Iterable[str],
    kind: TicketEventKind,
    changes: Callable[[datetime], dict[str, object]],
    now: datetime | None,
    expected_ticket_id: ExpectedTicket,
) -> Ticket:
    """Move the counter's current ticket on (one of ``from_states`` → ``changes``), record and announce it."""
    now = now or timezone.now()
    with transaction.atomic(), scopes_disabled():
        live = _live_session(session, expected_ticket_id)
        ticket = _require_current(live, states=from_states)
        Ticket.objects.filter(pk=ticket.pk).update(**changes(now))
        _record(ticket, kind, now, live)
        announce(ticket.office_id, str(kind), ticket=ticket.code)
        ticket.refresh_from_db()
    return ticket


def resume_parked(
    session: CounterSession,
    ticket: Ticket,
    *,
    now: datetime | None = None,
    expected_ticket_id: ExpectedTicket = _ANY_TICKET,
) -> Ticket:
    """Call a parked ticket back to this counter."""
    now = now or timezone.now()
    with transaction.atomic(), scopes_disabled():
        live = _live_session(session, expected_ticket_id)
        if current_ticket(live) is not None:
            raise QueueError(_("Finish the current ticket first."))
        claimed = Ticket.objects.filter(
            pk=ticket.pk, office_id=live.counter.office_id, state=TicketState.PARKED
        ).update(state=TicketState.CALLED, counter_id=live.counter_id, clerk_id=live.user_id, last_called_at=now)
        if not claimed:
            raise QueueError(_("This ticket is no longer parked."))
        _record(ticket, TicketEventKind.RESUMED, now, live)
        announce(ticket.office_id, "called", ticket=ticket.code, counter=live.counter.name)
        ticket.refresh_from_db()
    return ticket


def transfer(
    session: CounterSession,
    *,
    group: ServiceGroup | None = None,
    counter: Counter | None = None,
    now: datetime | None = None,
    expected_ticket_id: ExpectedTicket = _ANY_TICKET,
) -> Ticket:
    """Send the current ticket to another line or counter. It keeps its number and its place in line
    (its original time), so it is called soon; the service so far is recorded."""
    now = now or timezone.now()
    if group is None and counter is None:
        raise QueueError(_("Choose a line or a counter."))
    with transaction.atomic(), scopes_disabled():
        live = _live_session(session, expected_ticket_id)
        ticket = _require_current(live, states=AT_COUNTER_STATES)
        target_group = group or ticket.group
        if target_group.office_id != ticket.office_id or (
            counter is not None and counter.office_id != ticket.office_id
        ):
            raise QueueError(_("Tickets can only be transferred within the office."))
        if counter is not None and not target_group.counters.filter(pk=counter.pk).exists():
            raise QueueError(_("This counter does not serve the chosen line."))
        Ticket.objects.filter(pk=ticket.pk).update(
            state=TicketState.WAITING,
            group=target_group,
            target_counter=counter,
            counter=None,
            clerk=None,
            ready_at=None,
        )
        _record(
            ticket,
            TicketEventKind.TRANSFERRED,
            now,
            live,
            to_group=target_group.key,
            to_counter=None if counter is None else counter.name,
            served_minutes=_minutes_since(ticket.started_at, now),
        )
        announce(ticket.office_id, "transferred", ticket=ticket.code)
        ticket.refresh_from_db()
    return ticket


def _finish(ticket: Ticket, session: CounterSession, now: datetime) -> None:
    Ticket.objects.filter(pk=ticket.pk).update(
        state=TicketState.DONE, started_at=ticket.started_at or ticket.last_called_at or now, ended_at=now
    )
    _record(ticket, TicketEventKind.FINISHED, now, session)
    announce(ticket.office_id, "finished", ticket=ticket.code)


def _end(session: CounterSession, now: datetime) -> None:
    current = current_ticket(session)
    if current is not None:  # back to the front of its line
        Ticket.objects.filter(pk=current.pk).update(state=TicketState.WAITING, counter=None, clerk=None)
    CounterSession.objects.filter(pk=session.pk).update(ended_at=now, paused_since=None)


def _live_session(session: CounterSession, expected_ticket_id: ExpectedTicket = _ANY_TICKET) -> CounterSession:
    """The session, locked until the transaction ends: one counter's actions take turns, so a double
    press of call next finishes the first ticket called instead of calling two to one counter."""
    live = CounterSession.objects.select_for_update(of=("self",)).select_related("counter").get(pk=session.pk)
    if live.ended_at is not None:
        raise QueueError(_("You are no longer signed in at this counter."))
    _check_expected(live, expected_ticket_id)
    return live


def _check_expected(session: CounterSession, expected_ticket_id: ExpectedTicket) -> None:
    """Refuse when the counter's ticket is not the one the clerk's page showed (call with the lock held)."""
    if expected_ticket_id is _ANY_TICKET:
        return
    current = current_ticket(session)
    if (current.pk if current is not None else None) == expected_ticket_id:
        return
    if current is None:
        raise QueueError(_("Nothing was done: the ticket at your counter changed meanwhile. There is no ticket now."))
    raise QueueError(
        _("Nothing was done: the ticket at your counter changed meanwhile. It is now %(code)s.")
        % {"code": current.code}
    )


def _require_current(session: CounterSession, *, states: Iterable[str]) -> Ticket:
    ticket = (
        Ticket.objects.select_for_update()
        .filter(counter_id=session.counter_id, state__in=AT_COUNTER_STATES)
        .order_by("-last_called_at")
        .first()
    )
    if ticket is None or ticket.state not in tuple(states):
        raise QueueError(_("There is no ticket at this counter for that."))
    return ticket


def _record(ticket: Ticket, kind: TicketEventKind, at: datetime, session: CounterSession, **data: object) -> None:
    TicketEvent.objects.create(
        ticket=ticket, kind=kind, at=at, counter_id=session.counter_id, user_id=session.user_id, data=data
    )


def _minutes_since(start: datetime | None, now: datetime) -> float | None:
    return None if start is None else round((now - start).total_seconds() / 60, 1)


def _queue_call_alerts(ticket: Ticket, session: CounterSession) -> None:
    from .alerts import queue_call_notice

    queue_call_notice(ticket, session.counter)
