"""Staff pages of the live queue under ``/backoffice/<municipality>/warteschlange/``.

* the office overview (clerks and up): the lines with their waits, the counters, parked tickets and
  today's tickets with their times; staff draw a ticket for someone at the desk; the kiosk and call
  display links;
* the queue settings and the ticket stop (team leads and municipality admins).

The counter console is in ``views/console.py``; it shares the public helpers at the top of this module.
Every view is guarded by ``staff_view``; staff of another municipality get a 404. Writes go through
``services.tickets``; a ``QueueError`` becomes a message.
"""

from __future__ import annotations

import datetime as dt
from typing import Any
from urllib.parse import urlencode

import segno
from django.contrib import messages
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
from buergerbuero.tenants.models import Municipality, Office

from .. import links, selectors
from ..constants import TicketSource
from ..forms_backoffice import DrawTicketForm, QueueSettingsForm, TicketStopForm
from ..models import Ticket
from ..services import QueueError, tickets

#: Who works at the queue (a Kreis admin always may).
STAFF_ROLES = (Role.CLERK, Role.TEAM_LEAD, Role.MUNICIPALITY_ADMIN)
#: Who stops tickets and changes the queue settings.
MANAGE_ROLES = (Role.TEAM_LEAD, Role.MUNICIPALITY_ADMIN)


def staff_context(request: StaffRequest, municipality: Municipality, **extra: Any) -> dict[str, Any]:
    """The template context every queue back-office page starts from (the menu needs the roles)."""
    held = staff_roles_in(request.user, municipality)
    return {
        "municipality": municipality,
        "can_administer": roles_allow(held, (Role.MUNICIPALITY_ADMIN,)),
        "can_manage_queue": roles_allow(held, MANAGE_ROLES),
        **extra,
    }


def office_of(municipality: Municipality, slug: str) -> Office:
    """The municipality's office with that slug, or 404."""
    office = Office.objects.filter(municipality=municipality, slug=slug).select_related("municipality").first()
    if office is None:
        raise Http404
    return office


def lines_of(office: Office) -> list[ServiceGroup]:
    """The office's lines (service groups) with their services, by key."""
    return list(ServiceGroup.objects.filter(office=office).prefetch_related("services").order_by("key"))


def page_url(name: str, office: Office) -> str:
    """The address of the queue back-office page ``name`` for ``office``."""
    return reverse(
        f"queueing_backoffice:{name}",
        kwargs={"municipality_slug": office.municipality.slug, "office_slug": office.slug},
    )


def stream_url(office: Office) -> str:
    """The office's live state stream (SSE), which the staff pages follow."""
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
    return render(request, "queueing/backoffice/index.html", staff_context(request, municipality, offices=offices))


# -- the office overview --------------------------------------------------------------------------


@never_cache
@staff_view(roles=STAFF_ROLES)
@require_http_methods(["GET", "POST"])
def overview(request: StaffRequest, municipality: Municipality, office_slug: str) -> HttpResponse:
    """The office's queue now; a POST draws a ticket for someone at the desk."""
    office = office_of(municipality, office_slug)
    groups = lines_of(office)
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
                return redirect(page_url("overview", office))
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
    context = staff_context(
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
        stream_url=stream_url(office),
    )
    return render(request, "queueing/backoffice/overview.html", context, status=status)


# -- settings and ticket stop ---------------------------------------------------------------------


@never_cache
@staff_view(roles=MANAGE_ROLES)
@require_http_methods(["GET", "POST"])
def queue_settings(request: StaffRequest, municipality: Municipality, office_slug: str) -> HttpResponse:
    """The queue settings form and the ticket stop switch; each form saves on its own."""
    office = office_of(municipality, office_slug)
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
            return redirect(page_url("settings", office))
        if which == "stop" and stop_form.is_valid():
            tickets.stop_tickets(office, actor=request.user, reason=stop_form.cleaned_data["grund"])
            messages.success(request, _("No more tickets are issued today. Everyone in line is still served."))
            return redirect(page_url("overview" if request.POST.get("back") == "overview" else "settings", office))
        if which == "resume":
            tickets.resume_tickets(office, actor=request.user)
            messages.success(request, _("Tickets are issued again."))
            return redirect(page_url("overview" if request.POST.get("back") == "overview" else "settings", office))
        if which not in ("settings", "stop"):
            raise Http404
        status = 400
        messages.error(request, _("Nothing was saved. Please correct the marked fields."))
    context = staff_context(
        request,
        municipality,
        office=office,
        queue_settings=current,
        stopped_today=current.stopped_on == timezone.localdate(),
        settings_form=settings_form,
        stop_form=stop_form,
    )
    return render(request, "queueing/backoffice/settings.html", context, status=status)
