"""The clerk's counter console under ``/backoffice/<municipality>/warteschlange/<office>/schalter/``:
sign in to a counter, then call, recall, start, finish, no-show, park, transfer, resume parked tickets,
pause and sign out, all from one screen.

Every counter button posts the ticket the page showed (``nummer``) and the view hands it to the service
as ``expected_ticket_id``; the service refuses under the counter session's lock when the counter's
ticket changed in between (a second press, a second tab), so "call next" pressed twice never skips a
citizen. The view holds no queue rules: it picks the service, and turns the result or the
``QueueError`` into a message.
"""

from __future__ import annotations

import datetime as dt

from django.contrib import messages
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods

from buergerbuero.accounts.permissions import StaffRequest, staff_view
from buergerbuero.appointments.models import ServiceGroup
from buergerbuero.tenants.models import Counter, Municipality, Office

from .. import selectors
from ..constants import TicketState
from ..forms_backoffice import ActionForm, ParkedChoiceForm, SignInForm, TransferForm
from ..models import CounterSession, Ticket
from ..services import QueueError, counters
from .backoffice import STAFF_ROLES, lines_of, office_of, page_url, staff_context, stream_url

__all__ = ["console"]


@never_cache
@staff_view(roles=STAFF_ROLES)
@require_http_methods(["GET", "POST"])
def console(request: StaffRequest, municipality: Municipality, office_slug: str) -> HttpResponse:
    """Sign in to a counter, then serve the queue from one screen."""
    office = office_of(municipality, office_slug)
    groups = lines_of(office)
    office_counters = _counters(office)
    session = _session_of(request, office)
    if request.method == "POST":
        if request.POST.get("action") == "sign_in":
            return _sign_in(request, municipality, office, groups, office_counters)
        return _act(request, office, session, groups, office_counters)
    if session is None:
        form = SignInForm(counters=office_counters, groups=groups, initial={"linien": [g.pk for g in groups]})
        return _render_sign_in(request, municipality, office, form)
    return _render_console(request, municipality, office, session, groups, office_counters)


def _counters(office: Office) -> list[Counter]:
    return list(Counter.objects.filter(office=office, is_active=True).order_by("name"))


def _session_of(request: StaffRequest, office: Office) -> CounterSession | None:
    return (
        CounterSession.objects.filter(user=request.user, counter__office=office, ended_at__isnull=True)
        .select_related("counter")
        .prefetch_related("groups")
        .first()
    )


def _minutes(start: dt.datetime | None, end: dt.datetime | None) -> int | None:
    if start is None or end is None:
        return None
    return max(0, round((end - start).total_seconds() / 60))


# -- signing in ----------------------------------------------------------------------------------


def _render_sign_in(
    request: StaffRequest, municipality: Municipality, office: Office, form: SignInForm, status: int = 200
) -> HttpResponse:
    taken = list(
        CounterSession.objects.filter(counter__office=office, ended_at__isnull=True)
        .select_related("counter", "user")
        .order_by("counter__name")
    )
    context = staff_context(request, municipality, office=office, form=form, taken=taken, stream_url=stream_url(office))
    return render(request, "queueing/backoffice/sign_in.html", context, status=status)


def _sign_in(
    request: StaffRequest,
    municipality: Municipality,
    office: Office,
    groups: list[ServiceGroup],
    office_counters: list[Counter],
) -> HttpResponse:
    form = SignInForm(request.POST, counters=office_counters, groups=groups)
    if not form.is_valid():
        return _render_sign_in(request, municipality, office, form, status=400)
    try:
        session = counters.open_session(form.cleaned_data["schalter"], request.user, form.cleaned_data["linien"])
    except QueueError as error:
        form.add_error(None, error.message)
        return _render_sign_in(request, municipality, office, form, status=409)
    messages.success(request, _("You are signed in at %(counter)s.") % {"counter": session.counter.name})
    return redirect(page_url("console", office))


# -- the console ---------------------------------------------------------------------------------


def _render_console(
    request: StaffRequest,
    municipality: Municipality,
    office: Office,
    session: CounterSession,
    groups: list[ServiceGroup],
    office_counters: list[Counter],
) -> HttpResponse:
    now = timezone.now()
    current = counters.current_ticket(session)
    if current is not None:
        current = Ticket.objects.select_related("group", "service", "appointment").get(pk=current.pk)
    queue = selectors.live_queue(office, now, predict=False)
    my_lines = list(session.groups.all())
    my_line_ids = {g.pk for g in my_lines}
    waiting = {g.pk: 0 for g in groups}
    for line in queue.waiting:
        waiting[line.ticket.group_id] = waiting.get(line.ticket.group_id, 0) + 1
    settings = selectors.queue_settings(office)
    context = staff_context(
        request,
        municipality,
        office=office,
        session=session,
        paused=session.paused_since is not None,
        current=current,
        called=current is not None and current.state == TicketState.CALLED,
        serving=current is not None and current.state == TicketState.SERVING,
        waited_minutes=None
        if current is None
        else _minutes(current.queued_at or current.created_at, current.called_at or now),
        since_call_minutes=None if current is None else _minutes(current.last_called_at, now),
        max_recalls=settings.max_recalls,
        can_recall=current is not None
        and current.state == TicketState.CALLED
        and current.recalls < settings.max_recalls,
        lines=[{"group": g, "waiting": waiting.get(g.pk, 0), "mine": g.pk in my_line_ids} for g in groups],
        my_waiting=sum(waiting.get(pk, 0) for pk in my_line_ids),
        callable_count=counters.callable_tickets(session, now).count(),
        parked=queue.parked,
        transfer_form=TransferForm(counters=office_counters, groups=groups, prefix="transfer"),
        stream_url=stream_url(office),
    )
    return render(request, "queueing/backoffice/console.html", context)


# -- the buttons ---------------------------------------------------------------------------------


def _act(
    request: StaffRequest,
    office: Office,
    session: CounterSession | None,
    groups: list[ServiceGroup],
    office_counters: list[Counter],
) -> HttpResponse:
    """One counter button: the service acts only if the counter's ticket is still the one the page showed."""
    back = redirect(page_url("console", office))
    form = ActionForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("This action is not possible. Please try again."))
        return back
    if session is None or session.pk != form.cleaned_data["sitzung"]:
        messages.error(request, _("You are no longer signed in at this counter. Nothing was done."))
        return back
    try:
        message = _dispatch(
            request, form.cleaned_data["action"], session, form.cleaned_data["nummer"], office, groups, office_counters
        )
    except QueueError as error:
        messages.error(request, error.message)
        return back
    messages.success(request, message)
    return back


def _dispatch(
    request: StaffRequest,
    action: str,
    session: CounterSession,
    shown_id: int | None,
    office: Office,
    groups: list[ServiceGroup],
    office_counters: list[Counter],
) -> str:
    """Call the service for ``action``; ``shown_id`` is the ticket the page showed at the counter."""
    counter_name = session.counter.name
    if action == "call_next":
        shown = _shown_ticket(office, shown_id)  # finished by call_next if the guard lets it through
        called = counters.call_next(session, finish_current=True, expected_ticket_id=shown_id)
        if called is None:
            if shown is not None:
                return _("%(code)s is finished. Nobody is waiting for your lines.") % {"code": shown.code}
            return _("Nobody is waiting for your lines.")
        return _("%(code)s is called to %(counter)s.") % {"code": called.code, "counter": counter_name}
    if action == "recall":
        ticket = counters.recall(session, expected_ticket_id=shown_id)
        limit = selectors.queue_settings(office).max_recalls
        return _("%(code)s is called again (%(count)s of %(limit)s).") % {
            "code": ticket.code,
            "count": ticket.recalls,
            "limit": limit,
        }
    if action == "start":
        return _("%(code)s is being served.") % {"code": counters.start(session, expected_ticket_id=shown_id).code}
    if action == "finish":
        return _("%(code)s is finished.") % {"code": counters.finish(session, expected_ticket_id=shown_id).code}
    if action == "no_show":
        ticket = counters.no_show(session, expected_ticket_id=shown_id)
        return _("%(code)s is marked as not present.") % {"code": ticket.code}
    if action == "park":
        return _("%(code)s is parked.") % {"code": counters.park(session, expected_ticket_id=shown_id).code}
    if action == "resume_parked":
        parked = list(Ticket.objects.filter(office=office, state=TicketState.PARKED))
        choice = ParkedChoiceForm(request.POST, parked=parked)
        if not choice.is_valid():
            raise QueueError(_("This ticket is no longer parked."))
        ticket = counters.resume_parked(session, choice.cleaned_data["ticket"], expected_ticket_id=shown_id)
        return _("%(code)s is called back to %(counter)s.") % {"code": ticket.code, "counter": counter_name}
    if action == "transfer":
        transfer = TransferForm(request.POST, counters=office_counters, groups=groups, prefix="transfer")
        if not transfer.is_valid():
            raise QueueError(_("Choose a line or a counter."))
        target_counter = transfer.cleaned_data["ziel"]
        ticket = counters.transfer(
            session, group=transfer.cleaned_data["linie"], counter=target_counter, expected_ticket_id=shown_id
        )
        target = target_counter.name if target_counter else ticket.group.name
        return _("%(code)s is transferred to %(target)s.") % {"code": ticket.code, "target": target}
    if action == "pause":
        counters.pause(session)
        return _("The counter is paused. Nobody is called until you continue.")
    if action == "resume":
        counters.resume(session)
        return _("The counter is open again.")
    if action == "sign_out":
        shown = _shown_ticket(office, shown_id)  # back to the front of its line if the guard lets it through
        counters.close_session(session, expected_ticket_id=shown_id)
        if shown is not None:
            return _("You are signed out of %(counter)s; %(code)s is back at the front of its line.") % {
                "counter": counter_name,
                "code": shown.code,
            }
        return _("You are signed out of %(counter)s.") % {"counter": counter_name}
    raise Http404


def _shown_ticket(office: Office, shown_id: int | None) -> Ticket | None:
    """The ticket the page showed, for the message (its code never changes)."""
    return None if shown_id is None else Ticket.objects.filter(office=office, pk=shown_id).first()
