"""The pages behind the reminder's links. A GET only shows the appointment and one button, because
mail scanners open links; the button's POST confirms attendance or cancels."""

from __future__ import annotations

from contextlib import suppress

from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_http_methods

from ..constants import AppointmentState
from ..models import Appointment
from ..services.attendance import (
    CANCEL,
    CONFIRM,
    AttendanceError,
    appointment_from_link,
    cancel_from_reminder,
    confirm_attendance,
)


@require_http_methods(["GET", "HEAD", "POST"])
def confirm(request: HttpRequest, token: str) -> HttpResponse:
    now = timezone.now()
    appointment = appointment_from_link(token, CONFIRM, now=now)
    if appointment is None:
        return _invalid(request)
    if request.method == "POST":
        with suppress(AttendanceError):  # no longer booked: the page says what state it is in
            confirm_attendance(appointment, now=now)
        return redirect(request.path)
    return _page(request, "appointments/attendance/confirm.html", appointment)


@require_http_methods(["GET", "HEAD", "POST"])
def cancel(request: HttpRequest, token: str) -> HttpResponse:
    now = timezone.now()
    appointment = appointment_from_link(token, CANCEL, now=now)
    if appointment is None:
        return _invalid(request)
    if request.method == "POST":
        with suppress(AttendanceError):
            cancel_from_reminder(appointment, now=now)
        return redirect(request.path)
    return _page(request, "appointments/attendance/cancel.html", appointment)


def _page(request: HttpRequest, template: str, appointment: Appointment) -> HttpResponse:
    request.branding = appointment.office.municipality  # type: ignore[attr-defined]
    context = {
        "appointment": appointment,
        "office": appointment.office,
        "services": sorted(appointment.services.all(), key=lambda service: service.name_de),
        "starts_at": timezone.localtime(appointment.starts_at),
        "ends_at": timezone.localtime(appointment.ends_at),
        "is_booked": appointment.state == AppointmentState.BOOKED,
        "is_cancelled": appointment.state == AppointmentState.CANCELLED,
    }
    response = render(request, template, context)
    response["Cache-Control"] = "no-store"
    response["X-Robots-Tag"] = "noindex"
    return response


def _invalid(request: HttpRequest) -> HttpResponse:
    return render(request, "appointments/attendance/invalid.html", status=404)
