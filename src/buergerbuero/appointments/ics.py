"""The calendar file (.ics, RFC 5545) of an appointment: a pure builder over plain data.

One ``VEVENT`` in a ``METHOD:PUBLISH`` calendar: calendar apps import it as a plain event (no
invitation to answer). Times are written in Europe/Berlin with the matching ``VTIMEZONE``, so the
event stays at 10:00 on the wall clock whatever the device's zone. A cancelled appointment keeps its
UID and gets ``STATUS:CANCELLED`` and a higher ``SEQUENCE``, so re-importing it updates the entry.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

from django.conf import settings
from django.utils.translation import gettext as _
from icalendar import Calendar, Event

from .constants import AppointmentState
from .models import Appointment

__all__ = ["CalendarEntry", "appointment_entry", "appointment_ics", "build_ics", "uid_host"]

BERLIN = ZoneInfo("Europe/Berlin")
PRODID = "-//Buergerbuero//Termine//DE"


@dataclass(frozen=True)
class CalendarEntry:
    uid: str
    summary: str
    starts_at: datetime
    ends_at: datetime
    location: str
    description: str
    stamp: datetime
    url: str = ""
    cancelled: bool = False


def build_ics(entry: CalendarEntry) -> bytes:
    """The .ics file of ``entry`` (UTF-8, CRLF line ends as the standard asks)."""
    calendar = Calendar()
    calendar.add("prodid", PRODID)
    calendar.add("version", "2.0")
    calendar.add("method", "PUBLISH")
    event = Event()
    event.add("uid", entry.uid)
    event.add("dtstamp", entry.stamp.astimezone(ZoneInfo("UTC")))
    event.add("dtstart", entry.starts_at.astimezone(BERLIN))
    event.add("dtend", entry.ends_at.astimezone(BERLIN))
    event.add("summary", entry.summary)
    event.add("location", entry.location)
    event.add("description", entry.description)
    if entry.url:
        event.add("url", entry.url)
    event.add("status", "CANCELLED" if entry.cancelled else "CONFIRMED")
    event.add("sequence", 1 if entry.cancelled else 0)
    event.add("transp", "OPAQUE")
    calendar.add_component(event)
    calendar.add_missing_timezones()
    return bytes(calendar.to_ical())


def uid_host(site_url: str) -> str:
    """The host part of UIDs: the site's host name (``public_id@buergerbuero.example.org``)."""
    return urlsplit(site_url).hostname or "localhost"


def appointment_entry(
    appointment: Appointment,
    *,
    summary: str,
    description: str,
    host: str,
    stamp: datetime,
    url: str = "",
) -> CalendarEntry:
    """The calendar entry of ``appointment``; texts come translated from the caller."""
    office = appointment.office
    return CalendarEntry(
        uid=f"{appointment.public_id}@{host}",
        summary=summary,
        starts_at=appointment.starts_at,
        ends_at=appointment.ends_at,
        location=f"{office.name}, {office.address}",
        description=description,
        stamp=stamp,
        url=url,
        cancelled=appointment.state == AppointmentState.CANCELLED,
    )


def appointment_ics(appointment: Appointment, *, manage_url: str, stamp: datetime) -> bytes:
    """The .ics of ``appointment`` in the active language: the code and the manage link in the
    description (``manage_url`` may be empty when the link is not known, e.g. for staff)."""
    services = ", ".join(service.name for service in appointment.services.all())
    lines = [
        _("Booking code: %(code)s") % {"code": appointment.code},
        _("Services: %(services)s") % {"services": services},
    ]
    if manage_url:
        lines.append(_("Cancel or move: %(url)s") % {"url": manage_url})
    return build_ics(
        appointment_entry(
            appointment,
            summary=_("Appointment at %(office)s") % {"office": appointment.office.name},
            description="\n".join(lines),
            host=uid_host(str(getattr(settings, "SITE_URL", ""))),
            stamp=stamp,
            url=manage_url,
        )
    )
