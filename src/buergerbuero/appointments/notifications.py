"""What citizens are told about their appointments, always through the outbox.

Each message is a text and an HTML e-mail rendered from ``templates/appointments/email/<kind>.txt|html``
with the appointment's .ics attached and, for bookings, a QR code of the booking code (PNG attachment,
and inline in the HTML). The manage link is absolute (``settings.SITE_URL``) and only in the message
when its token is known: the token is stored hashed and shown once.

The QR code carries the booking code, not the manage link: it is shown at the counter, and the
manage link is a secret that lets anyone who reads it cancel the appointment.

Messages are German unless the booking was made by the citizen in another language of the site
(the active language of their request); nothing new is stored for that.

Nothing is rendered while booking: ``notify_*`` queue a small ``appointment_email`` outbox message
(appointment, which mail, token, language, state) in the caller's transaction, and the handler
registered here renders templates, QR code and .ics and sends when the outbox dispatches it. So the
booking transaction, which holds the capacity cells locked, does not wait for the rendering.
"""

from __future__ import annotations

import base64
import io
from collections.abc import Mapping
from typing import Any

import segno
from django.conf import settings
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from buergerbuero.core.handlers import deliver_email
from buergerbuero.core.links import absolute_url
from buergerbuero.core.outbox import enqueue, register_handler
from buergerbuero.core.tenancy import scopes_disabled

from .ics import appointment_ics
from .models import Appointment

__all__ = [
    "EMAIL_KIND",
    "manage_path",
    "manage_url",
    "notify_booked",
    "notify_cancelled",
    "notify_moved",
    "qr_png",
    "qr_svg",
    "register",
    "send_appointment_email",
]

EMAIL_KIND = "appointment_email"  # the outbox kind: rendered and sent by ``send_appointment_email``
WITH_QR = {"booked", "moved"}  # mails that carry the booking code as a QR code


def manage_path(appointment: Appointment, token: str) -> str:
    return reverse("appointments:manage", kwargs={"public_id": appointment.public_id, "token": token})


def manage_url(appointment: Appointment, token: str) -> str:
    """The absolute manage link (``SITE_URL`` + path), for e-mails and calendar files."""
    return absolute_url(manage_path(appointment, token))


def qr_png(data: str) -> bytes:
    buffer = io.BytesIO()
    segno.make(data, error="m").save(buffer, kind="png", scale=6, border=2)
    return buffer.getvalue()


def qr_svg(data: str, *, title: str) -> str:
    """An inline ``<svg>`` (no XML declaration) with ``title`` for screen readers."""
    buffer = io.BytesIO()
    segno.make(data, error="m").save(
        buffer, kind="svg", scale=5, border=2, xmldecl=False, svgns=True, title=title, svgclass="qr", lineclass=None
    )
    return buffer.getvalue().decode()


def notify_booked(appointment: Appointment, *, token: str | None) -> None:
    """Queue the confirmation (with the manage link when ``token`` is known). A booking that replaces
    a moved one is announced as moved."""
    if appointment.moved_from_id is not None:
        notify_moved(appointment, token=token)
        return
    _queue(appointment, "booked", token=token)


def notify_moved(appointment: Appointment, *, token: str | None) -> None:
    """Queue the message that the appointment now is at its new time (``appointment`` is the new one)."""
    _queue(appointment, "moved", token=token)


def notify_cancelled(appointment: Appointment, *, by_staff: bool) -> None:
    _queue(appointment, "cancelled", token=None, extra={"by_staff": by_staff})


def _language(appointment: Appointment) -> str:
    """The citizen's language when they booked themselves, else the site's default (German)."""
    active = translation.get_language() or settings.LANGUAGE_CODE
    available = {code for code, _name in settings.LANGUAGES}
    if appointment.booked_by_id is None and active in available:
        return active
    return str(settings.LANGUAGE_CODE)


def _queue(appointment: Appointment, kind: str, *, token: str | None, extra: dict[str, Any] | None = None) -> None:
    """Queue ``kind`` for rendering at dispatch time; the language and state are those of now."""
    if not appointment.email:
        return
    payload = {
        "appointment": appointment.pk,
        "mail": kind,
        "token": token or "",
        "language": _language(appointment),
        "state": appointment.state,  # the .ics says CANCELLED only if it was when the mail was queued
        "extra": extra or {},
    }
    enqueue(EMAIL_KIND, payload, dedupe_key=f"appointment-{kind}:{appointment.pk}")


def send_appointment_email(payload: Mapping[str, Any]) -> None:
    """The outbox handler of ``appointment_email``: render the mail of ``payload`` and send it."""
    with scopes_disabled():
        appointment = (
            Appointment.objects.select_related("office__municipality")
            .prefetch_related("services")
            .filter(pk=payload["appointment"])
            .first()
        )
    if appointment is None or not appointment.email:
        return  # nothing left to tell anyone about
    appointment.state = payload["state"]
    kind = str(payload["mail"])
    with translation.override(payload["language"]):
        deliver_email(**_rendered(appointment, kind, token=payload["token"], extra=payload["extra"]))


def _rendered(appointment: Appointment, kind: str, *, token: str, extra: Mapping[str, Any]) -> dict[str, Any]:
    """The ``deliver_email`` arguments of mail ``kind`` (booked, moved, cancelled) in the active language."""
    link = manage_url(appointment, token) if token else ""
    services = list(appointment.services.all())
    office = appointment.office
    qr = qr_png(appointment.code) if kind in WITH_QR else b""
    context = {
        "appointment": appointment,
        "office": office,
        "services": services,
        "starts_at": timezone.localtime(appointment.starts_at),
        "ends_at": timezone.localtime(appointment.ends_at),
        "manage_url": link,
        "book_again_url": absolute_url(reverse("appointments:start")),
        "checklists": [(service, checklist_url(office.municipality.slug, service.slug)) for service in services],
        "qr_data_uri": "data:image/png;base64," + base64.b64encode(qr).decode() if qr else "",
        **extra,
    }
    subjects = {
        "booked": _("Your appointment %(code)s on %(day)s"),
        "moved": _("Your appointment %(code)s has been moved to %(day)s"),
        "cancelled": _("Appointment %(code)s cancelled"),
    }
    subject = subjects[kind] % {"code": appointment.code, "day": f"{context['starts_at']:%d.%m.%Y %H:%M}"}
    attachments = [
        (
            f"termin-{appointment.code}.ics",
            "text/calendar; method=PUBLISH; charset=utf-8",
            appointment_ics(appointment, manage_url=link, stamp=timezone.now()),
        )
    ]
    if qr:
        attachments.append((f"termin-{appointment.code}.png", "image/png", qr))
    return {
        "to": [appointment.email],
        "subject": subject,
        "body": render_to_string(f"appointments/email/{kind}.txt", context),
        "html": render_to_string(f"appointments/email/{kind}.html", context),
        "attachments": attachments,
    }


def checklist_url(municipality_slug: str, service_slug: str) -> str:
    """The absolute link to a service's document checklist in the office's town, for e-mails."""
    return absolute_url(
        reverse(
            "catalog:municipality:checklist",
            kwargs={"municipality_slug": municipality_slug, "service_slug": service_slug},
        )
    )


def register() -> None:
    """Register the outbox handler (``AppointmentsConfig.ready``)."""
    register_handler(EMAIL_KIND, send_appointment_email)
