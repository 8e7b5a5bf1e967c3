"""Addresses of the live queue that are printed, shown as QR codes or sent: the citizen's ticket page,
the office's daily check-in code, the call display and the kiosk's device key.

The check-in code is signed and valid for one day and one office: a virtual ticket becomes active
only with the code shown in the office (on the call display and the ticket machine), so nobody joins
the line from the sofa. The kiosk key lets a device that staff set up draw tickets without a login.
"""

from __future__ import annotations

from datetime import date

from django.core import signing
from django.urls import reverse
from django.utils import timezone

from buergerbuero.core.links import absolute_url
from buergerbuero.tenants.models import Office

from .models import Ticket

__all__ = [
    "checkin_token",
    "checkin_url",
    "display_url",
    "kiosk_key",
    "office_for_kiosk_key",
    "ticket_url",
    "valid_checkin_token",
]

_CHECKIN_SALT = "buergerbuero.queueing.checkin"
_KIOSK_SALT = "buergerbuero.queueing.kiosk"


def ticket_url(ticket: Ticket, *, absolute: bool = True) -> str:
    path = reverse("queueing:ticket", kwargs={"public_id": ticket.public_id})
    return absolute_url(path) if absolute else path


def display_url(office: Office) -> str:
    return absolute_url(
        reverse("queueing:display", kwargs={"municipality": office.municipality.slug, "office": office.slug})
    )


def checkin_token(office: Office, day: date | None = None) -> str:
    day = day or timezone.localdate()
    return signing.dumps({"o": office.pk, "d": day.isoformat()}, salt=_CHECKIN_SALT, compress=True)


def valid_checkin_token(office: Office, token: str, day: date | None = None) -> bool:
    """Whether ``token`` is today's check-in code of ``office``."""
    day = day or timezone.localdate()
    try:
        data = signing.loads(token, salt=_CHECKIN_SALT)
    except signing.BadSignature:
        return False
    return isinstance(data, dict) and data.get("o") == office.pk and data.get("d") == day.isoformat()


def checkin_url(office: Office, day: date | None = None) -> str:
    token = checkin_token(office, day)
    kwargs = {"municipality": office.municipality.slug, "office": office.slug, "token": token}
    return absolute_url(reverse("queueing:check-in", kwargs=kwargs))


def kiosk_key(office: Office) -> str:
    """The key a ticket machine keeps in its cookie; staff hand it out from the back office."""
    return signing.dumps({"o": office.pk}, salt=_KIOSK_SALT)


def office_for_kiosk_key(key: str) -> int | None:
    """The office id a kiosk key belongs to, or ``None`` if it is forged."""
    try:
        data = signing.loads(key, salt=_KIOSK_SALT)
    except signing.BadSignature:
        return None
    return data.get("o") if isinstance(data, dict) else None
