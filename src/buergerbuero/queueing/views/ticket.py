"""The citizen's side of the live queue: drawing a ticket from the phone, checking in with the office's
QR code, and the ticket page (an installable web app) with its live position, alerts and actions.

The ticket's ``public_id`` in the page address is the citizen's capability for it. The browser also
keeps a signed cookie listing the tickets it drew (``COOKIE``), so the check-in link — the same QR
code for everyone in the office — knows which virtual ticket to activate. Actions are POSTs (phones
prefetch links); the rules stay in ``services.tickets`` and ``services.push``. The web app's manifest
and service worker are in ``views/pwa.py``.
"""

from __future__ import annotations

import json
import math
from datetime import timedelta
from typing import Any
from uuid import UUID

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from buergerbuero.appointments import fairness
from buergerbuero.appointments.models import ServiceGroup
from buergerbuero.core.tenancy import scopes_disabled
from buergerbuero.notifications import webpush
from buergerbuero.tenants.models import Office

from .. import links, selectors
from ..constants import FINAL_STATES, QueueStatus, RemoteTickets, TicketSource, TicketState
from ..forms import AlertForm, DrawForm
from ..models import Ticket
from ..services import QueueError, push
from ..services import tickets as ticket_services
from .pwa import scope

__all__ = ["COOKIE", "cookie_tickets", "ticket_status"]

COOKIE = "bb_queue_tickets"
COOKIE_SALT = "buergerbuero.queueing.tickets"
COOKIE_MAX_AGE = int(timedelta(days=2).total_seconds())
COOKIE_KEEP = 6
#: The remote draw shares the reservation's limit (requests per window) but counts apart from it.
RATE_SCOPE = "reserve"
RATE_KEY_PREFIX = "queue-ticket:"


# -- the browser's tickets (signed cookie) -------------------------------------------------------


def cookie_tickets(request: HttpRequest) -> list[str]:
    """The public ids of the tickets this browser drew (newest last); forged cookies count as none."""
    raw = request.get_signed_cookie(COOKIE, default="", salt=COOKIE_SALT, max_age=COOKIE_MAX_AGE)
    ids = []
    for part in str(raw).split(","):
        try:
            ids.append(str(UUID(part)))
        except ValueError:
            continue
    return ids


def _remember(request: HttpRequest, response: HttpResponse, ticket: Ticket) -> None:
    ids = [i for i in cookie_tickets(request) if i != str(ticket.public_id)] + [str(ticket.public_id)]
    response.set_signed_cookie(
        COOKIE,
        ",".join(ids[-COOKIE_KEEP:]),
        salt=COOKIE_SALT,
        max_age=COOKIE_MAX_AGE,
        path=scope(),
        secure=request.is_secure(),
        httponly=True,
        samesite="Lax",
    )


# -- lookups -------------------------------------------------------------------------------------


def _office(municipality: str, office: str) -> Office:
    with scopes_disabled():  # public pages: every municipality's offices
        found = (
            Office.objects.select_related("municipality__district")
            .filter(municipality__slug=municipality, slug=office)
            .first()
        )
    if found is None:
        raise Http404("no such office")
    return found


def _ticket(public_id: UUID) -> Ticket:
    with scopes_disabled():
        found = (
            Ticket.objects.select_related("office__municipality", "group", "service", "counter")
            .filter(public_id=public_id)
            .first()
        )
    if found is None:
        raise Http404("no such ticket")
    return found


def _lines(office: Office) -> list[ServiceGroup]:
    with scopes_disabled():
        return list(ServiceGroup.objects.filter(office=office).prefetch_related("services").order_by("key"))


# -- the state the page shows -------------------------------------------------------------------


def ticket_status(ticket: Ticket) -> dict[str, Any]:
    """What the ticket page shows, from the office's live state (the same JSON the stream sends)."""
    live = selectors.office_live_state(ticket.office_id)
    today = ticket.day == timezone.localdate()
    entry = live["tickets"].get(ticket.code) if today else None
    line = next((line for line in live["lines"] if line["key"] == ticket.group.key), None)
    state = entry["state"] if entry else ticket.state
    position = estimate = low = high = None
    if entry and state == TicketState.WAITING:
        position, estimate, low, high = entry["position"], entry["estimate"], entry["low"], entry["high"]
    elif state == TicketState.VIRTUAL and today and line is not None:
        # Not in line yet: what someone joining now would wait.
        position = line["waiting"]
        estimate, low, high = line["walk_in"]["estimate"], line["walk_in"]["low"], line["walk_in"]["high"]
    queue = selectors.queue_settings(ticket.office)
    return {
        "version": live["version"],
        "code": ticket.code,
        "state": str(state),
        "state_label": str(TicketState(state).label),
        "line": {"key": ticket.group.key, "name": ticket.group.name},
        "position": position,
        "estimate": estimate,
        "low": low,
        "high": high,
        "counter": (entry or {}).get("counter") or (ticket.counter.name if ticket.counter else None),
        "final": state in FINAL_STATES,
        "can_postpone": state == TicketState.WAITING and ticket.postpones < queue.max_postpones,
        "can_cancel": state in (TicketState.VIRTUAL, TicketState.WAITING, TicketState.PARKED),
        "alert": {"minutes": ticket.alert_minutes, "positions": ticket.alert_positions},
        "office": {
            "name": ticket.office.name,
            "status": live["status"],
            "status_label": str(QueueStatus(live["status"]).label),
            "stop_reason": live["stop_reason"],
            "waiting": live["waiting"],
            "open_counters": live["open_counters"],
        },
    }


# -- remote ticket -------------------------------------------------------------------------------


@require_http_methods(["GET", "HEAD", "POST"])
def draw(request: HttpRequest, municipality: str, office: str) -> HttpResponse:
    place = _office(municipality, office)
    request.branding = place.municipality  # type: ignore[attr-defined]
    queue = selectors.queue_settings(place)
    status = selectors.queue_status(place)
    lines = _lines(place)
    form = DrawForm(request.POST or None, lines=lines, stopped=status.stopped_groups)
    offered = queue.is_active and queue.remote_tickets != RemoteTickets.OFF
    if request.method == "POST" and offered:
        try:
            fairness.check_rate(RATE_SCOPE, RATE_KEY_PREFIX + fairness.client_key(request))
        except fairness.RateLimited as error:
            response = render(request, "queueing/draw_rate_limited.html", {"office": place, "error": error}, status=429)
            response["Retry-After"] = str(error.retry_after)
            return response
        if form.is_valid():
            if not fairness.verify_solution(form.cleaned_data["altcha"] or ""):
                form.add_error(None, str(fairness.POW_REQUIRED_MESSAGE))
            else:
                try:
                    ticket = _draw(place, form)
                except QueueError as error:
                    form.add_error(None, error.message)
                else:
                    messages.success(request, _("Your number is %(code)s.") % {"code": ticket.code})
                    response = redirect("queueing:ticket", public_id=ticket.public_id)
                    _remember(request, response, ticket)
                    return response
    context = {
        "office": place,
        "form": form,
        "offered": offered,
        "status": status,
        "check_in": queue.remote_tickets == RemoteTickets.CHECK_IN,
        "choices": [
            {
                "group": line,
                "services": [service.name for service in line.services.all()],
                "wait": _wait(status.walk_in.get(line.key)),
            }
            for line in lines
            if line.key in form.lines
        ],
        "altcha_challenge_json": fairness.challenge_json() if offered else "",
    }
    return _no_store(render(request, "queueing/draw.html", context))


def _wait(prediction: Any) -> dict[str, int] | None:
    low, high = getattr(prediction, "low_min", None), getattr(prediction, "high_min", None)
    if low is None or high is None or not math.isfinite(low) or not math.isfinite(high):
        return None
    return {"low": round(low), "high": max(round(high), round(low))}


def _draw(office: Office, form: DrawForm) -> Ticket:
    ticket = ticket_services.draw_ticket(
        office,
        form.group(),
        source=TicketSource.REMOTE,
        needs_accessibility=form.cleaned_data["needs_accessibility"],
        language=translation.get_language() or "de",
    )
    alert = form.alert_choice()
    if alert is not None:
        ticket = ticket_services.set_alert(ticket, alert)
    return ticket


# -- check-in ------------------------------------------------------------------------------------


@require_http_methods(["GET", "HEAD", "POST"])
def check_in(request: HttpRequest, municipality: str, office: str, token: str) -> HttpResponse:
    place = _office(municipality, office)
    request.branding = place.municipality  # type: ignore[attr-defined]
    context: dict[str, Any] = {"office": place, "problem": ""}
    if not links.valid_checkin_token(place, token):
        context["problem"] = "invalid"
        return _no_store(render(request, "queueing/check_in.html", context, status=404))
    with scopes_disabled():
        mine = list(
            Ticket.objects.filter(
                public_id__in=cookie_tickets(request), office=place, day=timezone.localdate()
            ).exclude(state__in=FINAL_STATES)
        )
    virtual = [t for t in mine if t.state == TicketState.VIRTUAL]
    context.update(tickets=mine, virtual=virtual)
    if not mine:
        context["problem"] = "no_ticket"
        return _no_store(render(request, "queueing/check_in.html", context))
    if request.method == "POST" and virtual:
        activated = []
        for ticket in virtual:
            try:
                activated.append(ticket_services.activate(ticket))
            except QueueError as error:
                messages.error(request, error.message)
        if activated:
            codes = ", ".join(t.code for t in activated)
            messages.success(request, _("You are checked in. Your number %(codes)s is now in line.") % {"codes": codes})
        return redirect("queueing:ticket", public_id=(activated or virtual)[-1].public_id)
    if request.method == "POST" or not virtual:
        messages.info(request, _("You are already checked in."))
        return redirect("queueing:ticket", public_id=mine[-1].public_id)
    return _no_store(render(request, "queueing/check_in.html", context))


# -- the ticket page -----------------------------------------------------------------------------


@require_safe
def ticket_page(request: HttpRequest, public_id: UUID) -> HttpResponse:
    ticket = _ticket(public_id)
    return _render_ticket(request, ticket, AlertForm(initial=_alert_initial(ticket)))


def _alert_initial(ticket: Ticket) -> dict[str, Any]:
    return {
        "kind": "positions" if ticket.alert_positions is not None else "minutes",
        "minutes": ticket.alert_minutes if ticket.alert_minutes is not None else 15,
        "positions": ticket.alert_positions if ticket.alert_positions is not None else 3,
        "email": ticket.alert_email,
        "phone": ticket.alert_phone,
    }


def _render_ticket(request: HttpRequest, ticket: Ticket, alert_form: AlertForm) -> HttpResponse:
    request.branding = ticket.office.municipality  # type: ignore[attr-defined]
    status = ticket_status(ticket)
    office = ticket.office
    push_key = webpush.vapid_public_key() if webpush.webpush_enabled() else ""
    context = {
        "ticket": ticket,
        "office": office,
        "status": status,
        "alert_form": alert_form,
        "check_in": status["state"] == TicketState.VIRTUAL,
        "push_key": push_key,
        "urls": {
            "status": reverse("queueing:ticket-status", kwargs={"public_id": ticket.public_id}),
            "stream": reverse(
                "queueing:office-stream", kwargs={"municipality": office.municipality.slug, "office": office.slug}
            ),
            "push": reverse("queueing:ticket-push", kwargs={"public_id": ticket.public_id}),
            "worker": reverse("queueing:service-worker"),
            "scope": scope(),
            "draw": reverse("queueing:draw", kwargs={"municipality": office.municipality.slug, "office": office.slug}),
        },
        "manifest_url": f"{reverse('queueing:manifest')}?ticket={ticket.public_id}",
        "texts": _page_texts(),
    }
    return _no_store(render(request, "queueing/ticket.html", context))


def _page_texts() -> dict[str, str]:
    """The sentences ticket.js fills in live (``{n}``, ``{low}``, ``{high}``, ``{counter}`` are replaced)."""
    return {
        **{f"state_{state.value}": str(state.label) for state in TicketState},
        **{f"office_{status.value}": str(status.label) for status in QueueStatus},
        "ahead_0": _("You are next in line."),
        "ahead_1": _("1 person is ahead of you."),
        "ahead_n": _("{n} people are ahead of you."),
        "wait_range": _("Expected wait: about {low} to {high} minutes."),
        "wait_unknown": _("No wait can be predicted right now (no counter is open for your line)."),
        "called": _("It is your turn: please go to {counter} now."),
        "called_no_counter": _("It is your turn: please go to the counter now."),
        "soon": _("Your turn is coming up. Please make your way back to the office."),
        "office_line": _("{waiting} waiting, {counters} counters open."),
        "push_on": _("Notifications are on for this device."),
        "push_denied": _("Notifications are blocked. Please allow them in your browser's settings."),
        "push_failed": _("Notifications could not be switched on on this device."),
        "push_unsupported": _("This browser cannot show notifications. Keep this page open instead."),
        "offline": _("Connection lost. Reconnecting …"),
        "sound_on": _("Sound is on."),
    }


@require_safe
def ticket_status_json(request: HttpRequest, public_id: UUID) -> JsonResponse:
    with translation.override(translation.get_language()):
        response = JsonResponse(ticket_status(_ticket(public_id)), json_dumps_params={"ensure_ascii": False})
    response["Cache-Control"] = "no-store"
    return response


@require_POST
def postpone(request: HttpRequest, public_id: UUID) -> HttpResponse:
    ticket = _ticket(public_id)
    try:
        moved = ticket_services.postpone(ticket)
    except QueueError as error:
        messages.error(request, error.message)
    else:
        until = timezone.localtime(moved.ready_at) if moved.ready_at else None
        messages.success(
            request,
            _("Done: you will not be called before %(time)s. You keep your place in line.")
            % {"time": until.strftime("%H:%M") if until else "–"},
        )
    return redirect("queueing:ticket", public_id=ticket.public_id)


@require_http_methods(["GET", "HEAD", "POST"])
def cancel(request: HttpRequest, public_id: UUID) -> HttpResponse:
    ticket = _ticket(public_id)
    if request.method == "POST":
        try:
            ticket_services.cancel(ticket)
        except QueueError as error:
            messages.error(request, error.message)
        else:
            messages.success(request, _("You have given back number %(code)s.") % {"code": ticket.code})
        return redirect("queueing:ticket", public_id=ticket.public_id)
    request.branding = ticket.office.municipality  # type: ignore[attr-defined]
    can_cancel = ticket.state in (TicketState.VIRTUAL, TicketState.WAITING, TicketState.PARKED)
    return _no_store(render(request, "queueing/ticket_cancel.html", {"ticket": ticket, "can_cancel": can_cancel}))


@require_POST
def alert(request: HttpRequest, public_id: UUID) -> HttpResponse:
    ticket = _ticket(public_id)
    form = AlertForm(request.POST)
    if form.is_valid():
        try:
            ticket_services.set_alert(ticket, form.choice())
        except QueueError as error:
            form.add_error(None, error.message)
        else:
            messages.success(request, _("Your alert is saved."))
            return redirect("queueing:ticket", public_id=ticket.public_id)
    return _render_ticket(request, ticket, form)


# -- Web Push ------------------------------------------------------------------------------------


@require_POST
def push_subscription(request: HttpRequest, public_id: UUID) -> JsonResponse:
    """Store the browser's ``PushSubscription.toJSON()`` for this ticket (JSON body)."""
    ticket = _ticket(public_id)
    if not webpush.webpush_enabled():
        return JsonResponse({"error": _("Notifications are not available on this server.")}, status=503)
    try:
        push.subscribe(ticket, json.loads(request.body or b""))
    except ValueError:  # not JSON
        return JsonResponse({"error": _("The browser sent an invalid push subscription.")}, status=400)
    except ValidationError as error:
        return JsonResponse({"error": " ".join(error.messages)}, status=400)
    except QueueError as error:
        return JsonResponse({"error": error.message}, status=409)
    return JsonResponse({"ok": True}, status=201)


def _no_store(response: HttpResponse) -> HttpResponse:
    response["Cache-Control"] = "no-store"
    response["X-Robots-Tag"] = "noindex"
    return response
