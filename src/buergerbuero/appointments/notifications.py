"""What citizens are told about their appointments, always through the outbox.

Each message is a text and an HTML e-mail rendered from ``templates/appointments/email/<kind>.txt|html``
with the appointment's .ics attached and, for bookings, a QR code of the booking code (PNG attachment,
and inline in the HTML). The manage link is absolute (``settings.SITE_URL``) and only in the message
when its token is known: the token is stored hashed and shown once.

The QR code carries the booking code, not the manage link: it is shown at the counter, and the
manage link is a secret that lets anyone who reads it cancel the appointment.

Messages are German unless the booking was made by the citizen in another language of the site
(the active language of their request); nothing new is stored for that.
"""

from __future__ import annotations

import base64
import io
from typing import Any

import segno
from django.conf import settings
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from buergerbuero.notifications.email import Attachment, queue_email

from .ics import appointment_ics
from .models import Appointment

__all__ = ["manage_path", "manage_url", "notify_booked", "notify_cancelled", "notify_moved", "qr_png", "qr_svg"]


def manage_path(appointment: Appointment, token: str) -> str:
    return reverse("appointments:manage", kwargs={"public_id": appointment.public_id, "token": token})


def manage_url(appointment: Appointment, token: str) -> str:
    """The absolute manage link (``SITE_URL`` + path), for e-mails and calendar files."""
    return str(getattr(settings, "SITE_URL", "")).rstrip("/") + manage_path(appointment, token)


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
    _send(appointment, "booked", token=token, with_qr=True)


def notify_moved(appointment: Appointment, *, token: str | None) -> None:
    """Queue the message that the appointment now is at its new time (``appointment`` is the new one)."""
    _send(appointment, "moved", token=token, with_qr=True)


def notify_cancelled(appointment: Appointment, *, by_staff: bool) -> None:
    _send(appointment, "cancelled", token=None, with_qr=False, extra={"by_staff": by_staff})


def _language(appointment: Appointment) -> str:
    """The citizen's language when they booked themselves, else the site's default (German)."""
    active = translation.get_language() or settings.LANGUAGE_CODE
    available = {code for code, _name in settings.LANGUAGES}
    if appointment.booked_by_id is None and active in available:
        return active
    return str(settings.LANGUAGE_CODE)


def _send(
    appointment: Appointment, kind: str, *, token: str | None, with_qr: bool, extra: dict[str, Any] | None = None
) -> None:
    if not appointment.email:
        return
    with translation.override(_language(appointment)):
        link = manage_url(appointment, token) if token else ""
        services = list(appointment.services.all())
        office = appointment.office
        qr = qr_png(appointment.code) if with_qr else b""
        context = {
            "appointment": appointment,
            "office": office,
            "services": services,
            "starts_at": timezone.localtime(appointment.starts_at),
            "ends_at": timezone.localtime(appointment.ends_at),
            "manage_url": link,
            "book_again_url": str(getattr(settings, "SITE_URL", "")).rstrip("/") + reverse("appointments:start"),
            "checklists": [(service, _absolute(_checklist_path(appointment, service.slug))) for service in services],
            "qr_data_uri": "data:image/png;base64," + base64.b64encode(qr).decode() if qr else "",
            **(extra or {}),
        }
        subjects = {
            "booked": _("Your appointment %(code)s on %(day)s"),
            "moved": _("Your appointment %(code)s has been moved to %(day)s"),
            "cancelled": _("Appointment %(code)s cancelled"),
        }
        subject = subjects[kind] % {"code": appointment.code, "day": f"{context['starts_at']:%d.%m.%Y %H:%M}"}
        attachments = [
            Attachment(
                filename=f"termin-{appointment.code}.ics",
                content_type="text/calendar; method=PUBLISH; charset=utf-8",
                content=appointment_ics(appointment, manage_url=link, stamp=timezone.now()),
            )
        ]
        if qr:
            attachments.append(
                Attachment(filename=f"termin-{appointment.code}.png", content_type="image/png", content=qr)
            )
        queue_email(
            [appointment.email],
            subject,
            render_to_string(f"appointments/email/{kind}.txt", context),
            html=render_to_string(f"appointments/email/{kind}.html", context),
            attachments=attachments,
            dedupe_key=f"appointment-{kind}:{appointment.pk}",
        )


def _checklist_path(appointment: Appointment, service_slug: str) -> str:
    return reverse(
        "catalog:municipality:checklist",
        kwargs={"municipality_slug": appointment.office.municipality.slug, "service_slug": service_slug},
    )


def _absolute(path: str) -> str:
    return str(getattr(settings, "SITE_URL", "")).rstrip("/") + path
