"""What citizens are told about their appointments, always through the outbox."""

from __future__ import annotations

from django.utils import translation
from django.utils.translation import gettext as _

from buergerbuero.notifications.email import queue_email

from .models import Appointment


def notify_booked(appointment: Appointment, *, token: str | None) -> None:
    """Queue the confirmation (with the manage link when ``token`` is known)."""
    if not appointment.email:
        return
    with translation.override("de"):
        queue_email(
            [appointment.email],
            _("Your appointment %(code)s") % {"code": appointment.code},
            _("Your appointment %(code)s is booked.") % {"code": appointment.code},
            dedupe_key=f"appointment-booked:{appointment.pk}",
        )


def notify_cancelled(appointment: Appointment, *, by_staff: bool) -> None:
    if not appointment.email:
        return
    with translation.override("de"):
        queue_email(
            [appointment.email],
            _("Appointment %(code)s cancelled") % {"code": appointment.code},
            _("Your appointment %(code)s has been cancelled.") % {"code": appointment.code},
            dedupe_key=f"appointment-cancelled:{appointment.pk}",
        )
