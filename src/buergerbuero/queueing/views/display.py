"""The call display of the waiting room: ``/warteschlange/<municipality>/<office>/anzeige/``.

Public and read-only. The page is rendered once with the office's current state (so it shows
something before the stream connects, and without JavaScript); ``static/queueing/display.js`` then
listens to the office's SSE stream (``queueing:office-stream``) and re-renders the same fixed nodes
on every ``state`` event, plays a gong for new calls and, if the office wants it, speaks them.

The pieces the kiosk shares (finding the office, the wait as a range, inline QR codes) live here.
"""

from __future__ import annotations

import io
import math
from dataclasses import dataclass
from typing import Any

import segno
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _
from django.views.decorators.http import require_safe

from buergerbuero.core.links import absolute_url
from buergerbuero.core.tenancy import scopes_disabled
from buergerbuero.tenants.models import Office

from .. import links, selectors

__all__ = ["CALL_SLOTS", "WaitRange", "display", "office_by_slugs", "qr_svg", "wait_range"]

#: How many calls the display shows: the newest one large, the others below it.
CALL_SLOTS = 6
#: Waits are shown rounded to this many minutes: a range, never a false promise to the minute.
WAIT_STEP_MINUTES = 5


def office_by_slugs(municipality: str, office: str) -> Office:
    """The office at ``<municipality>/<office>``, or 404. Public pages see every municipality's offices."""
    with scopes_disabled():
        found = (
            Office.objects.select_related("municipality__district")
            .filter(municipality__slug=municipality, slug=office)
            .first()
        )
    if found is None:
        raise Http404("no such office")
    return found


@dataclass(frozen=True)
class WaitRange:
    """A predicted wait rounded outwards to whole steps; ``high == 0`` means no wait to speak of."""

    low: int
    high: int

    @property
    def label(self) -> str:
        if self.high <= 0:
            return _("no wait")
        if self.low <= 0:
            return _("less than %(high)s min") % {"high": self.high}
        return _("about %(low)s–%(high)s min") % {"low": self.low, "high": self.high}


def wait_range(low: float | None, high: float | None) -> WaitRange | None:
    """The interval ``low``–``high`` (minutes) rounded outwards to ``WAIT_STEP_MINUTES``; pure.

    ``None`` when there is no prediction (no counter handles the line). ``display.js`` applies the
    same rule to the live state.
    """
    if low is None or high is None or not (math.isfinite(low) and math.isfinite(high)):
        return None
    step = WAIT_STEP_MINUTES
    lower = max(0, math.floor(low / step) * step)
    upper = max(0, math.ceil(high / step) * step)
    if upper <= 0:
        return WaitRange(0, 0)
    return WaitRange(lower, max(upper, lower + step))


def qr_svg(data: str, *, label: str) -> SafeString:
    """An inline SVG QR code with an accessible name (``label``)."""
    buffer = io.BytesIO()
    segno.make(data, error="m").save(
        buffer, kind="svg", scale=4, border=2, xmldecl=False, svgns=True, svgclass="qr", lineclass=None
    )
    svg = buffer.getvalue().decode()
    return mark_safe(svg.replace("<svg ", '<svg role="img" aria-label="' + _escape(label) + '" ', 1))  # noqa: S308


def _escape(text: str) -> str:
    return text.replace("&", "&amp;").replace('"', "&quot;").replace("<", "&lt;").replace(">", "&gt;")


def office_page_url(office: Office) -> str:
    """The office's public page (another engineer's view), where a citizen follows the queue on the phone."""
    return absolute_url(
        reverse("queueing:office", kwargs={"municipality": office.municipality.slug, "office": office.slug})
    )


def stream_path(office: Office) -> str:
    return reverse("queueing:office-stream", kwargs={"municipality": office.municipality.slug, "office": office.slug})


@dataclass(frozen=True)
class LineRow:
    key: str
    name: str
    prefix: str
    waiting: int
    stopped: bool
    wait: WaitRange | None


def line_rows(state: dict[str, Any]) -> list[LineRow]:
    return [
        LineRow(
            key=line["key"],
            name=line["name"],
            prefix=line["prefix"],
            waiting=line["waiting"],
            stopped=line["stopped"],
            wait=wait_range(line["walk_in"]["low"], line["walk_in"]["high"]),
        )
        for line in state["lines"]
    ]


@require_safe
def display(request: HttpRequest, municipality: str, office: str) -> HttpResponse:
    found = office_by_slugs(municipality, office)
    state = selectors.office_live_state(found.pk)
    calls = state["calls"][:CALL_SLOTS]
    follow_url = office_page_url(found)
    checkin_url = links.checkin_url(found)
    context = {
        "office": found,
        "status": state["status"],
        "stop_reason": state["stop_reason"],
        "current": calls[0] if calls else None,
        "previous": calls[1:] + [None] * (CALL_SLOTS - max(len(calls), 1)),
        "lines": line_rows(state),
        "spoken_calls": selectors.queue_settings(found).spoken_calls,
        "stream_path": stream_path(found),
        "follow_qr": qr_svg(follow_url, label=_("QR code: follow the queue on your phone")),
        "follow_url": follow_url,
        "checkin_qr": qr_svg(checkin_url, label=_("QR code: check in with a ticket from the app")),
    }
    return render(request, "queueing/display.html", context)
