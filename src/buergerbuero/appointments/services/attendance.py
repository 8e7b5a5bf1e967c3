"""Attendance: the reminder with its "still coming?" answer, releasing unanswered appointments,
and no-shows marked by staff.

The reminder's links carry a signed token of the appointment's ``public_id`` (``django.core.signing``,
one salt per purpose) instead of the manage token, which is stored hashed only. A link is valid until
the appointment ends. Opening a link never changes anything (mail scanners fetch links); only the
page's button (a POST) confirms or cancels.

``send_due_reminders`` and ``release_unanswered`` are Kreis-wide periodic work: the caller (the task)
runs them under ``scopes_disabled()``. Every change is claimed with a conditional ``UPDATE`` so two
scheduler runs at once never send a reminder twice or release an appointment twice.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import urlencode

from django.core import signing
from django.db import transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from buergerbuero.accounts.models import User
from buergerbuero.core.audit import log_action
from buergerbuero.core.links import absolute_url
from buergerbuero.core.tenancy import scopes_disabled
from buergerbuero.notifications.email import queue_email

from ..constants import AppointmentState
from ..models import Appointment, BookingPolicy
from ..notifications import checklist_url
from .booking import BookingError, cancel, office_municipality, return_due_capacity

__all__ = [
    "CANCEL",
    "CONFIRM",
    "AttendanceError",
    "appointment_from_link",
    "attendance_link",
    "cancel_from_reminder",
    "confirm_attendance",
    "mark_no_show",
    "release_unanswered",
    "send_due_reminders",
    "undo_no_show",
]

CONFIRM = "confirm"
CANCEL = "cancel"
_SALTS = {
    CONFIRM: "buergerbuero.appointments.attendance.confirm",
    CANCEL: "buergerbuero.appointments.attendance.cancel",
}
_URL_NAMES = {CONFIRM: "appointments:attendance_confirm", CANCEL: "appointments:attendance_cancel"}


class AttendanceError(BookingError):
    """An attendance change that is not possible in the appointment's state (``code`` for the API)."""


# -- the reminder's links -----------------------------------------------------------------------


def attendance_link(appointment: Appointment, purpose: str) -> str:
    """The absolute URL of the reminder's "Yes, I'm coming" (``CONFIRM``) or "Cancel" (``CANCEL``) link."""
    token = signing.dumps(str(appointment.public_id), salt=_SALTS[purpose])
    return absolute_url(reverse(_URL_NAMES[purpose], kwargs={"token": token}))


def appointment_from_link(token: str, purpose: str, *, now: datetime) -> Appointment | None:
    """The appointment a reminder link names, or ``None`` when the token is forged, for another purpose,
    or the appointment has ended (the link's age limit is the appointment's end)."""
    try:
        public_id = signing.loads(token, salt=_SALTS[purpose])
    except signing.BadSignature:
        return None
    with scopes_disabled():  # the signed token is the key; no tenant to scope by
        appointment = (
            Appointment.objects.select_related("office", "office__municipality")
            .prefetch_related("services")
            .filter(public_id=public_id)
            .first()
        )
    if appointment is None or now >= appointment.ends_at:
        return None
    return appointment


# -- answers ------------------------------------------------------------------------------------


def confirm_attendance(appointment: Appointment, *, now: datetime) -> Appointment:
    """The citizen answered "Yes, I'm coming". Answering twice keeps the first answer."""
    with transaction.atomic():
        Appointment.objects.filter(
            pk=appointment.pk, state=AppointmentState.BOOKED, attendance_confirmed_at__isnull=True
        ).update(attendance_confirmed_at=now)
        locked = Appointment.objects.get(pk=appointment.pk)
        if locked.state != AppointmentState.BOOKED:
            raise AttendanceError("not_booked", gettext("This appointment is no longer booked."))
        return locked


def cancel_from_reminder(appointment: Appointment, *, now: datetime) -> Appointment:
    """The citizen cancelled from the reminder: the normal cancellation (return delay, e-mail)."""
    cancelled = cancel(appointment, reason="cancelled from the reminder", now=now)
    if cancelled.state != AppointmentState.CANCELLED:
        raise AttendanceError("not_booked", gettext("This appointment is no longer booked."))
    return cancelled


# -- periodic work ------------------------------------------------------------------------------


def send_due_reminders(now: datetime) -> int:
    """Queue the reminder of every booked appointment with an e-mail address that starts within its
    office's ``reminder_hours`` (0 = no reminders) and has had none. Returns how many were queued."""
    sent = 0
    for hours in _policy_values("reminder_hours"):
        if hours <= 0:
            continue
        due = Appointment.objects.filter(
            office__booking_policy__reminder_hours=hours,
            state=AppointmentState.BOOKED,
            reminder_sent_at__isnull=True,
            starts_at__gt=now,
            starts_at__lte=now + timedelta(hours=hours),
        ).exclude(email="")
        for pk in list(due.order_by("starts_at").values_list("pk", flat=True)):
            sent += _send_reminder(pk, now=now)
    return sent


def _send_reminder(pk: int, *, now: datetime) -> int:
    with transaction.atomic():
        claimed = Appointment.objects.filter(
            pk=pk, state=AppointmentState.BOOKED, reminder_sent_at__isnull=True
        ).update(reminder_sent_at=now)
        if not claimed:
            return 0  # answered, cancelled or reminded by a concurrent run meanwhile
        appointment = _with_details(pk)
        context = {
            **_mail_context(appointment),
            "confirm_url": attendance_link(appointment, CONFIRM),
            "cancel_url": attendance_link(appointment, CANCEL),
            "answer_until": _deadline(appointment),
        }
        _queue_mail(appointment, "reminder", context, dedupe_key=f"reminder:{appointment.pk}")
        return 1


def release_unanswered(now: datetime) -> int:
    """Release the appointments whose reminder was not answered by the office's deadline
    (``starts_at - confirm_deadline_hours``), at offices with ``release_unconfirmed``: state RELEASED,
    the person is told, and the freed time goes back to the pool and the waitlist at once.

    Only appointments whose reminder went out before the deadline are released (a late booking or a
    scheduler that was down never costs someone their appointment without a chance to answer), and
    only before they start. Returns how many were released.
    """
    released = 0
    for hours in _policy_values("confirm_deadline_hours", release_unconfirmed=True):
        deadline = timedelta(hours=hours)
        due = Appointment.objects.filter(
            office__booking_policy__release_unconfirmed=True,
            office__booking_policy__confirm_deadline_hours=hours,
            state=AppointmentState.BOOKED,
            reminder_sent_at__isnull=False,
            attendance_confirmed_at__isnull=True,
            starts_at__gt=now,
            starts_at__lte=now + deadline,
        )
        for appointment in list(due.only("pk", "starts_at", "reminder_sent_at")):
            if appointment.reminder_sent_at is not None and appointment.reminder_sent_at < (
                appointment.starts_at - deadline
            ):
                released += _release(appointment.pk, now=now)
    if released:
        return_due_capacity(now=now)
    return released


def _release(pk: int, *, now: datetime) -> int:
    with transaction.atomic():
        claimed = Appointment.objects.filter(
            pk=pk, state=AppointmentState.BOOKED, attendance_confirmed_at__isnull=True
        ).update(state=AppointmentState.RELEASED, returns_at=now)
        if not claimed:
            return 0  # the person answered (or cancelled) in the meantime
        appointment = _with_details(pk)
        log_action(
            actor=None,
            action="appointments.appointment.released",
            obj=appointment,
            municipality=appointment.office.municipality,
        )
        _queue_mail(
            appointment,
            "reminder_released",
            {**_mail_context(appointment), "book_again_url": _book_again_url(appointment)},
            dedupe_key=f"released:{appointment.pk}",
        )
        return 1


def _policy_values(field: str, **filters: Any) -> list[int]:
    """The distinct values of a policy field in use, so each query compares with a constant."""
    return sorted(set(BookingPolicy.objects.filter(**filters).values_list(field, flat=True)))


# -- no-shows (staff) ---------------------------------------------------------------------------


def mark_no_show(appointment: Appointment, *, actor: User | None, now: datetime) -> Appointment:
    """Staff record that the person did not come: only a booked appointment whose start has passed.

    No-shows in the last 180 days count against ``no_show_limit`` when the person books online again
    (``booking.cap_refusal``). Marking twice is a no-op.
    """
    with transaction.atomic():
        locked = Appointment.objects.select_for_update().get(pk=appointment.pk)
        if locked.state == AppointmentState.NO_SHOW:
            return locked
        if locked.state != AppointmentState.BOOKED:
            raise AttendanceError("not_booked", gettext("Only a booked appointment can be marked as a no-show."))
        if locked.starts_at > now:
            raise AttendanceError("not_started", gettext("The appointment has not started yet."))
        locked.state = AppointmentState.NO_SHOW
        locked.no_show_at = now
        locked.save(update_fields=["state", "no_show_at"])
        log_action(
            actor=actor,
            action="appointments.appointment.no_show",
            obj=locked,
            municipality=office_municipality(locked),
        )
        return locked


def undo_no_show(appointment: Appointment, *, actor: User | None, now: datetime) -> Appointment:
    """Take back a no-show marked by mistake, on the same day (Europe/Berlin) it was marked."""
    with transaction.atomic():
        locked = Appointment.objects.select_for_update().get(pk=appointment.pk)
        if locked.state == AppointmentState.BOOKED:
            return locked
        if locked.state != AppointmentState.NO_SHOW or locked.no_show_at is None:
            raise AttendanceError("not_no_show", gettext("This appointment is not marked as a no-show."))
        if timezone.localdate(locked.no_show_at) != timezone.localdate(now):
            raise AttendanceError("too_late", gettext("A no-show can only be taken back on the day it was marked."))
        locked.state = AppointmentState.BOOKED
        locked.no_show_at = None
        locked.save(update_fields=["state", "no_show_at"])
        log_action(
            actor=actor,
            action="appointments.appointment.no_show_undone",
            obj=locked,
            municipality=office_municipality(locked),
        )
        return locked


# -- e-mails ------------------------------------------------------------------------------------


def _with_details(pk: int) -> Appointment:
    return (
        Appointment.objects.select_related("office", "office__municipality", "office__booking_policy")
        .prefetch_related("services")
        .get(pk=pk)
    )


def _deadline(appointment: Appointment) -> datetime | None:
    """Until when the citizen must answer, when the office releases unanswered appointments."""
    policy = appointment.office.booking_policy
    if not policy.release_unconfirmed:
        return None
    return timezone.localtime(appointment.starts_at - timedelta(hours=policy.confirm_deadline_hours))


def _mail_context(appointment: Appointment) -> dict[str, Any]:
    office = appointment.office
    services = sorted(appointment.services.all(), key=lambda service: service.name_de)
    return {
        "appointment": appointment,
        "office": office,
        "starts_at": timezone.localtime(appointment.starts_at),
        "ends_at": timezone.localtime(appointment.ends_at),
        "services": services,
        "checklists": [(service, checklist_url(office.municipality.slug, service.slug)) for service in services],
    }


def _book_again_url(appointment: Appointment) -> str:
    slugs: Sequence[str] = sorted(service.slug for service in appointment.services.all())
    return absolute_url(reverse("appointments:start") + "?" + urlencode([("leistung", slug) for slug in slugs]))


_SUBJECTS = {
    "reminder": _("Reminder: your appointment %(code)s on %(date)s"),
    "reminder_released": _("Your appointment %(code)s was released"),
}


def _queue_mail(appointment: Appointment, template: str, context: dict[str, Any], *, dedupe_key: str) -> None:
    with translation.override("de"):
        subject = str(_SUBJECTS[template]) % {
            "code": appointment.code,
            "date": timezone.localtime(appointment.starts_at).strftime("%d.%m.%Y"),
        }
        body = render_to_string(f"appointments/email/{template}.txt", context)
        html = render_to_string(f"appointments/email/{template}.html", context)
    queue_email([appointment.email], subject, body, html=html, dedupe_key=dedupe_key)
