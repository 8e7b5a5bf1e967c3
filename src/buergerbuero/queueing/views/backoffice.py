"""Staff pages of the live queue under ``/backoffice/<municipality>/warteschlange/``.

* the office overview (clerks and up): the lines with their waits, the counters, parked tickets and
  today's tickets with their times; staff draw a ticket for someone at the desk; the kiosk and call
  display links;
* the queue settings and the ticket stop (team leads and municipality admins);
* the counter console: sign in to a counter, then call, recall, start, finish, no-show, park,
  transfer, resume parked tickets, pause and sign out.

Every view is guarded by ``staff_view``; staff of another municipality get a 404. Writes go through
``services.counters`` and ``services.tickets``; a ``QueueError`` becomes a message. Every counter
action posts the ticket the page showed; when the counter's ticket changed in between (a second
press, a second tab) the action is refused, so "call next" pressed twice never skips a citizen.
"""

from __future__ import annotations

import datetime as dt
from typing import Any
from urllib.parse import urlencode

import segno
from django.contrib import messages
from django.db import transaction
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import NoReverseMatch, reverse
from django.utils import timezone
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods

from buergerbuero.accounts.constants import Role
from buergerbuero.accounts.permissions import StaffRequest, roles_allow, staff_view
from buergerbuero.accounts.selectors import staff_roles_in
from buergerbuero.appointments.models import ServiceGroup
from buergerbuero.core.links import absolute_url
from buergerbuero.tenants.models import Counter, Municipality, Office

from .. import links, selectors
from ..constants import AT_COUNTER_STATES, TicketSource, TicketState
from ..forms_backoffice import (
    ActionForm,
    DrawTicketForm,
    ParkedChoiceForm,
    QueueSettingsForm,
    SignInForm,
    TicketStopForm,
    TransferForm,
)
from ..models import CounterSession, Ticket
from ..services import QueueError, counters, tickets

#: Who works at the queue (a Kreis admin always may).
STAFF_ROLES = (Role.CLERK, Role.TEAM_LEAD, Role.MUNICIPALITY_ADMIN)
#: Who stops tickets and changes the queue settings.
MANAGE_ROLES = (Role.TEAM_LEAD, Role.MUNICIPALITY_ADMIN)
#: Counter actions that do not act on the current ticket.
_COUNTER_ONLY = frozenset({"pause", "resume"})


def _context(request: StaffRequest, municipality: Municipality, **extra: Any) -> dict[str, Any]:
    held = staff_roles_in(request.user, municipality)
    return {
        "municipality": municipality,
        "can_administer": roles_allow(held, (Role.MUNICIPALITY_ADMIN,)),
        "can_manage_queue": roles_allow(held, MANAGE_ROLES),
        **extra,
    }


def _office(municipality: Municipality, slug: str) -> Office:
    office = Office.objects.filter(municipality=municipality, slug=slug).select_related("municipality").first()
    if office is None:
        raise Http404
    return office


def _groups(office: Office) -> list[ServiceGroup]:
    return list(ServiceGroup.objects.filter(office=office).prefetch_related("services").order_by("key"))


def _counters(office: Office) -> list[Counter]:
    return list(Counter.objects.filter(office=office, is_active=True).order_by("name"))


def _url(name: str, office: Office) -> str:
    return reverse(
        f"queueing_backoffice:{name}",
        kwargs={"municipality_slug": office.municipality.slug, "office_slug": office.slug},
    )


def _stream_url(office: Office) -> str:
    return reverse("queueing:office-stream", kwargs={"municipality": office.municipality.slug, "office": office.slug})


def _kiosk_url(office: Office) -> str:
    """The address that turns a device into this office's ticket machine (the key is its capability)."""
    kwargs = {"municipality": office.municipality.slug, "office": office.slug}
    try:
        path = reverse("queueing:kiosk", kwargs=kwargs)
    except NoReverseMatch:  # the kiosk pages' path, fixed by their brief, until their routes are mounted
        path = f"/warteschlange/{office.municipality.slug}/{office.slug}/kiosk/"
    return absolute_url(f"{path}?{urlencode({'key': links.kiosk_key(office)})}")


def _display_url(office: Office) -> str:
    try:
        return links.display_url(office)
    except NoReverseMatch:  # see _kiosk_url
        return absolute_url(f"/warteschlange/{office.municipality.slug}/{office.slug}/anzeige/")


def _qr_svg(data: str, title: str) -> SafeString:
    svg = segno.make(data, error="m").svg_inline(scale=4, border=2, title=title, svgclass="queue-qr")
    # segno escapes the title it writes; everything else is path data, so the markup is safe.
    return mark_safe(svg.replace("<svg ", '<svg role="img" ', 1))  # noqa: S308


def _minutes(start: dt.datetime | None, end: dt.datetime | None) -> int | None:
    if start is None or end is None:
        return None
    return max(0, round((end - start).total_seconds() / 60))


def _tickets_of_day(office: Office, day: dt.date) -> list[Ticket]:
    return list(
        Ticket.objects.filter(office=office, day=day)
        .select_related("group", "service", "counter")
        .order_by("created_at", "pk")
    )


# -- the municipality's offices -------------------------------------------------------------------


@never_cache
@staff_view(roles=STAFF_ROLES)
@require_http_methods(["GET"])
def index(request: StaffRequest, municipality: Municipality) -> HttpResponse:
    offices = list(Office.objects.filter(municipality=municipality).order_by("name"))
    return render(request, "queueing/backoffice/index.html", _context(request, municipality, offices=offices))


# -- the office overview --------------------------------------------------------------------------


@never_cache
@staff_view(roles=STAFF_ROLES)
@require_http_methods(["GET", "POST"])
def overview(request: StaffRequest, municipality: Municipality, office_slug: str) -> HttpResponse:
    """The office's queue now; a POST draws a ticket for someone at the desk."""
    office = _office(municipality, office_slug)
    groups = _groups(office)
    draw_form = DrawTicketForm(request.POST if request.method == "POST" else None, groups=groups, prefix="draw")
    status = 200
    if request.method == "POST":
        if draw_form.is_valid():
            try:
                ticket = tickets.draw_ticket(
                    office,
                    draw_form.cleaned_data["linie"],
                    source=TicketSource.STAFF,
                    service=draw_form.cleaned_data["leistung"],
                    needs_accessibility=draw_form.cleaned_data["barrierefrei"],
                    language=request.LANGUAGE_CODE,
                )
            except QueueError as error:
                messages.error(request, error.message)
                status = 409
            else:
                messages.success(
                    request,
                    _("Ticket %(code)s is drawn for the line %(line)s.")
                    % {"code": ticket.code, "line": ticket.group.name},
                )
                return redirect(_url("overview", office))
        else:
            status = 400
    now = timezone.now()
    queue = selectors.live_queue(office, now)
    office_status = selectors.queue_status(office, now, queue=queue)
    lines = [
        {
            "group": group,
            "waiting": [line for line in queue.waiting if line.ticket.group_id == group.pk],
            "walk_in": queue.walk_in.get(group.key),
            "stopped": group.key in office_status.stopped_groups,
        }
        for group in groups
    ]
    counter_rows = [
        {"session": session, "ticket": next((t for t in queue.at_counters if t.counter_id == session.counter_id), None)}
        for session in sorted(queue.sessions, key=lambda s: s.counter.name)
    ]
    kiosk_url = _kiosk_url(office)
    current_settings = selectors.queue_settings(office)
    context = _context(
        request,
        municipality,
        office=office,
        now=now,
        queue=queue,
        office_status=office_status,
        queue_settings=current_settings,
        stopped_today=current_settings.stopped_on == timezone.localdate(now),
        lines=lines,
        counter_rows=counter_rows,
        todays_tickets=_tickets_of_day(office, timezone.localdate(now)),
        draw_form=draw_form,
        stop_form=TicketStopForm(prefix="stop"),
        kiosk_url=kiosk_url,
        kiosk_qr=_qr_svg(kiosk_url, _("QR code of the ticket machine address")),
        display_url=_display_url(office),
        stream_url=_stream_url(office),
    )
    return render(request, "queueing/backoffice/overview.html", context, status=status)


# -- settings and ticket stop ---------------------------------------------------------------------


@never_cache
@staff_view(roles=MANAGE_ROLES)
@require_http_methods(["GET", "POST"])
def queue_settings(request: StaffRequest, municipality: Municipality, office_slug: str) -> HttpResponse:
    """The queue settings form and the ticket stop switch; each form saves on its own."""
    office = _office(municipality, office_slug)
    current = selectors.queue_settings(office)
    which = request.POST.get("form", "") if request.method == "POST" else ""
    settings_form = QueueSettingsForm(request.POST if which == "settings" else None, instance=current, prefix="q")
    stop_form = TicketStopForm(request.POST if which == "stop" else None, prefix="stop")
    status = 200
    if request.method == "POST":
        if which == "settings" and settings_form.is_valid():
            data = {name: settings_form.cleaned_data[name] for name in settings_form.Meta.fields}
            tickets.change_settings(office, actor=request.user, data=data)
            messages.success(request, _("The queue settings are saved."))
            return redirect(_url("settings", office))
        if which == "stop" and stop_form.is_valid():
            tickets.stop_tickets(office, actor=request.user, reason=stop_form.cleaned_data["grund"])
            messages.success(request, _("No more tickets are issued today. Everyone in line is still served."))
            return redirect(_url("overview" if request.POST.get("back") == "overview" else "settings", office))
        if which == "resume":
            tickets.resume_tickets(office, actor=request.user)
            messages.success(request, _("Tickets are issued again."))
            return redirect(_url("overview" if request.POST.get("back") == "overview" else "settings", office))
        if which not in ("settings", "stop"):
            raise Http404
        status = 400
        messages.error(request, _("Nothing was saved. Please correct the marked fields."))
    context = _context(
        request,
        municipality,
        office=office,
        queue_settings=current,
        stopped_today=current.stopped_on == timezone.localdate(),
        settings_form=settings_form,
        stop_form=stop_form,
    )
    return render(request, "queueing/backoffice/settings.html", context, status=status)


# -- the counter console --------------------------------------------------------------------------


def _session_of(request: StaffRequest, office: Office) -> CounterSession | None:
    return (
        CounterSession.objects.filter(user=request.user, counter__office=office, ended_at__isnull=True)
        .select_related("counter")
        .prefetch_related("groups")
        .first()
    )


@never_cache
@staff_view(roles=STAFF_ROLES)
@require_http_methods(["GET", "POST"])
def console(request: StaffRequest, municipality: Municipality, office_slug: str) -> HttpResponse:
    """Sign in to a counter, then serve the queue from one screen."""
    office = _office(municipality, office_slug)
    groups = _groups(office)
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


def _render_sign_in(
    request: StaffRequest, municipality: Municipality, office: Office, form: SignInForm, status: int = 200
) -> HttpResponse:
    taken = list(
        CounterSession.objects.filter(counter__office=office, ended_at__isnull=True)
        .select_related("counter", "user")
        .order_by("counter__name")
    )
    context = _context(request, municipality, office=office, form=form, taken=taken, stream_url=_stream_url(office))
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
    return redirect(_url("console", office))


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
    context = _context(
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
        stream_url=_stream_url(office),
    )
    return render(request, "queueing/backoffice/console.html", context)


def _act(
    request: StaffRequest,
    office: Office,
    session: CounterSession | None,
    groups: list[ServiceGroup],
    office_counters: list[Counter],
) -> HttpResponse:
    """One counter button: check that the page was current, then call the service."""
    back = redirect(_url("console", office))
    form = ActionForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("This action is not possible. Please try again."))
        return back
    if session is None or session.pk != form.cleaned_data["sitzung"]:
        messages.error(request, _("You are no longer signed in at this counter. Nothing was done."))
        return back
    action = form.cleaned_data["action"]
    try:
        with transaction.atomic():
            # One action per counter at a time: a second press waits here, then sees the new ticket.
            locked = CounterSession.objects.select_for_update().select_related("counter").get(pk=session.pk)
            if locked.ended_at is not None:
                raise QueueError(_("You are no longer signed in at this counter. Nothing was done."))
            current = counters.current_ticket(locked)
            if action not in _COUNTER_ONLY and (current.pk if current else None) != form.cleaned_data["nummer"]:
                messages.warning(request, _stale_message(current))
                return back
            message = _dispatch(request, action, locked, current, office, groups, office_counters)
    except QueueError as error:
        messages.error(request, error.message)
        return back
    if message:
        messages.success(request, message)
    return back


def _stale_message(current: Ticket | None) -> str:
    if current is None:
        return _("Nothing was done: the ticket at your counter changed meanwhile. There is no ticket now.")
    return _("Nothing was done: the ticket at your counter changed meanwhile. It is now %(code)s.") % {
        "code": current.code
    }


def _dispatch(
    request: StaffRequest,
    action: str,
    session: CounterSession,
    current: Ticket | None,
    office: Office,
    groups: list[ServiceGroup],
    office_counters: list[Counter],
) -> str:
    counter_name = session.counter.name
    if action == "call_next":
        if session.paused_since is not None:
            raise QueueError(_("The counter is paused. Continue first to call the next number."))
        called = counters.call_next(session, finish_current=True)
        if called is None:
            if current is not None:
                return _("%(code)s is finished. Nobody is waiting for your lines.") % {"code": current.code}
            return _("Nobody is waiting for your lines.")
        return _("%(code)s is called to %(counter)s.") % {"code": called.code, "counter": counter_name}
    if action == "recall":
        ticket = counters.recall(session)
        limit = selectors.queue_settings(office).max_recalls
        return _("%(code)s is called again (%(count)s of %(limit)s).") % {
            "code": ticket.code,
            "count": ticket.recalls,
            "limit": limit,
        }
    if action == "start":
        return _("%(code)s is being served.") % {"code": counters.start(session).code}
    if action == "finish":
        return _("%(code)s is finished.") % {"code": counters.finish(session).code}
    if action == "no_show":
        return _("%(code)s is marked as not present.") % {"code": counters.no_show(session).code}
    if action == "park":
        return _("%(code)s is parked.") % {"code": counters.park(session).code}
    if action == "resume_parked":
        parked = list(Ticket.objects.filter(office=office, state=TicketState.PARKED))
        choice = ParkedChoiceForm(request.POST, parked=parked)
        if not choice.is_valid():
            raise QueueError(_("This ticket is no longer parked."))
        ticket = counters.resume_parked(session, choice.cleaned_data["ticket"])
        return _("%(code)s is called back to %(counter)s.") % {"code": ticket.code, "counter": counter_name}
    if action == "transfer":
        transfer = TransferForm(request.POST, counters=office_counters, groups=groups, prefix="transfer")
        if not transfer.is_valid():
            raise QueueError(_("Choose a line or a counter."))
        ticket = counters.transfer(session, group=transfer.cleaned_data["linie"], counter=transfer.cleaned_data["ziel"])
        target = transfer.cleaned_data["ziel"].name if transfer.cleaned_data["ziel"] else ticket.group.name
        return _("%(code)s is transferred to %(target)s.") % {"code": ticket.code, "target": target}
    if action == "pause":
        counters.pause(session)
        return _("The counter is paused. Nobody is called until you continue.")
    if action == "resume":
        counters.resume(session)
        return _("The counter is open again.")
    if action == "sign_out":
        counters.close_session(session)
        if current is not None and current.state in AT_COUNTER_STATES:
            return _("You are signed out of %(counter)s; %(code)s is back at the front of its line.") % {
                "counter": counter_name,
                "code": current.code,
            }
        return _("You are signed out of %(counter)s.") % {"counter": counter_name}
    raise Http404
