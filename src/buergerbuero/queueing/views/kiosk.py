"""The ticket machine: ``/warteschlange/<municipality>/<office>/kiosk/`` and its printed ticket.

A ticket machine is a device, not a staff login. Staff open the kiosk address once with the office's
key (``?key=<links.kiosk_key(office)>``, shown in the back office); the view checks the key, keeps it
in a long-lived HttpOnly cookie limited to the kiosk's path, and redirects to the clean address, so
the key never stays in the address bar. Without that cookie only a signed-in staff member of the
municipality may use the page (to try it out); everyone else gets a 403 that says what to do.

Drawing is a POST (CSRF) through ``services.tickets.draw_ticket(source=KIOSK)``; refusals
(``QueueError``: closed, ticket stop) are shown on the page. The ticket page prints itself
(``static/queueing/kiosk.js``) on an 80 mm receipt printer and returns to the start after
``RETURN_SECONDS``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from uuid import UUID

from django.conf import settings
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from buergerbuero.accounts.permissions import SecondFactorStep, roles_allow, second_factor_step
from buergerbuero.accounts.selectors import staff_roles_in
from buergerbuero.appointments.models import ServiceGroup
from buergerbuero.catalog.models import Service
from buergerbuero.core.tenancy import scopes_disabled
from buergerbuero.tenants.models import Office

from .. import links, selectors
from ..constants import QueueStatus, TicketSource, TicketState
from ..models import Ticket
from ..services import QueueError, tickets
from .display import WaitRange, office_by_slugs, qr_svg, wait_range

COOKIE_NAME = "queueing_kiosk"
#: Browsers keep a cookie at most 400 days; staff open the key link again after that.
COOKIE_MAX_AGE = 400 * 24 * 60 * 60
#: Seconds the printed ticket stays on screen before the machine returns to its start page.
RETURN_SECONDS = 20
#: A line with at most this many services shows a button per service; with more, one for the line.
SERVICE_BUTTONS_MAX = 3


def _kiosk_path(office: Office) -> str:
    return reverse("queueing:kiosk", kwargs={"municipality": office.municipality.slug, "office": office.slug})


def _is_kiosk_device(request: HttpRequest, office: Office) -> bool:
    key = request.COOKIES.get(COOKIE_NAME, "")
    return bool(key) and links.office_for_kiosk_key(key) == office.pk


def _is_staff_of(request: HttpRequest, office: Office) -> bool:
    """A signed-in staff member of the office's municipality who has passed the second factor."""
    user = request.user
    if not user.is_authenticated or not user.is_active or getattr(user, "is_citizen", True):
        return False
    if second_factor_step(user) is not SecondFactorStep.NONE:
        return False
    with scopes_disabled():
        return roles_allow(staff_roles_in(user, office.municipality), None)


def _forbidden(request: HttpRequest, office: Office, *, forged: bool = False) -> HttpResponse:
    return render(request, "queueing/kiosk_forbidden.html", {"office": office, "forged": forged}, status=403)


@dataclass(frozen=True)
class Choice:
    """One button of the machine: a line, or one service of a line."""

    value: str
    label: str
    service: Service | None


@dataclass(frozen=True)
class LineChoices:
    group: ServiceGroup
    stopped: bool
    wait: WaitRange | None
    choices: list[Choice]


def _lines(office: Office, status: selectors.OfficeStatus | None = None) -> list[LineChoices]:
    """The machine's buttons per line; with ``status``, which lines are stopped and their walk-in wait."""
    with scopes_disabled():
        groups = list(ServiceGroup.objects.filter(office=office).prefetch_related("services").order_by("name", "pk"))
    lines = []
    for group in groups:
        services = sorted(group.services.all(), key=lambda s: s.name)
        if 1 < len(services) <= SERVICE_BUTTONS_MAX:
            choices = [Choice(f"{group.key}:{s.slug}", s.name, s) for s in services]
        else:
            only = services[0] if len(services) == 1 else None
            choices = [Choice(group.key, group.name, only)]
        prediction = None if status is None else status.walk_in.get(group.key)
        lines.append(
            LineChoices(
                group=group,
                stopped=status is not None
                and (status.status != QueueStatus.OPEN or group.key in status.stopped_groups),
                wait=None if prediction is None else wait_range(prediction.low_min, prediction.high_min),
                choices=choices,
            )
        )
    return lines


def _chosen(lines: list[LineChoices], value: str) -> tuple[ServiceGroup, Service | None] | None:
    for line in lines:
        for choice in line.choices:
            if choice.value == value:
                return line.group, choice.service
    return None


def _page(request: HttpRequest, office: Office, *, error: str = "", status: int = 200) -> HttpResponse:
    office_status = selectors.queue_status(office)
    context: dict[str, Any] = {
        "office": office,
        "status": office_status,
        "lines": _lines(office, office_status),
        "error": error,
        "accessibility": request.POST.get("accessibility") == "1",
        "checkin_qr": qr_svg(links.checkin_url(office), label=_("QR code: check in with a ticket from the app")),
    }
    return render(request, "queueing/kiosk.html", context, status=status)


@require_http_methods(["GET", "HEAD", "POST"])
def kiosk(request: HttpRequest, municipality: str, office: str) -> HttpResponse:
    found = office_by_slugs(municipality, office)
    key = request.GET.get("key")
    if key is not None:
        if links.office_for_kiosk_key(key) != found.pk:
            return _forbidden(request, found, forged=True)
        response = HttpResponseRedirect(_kiosk_path(found))
        response.set_cookie(
            COOKIE_NAME,
            key,
            max_age=COOKIE_MAX_AGE,
            path=_kiosk_path(found),
            secure=settings.SESSION_COOKIE_SECURE or request.is_secure(),
            httponly=True,
            samesite="Lax",
        )
        return response
    if not (_is_kiosk_device(request, found) or _is_staff_of(request, found)):
        return _forbidden(request, found)
    if request.method != "POST":
        return _page(request, found)
    chosen = _chosen(_lines(found), request.POST.get("choice", ""))
    if chosen is None:
        return _page(request, found, error=_("Please choose one of the buttons."), status=400)
    group, service = chosen
    try:
        ticket = tickets.draw_ticket(
            found,
            group,
            source=TicketSource.KIOSK,
            service=service,
            needs_accessibility=request.POST.get("accessibility") == "1",
            language=get_language() or "de",
        )
    except QueueError as error:
        return _page(request, found, error=error.message, status=409)
    return redirect(
        "queueing:kiosk-ticket", municipality=found.municipality.slug, office=found.slug, public_id=ticket.public_id
    )


@require_http_methods(["GET", "HEAD"])
def kiosk_ticket(request: HttpRequest, municipality: str, office: str, public_id: UUID) -> HttpResponse:
    found = office_by_slugs(municipality, office)
    if not (_is_kiosk_device(request, found) or _is_staff_of(request, found)):
        return _forbidden(request, found)
    with scopes_disabled():
        ticket = (
            Ticket.objects.select_related("group", "service")
            .filter(public_id=public_id, office=found, day=timezone.localdate())
            .first()
        )
    if ticket is None:
        raise Http404("no such ticket today")
    ahead, wait = None, None
    if ticket.state == TicketState.WAITING:
        queue = selectors.live_queue(found)
        line = next((line for line in queue.waiting if line.ticket.pk == ticket.pk), None)
        if line is not None:
            ahead = line.position
            if line.prediction is not None:
                wait = wait_range(line.prediction.low_min, line.prediction.high_min)
    ticket_url = links.ticket_url(ticket)
    context = {
        "office": found,
        "ticket": ticket,
        "ahead": ahead,
        "wait": wait,
        "drawn_at": timezone.localtime(ticket.created_at),
        "ticket_qr": qr_svg(ticket_url, label=_("QR code: your ticket on your phone")),
        "return_seconds": RETURN_SECONDS,
        "kiosk_path": _kiosk_path(found),
    }
    return render(request, "queueing/kiosk_ticket.html", context)
