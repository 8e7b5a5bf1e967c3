"""The manage link ``/termine/verwalten/<public_id>/<token>/``: no account needed, the token is the key.

Shows the appointment, its .ics, and lets the citizen cancel (after a confirmation step) or move it
to another time at the same office. Moving issues a new appointment with a new link, shown here and
mailed; the old link then shows the old appointment as cancelled.
"""

from __future__ import annotations

from datetime import date
from uuid import UUID

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_safe

from buergerbuero.core.tenancy import scopes_disabled

from .. import fairness, selectors
from ..constants import AppointmentState
from ..forms import TimeForm
from ..models import Appointment
from ..notifications import manage_path
from ..services import booking
from .booking import (
    appointment_context,
    appointment_minutes,
    ics_response,
    month_tables,
    parse_day,
    rate_limited,
    times_context,
)


def _not_found(request: HttpRequest) -> HttpResponse:
    return render(request, "appointments/manage/not_found.html", status=404)


def _changeable(appointment: Appointment) -> bool:
    return appointment.state == AppointmentState.BOOKED and appointment.starts_at > timezone.now()


@require_safe
def overview(request: HttpRequest, public_id: UUID, token: str) -> HttpResponse:
    appointment = selectors.appointment_by_token(str(public_id), token)
    if appointment is None:
        return _not_found(request)
    context = appointment_context(request, appointment, token)
    context["token"] = token
    context["changeable"] = _changeable(appointment)
    with scopes_disabled():
        context["moved_to"] = appointment.moved_to.filter(state=AppointmentState.BOOKED).first()
    return render(request, "appointments/manage/overview.html", context)


@require_safe
def calendar_file(request: HttpRequest, public_id: UUID, token: str) -> HttpResponse:
    appointment = selectors.appointment_by_token(str(public_id), token)
    if appointment is None:
        return _not_found(request)
    return ics_response(request, appointment, token)


@require_http_methods(["GET", "HEAD", "POST"])
def cancel(request: HttpRequest, public_id: UUID, token: str) -> HttpResponse:
    appointment = selectors.appointment_by_token(str(public_id), token)
    if appointment is None:
        return _not_found(request)
    if not _changeable(appointment):
        return redirect("appointments:manage", public_id=appointment.public_id, token=token)
    if request.method == "POST":
        with scopes_disabled():
            booking.cancel(appointment, reason="cancelled by the citizen")
        messages.success(request, _("Your appointment has been cancelled. You receive a confirmation by e-mail."))
        return redirect("appointments:manage", public_id=appointment.public_id, token=token)
    context = appointment_context(request, appointment, token)
    context["token"] = token
    return render(request, "appointments/manage/cancel.html", context)


@require_safe
def move_day(request: HttpRequest, public_id: UUID, token: str) -> HttpResponse:
    appointment = selectors.appointment_by_token(str(public_id), token)
    if appointment is None:
        return _not_found(request)
    if not _changeable(appointment):
        return redirect("appointments:manage", public_id=appointment.public_id, token=token)
    services = list(appointment.services.all())
    days = selectors.bookable_days(appointment.office, services)
    return render(
        request,
        "appointments/manage/move_day.html",
        {
            "appointment": appointment,
            "office": appointment.office,
            "services": services,
            "token": token,
            "months": month_tables(days),
            "days": days,
            "minutes": appointment_minutes(appointment.office, services),
        },
    )


@require_http_methods(["GET", "HEAD", "POST"])
def move_time(request: HttpRequest, public_id: UUID, token: str, day: str) -> HttpResponse:
    appointment = selectors.appointment_by_token(str(public_id), token)
    if appointment is None:
        return _not_found(request)
    if not _changeable(appointment):
        return redirect("appointments:manage", public_id=appointment.public_id, token=token)
    chosen_day: date = parse_day(day)
    services = list(appointment.services.all())
    office = appointment.office
    alternatives: list[selectors.FreeSlot] = []
    form, taken, status = TimeForm(day=chosen_day), "", 200
    if request.method == "POST":
        form = TimeForm(request.POST, day=chosen_day)
        try:
            fairness.check_rate("reserve", fairness.client_key(request))
        except fairness.RateLimited as error:
            return rate_limited(request, error)
        if form.is_valid():
            try:
                with scopes_disabled():
                    moved = booking.move(appointment, form.cleaned_data["starts_at"])
            except booking.SlotTaken as error:
                taken = error.message
                alternatives = selectors.alternatives(office, services, form.cleaned_data["starts_at"])
            except booking.BookingError as error:
                form.add_error(None, error.message)
            else:
                messages.success(
                    request,
                    _(
                        "Your appointment has been moved. This page has a new address; we sent it to you by e-mail. "
                        "The old link no longer changes anything."
                    ),
                )
                return redirect(manage_path(moved.appointment, moved.token))
        status = 409 if taken else 400
    return render(
        request,
        "appointments/manage/move_time.html",
        {
            **times_context(request, office, services, chosen_day, form=form, taken=taken, alternatives=alternatives),
            "appointment": appointment,
            "token": token,
            "back_url": reverse(
                "appointments:manage_move", kwargs={"public_id": appointment.public_id, "token": token}
            ),
        },
        status=status,
    )
