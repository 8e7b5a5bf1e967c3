"""Citizen booking: services → office → day → time (reserve) → contact (confirm) → confirmation.

The chosen services travel in the query string (``?leistung=a&leistung=b``), so every step is a plain
link that works without JavaScript and can be bookmarked. The only secret, the hold's manage token,
lives in the session (``SESSION_HOLDS``: public_id → token); the contact and confirmation pages are
shown only to the session that holds it. Booking rules stay in ``services.booking``.
"""

from __future__ import annotations

import calendar
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any
from urllib.parse import urlencode
from uuid import UUID

from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_safe

from buergerbuero.catalog.models import Service
from buergerbuero.core.tenancy import scopes_disabled
from buergerbuero.tenants.models import Office

from .. import fairness, selectors
from ..capacity_model import policy_of
from ..constants import AppointmentState
from ..forms import ContactForm, ServicesForm, TimeForm
from ..ics import appointment_ics
from ..models import Appointment
from ..notifications import manage_path, qr_svg
from ..services import booking

SESSION_HOLDS = "appointments_holds"
SESSION_CONTACT = "appointments_contact"


# -- shared pieces (also used by the manage pages) ---------------------------------------------


@dataclass(frozen=True)
class CalendarDay:
    day: date
    in_month: bool
    bookable: bool


@dataclass(frozen=True)
class Month:
    first: date
    weeks: list[list[CalendarDay]]


def month_tables(days: Sequence[date]) -> list[Month]:
    """The months from the first to the last of ``days`` as weeks (Monday first); pure."""
    if not days:
        return []
    bookable = set(days)
    months = []
    current = date(min(days).year, min(days).month, 1)
    last = max(days)
    while current <= last:
        weeks = [
            [CalendarDay(day=d, in_month=d.month == current.month, bookable=d in bookable) for d in week]
            for week in calendar.Calendar(firstweekday=0).monthdatescalendar(current.year, current.month)
        ]
        months.append(Month(first=current, weeks=weeks))
        current = date(current.year + (current.month == 12), current.month % 12 + 1, 1)
    return months


def parse_day(raw: str) -> date:
    try:
        return date.fromisoformat(raw)
    except ValueError:
        raise Http404("not a day") from None


def services_from(request: HttpRequest) -> list[Service]:
    """The bookable services named in ``?leistung=`` (unknown or unbookable slugs are dropped)."""
    slugs = set(request.GET.getlist("leistung"))
    if not slugs:
        return []
    return list(selectors.bookable_services().filter(slug__in=slugs).order_by("slug"))


def services_query(services: Sequence[Service]) -> str:
    return urlencode([("leistung", service.slug) for service in services])


def bookable_office(office_id: UUID) -> Office:
    with scopes_disabled():
        office = (
            Office.objects.select_related("municipality")
            .filter(public_id=office_id, booking_policy__is_active=True)
            .first()
        )
    if office is None:
        raise Http404("no such office")
    return office


def appointment_minutes(office: Office, services: Sequence[Service]) -> int:
    with scopes_disabled():
        return booking.groups_for(office, policy_of(office), [s.slug for s in services])[1]


def rate_limited(request: HttpRequest, error: fairness.RateLimited) -> HttpResponse:
    retry_at = timezone.localtime() + timedelta(seconds=error.retry_after)
    response = render(
        request,
        "appointments/booking/rate_limited.html",
        {"retry_after": error.retry_after, "retry_at": retry_at},
        status=429,
    )
    response["Retry-After"] = str(error.retry_after)
    return response


def remember_hold(request: HttpRequest, appointment: Appointment, token: str) -> None:
    holds = dict(request.session.get(SESSION_HOLDS, {}))
    holds[str(appointment.public_id)] = token
    request.session[SESSION_HOLDS] = dict(list(holds.items())[-10:])  # keep the session small


def held_token(request: HttpRequest, public_id: UUID) -> str | None:
    token = request.session.get(SESSION_HOLDS, {}).get(str(public_id))
    return str(token) if token else None


def session_appointment(request: HttpRequest, public_id: UUID) -> tuple[Appointment, str]:
    """The appointment this session reserved, and its token; 404 for any other."""
    token = held_token(request, public_id)
    appointment = selectors.appointment_by_token(str(public_id), token) if token else None
    if appointment is None or token is None:
        raise Http404("not this session's reservation")
    return appointment, token


def reserve_time(
    request: HttpRequest, office: Office, services: Sequence[Service], day: date
) -> tuple[HttpResponse | None, TimeForm, str, list[selectors.FreeSlot]]:
    """Handle the reserve POST: rate limit, proof of work, ``booking.reserve``. Returns a response on
    success (redirect) or on refusal (429), else the form (with errors), a message and alternatives."""
    form = TimeForm(request.POST, day=day)
    try:
        fairness.check_rate("reserve", fairness.client_key(request))
    except fairness.RateLimited as error:
        return rate_limited(request, error), form, "", []
    if not form.is_valid():
        return None, form, "", []
    if not fairness.verify_solution(form.cleaned_data["altcha"] or ""):
        form.add_error(None, str(fairness.POW_REQUIRED_MESSAGE))
        return None, form, "", []
    starts_at = form.cleaned_data["starts_at"]
    try:
        reservation = booking.reserve(office, services, starts_at)
    except booking.SlotTaken as error:
        return None, form, error.message, selectors.alternatives(office, services, starts_at)
    except booking.BookingError as error:
        form.add_error(None, error.message)
        return None, form, "", []
    remember_hold(request, reservation.appointment, reservation.token)
    return redirect("appointments:contact", public_id=reservation.appointment.public_id), form, "", []


# -- step 1: services ----------------------------------------------------------------------------


@require_safe
def choose_services(request: HttpRequest) -> HttpResponse:
    services = list(selectors.bookable_services())
    wanted = request.GET.getlist("leistung")
    if "weiter" in request.GET:
        form = ServicesForm(request.GET, services=services)
        if form.is_valid():
            return HttpResponseRedirect(f"{reverse('appointments:offices')}?{services_query(form.chosen())}")
    else:
        form = ServicesForm(initial={"leistung": wanted}, services=services)
    known = {service.slug for service in services}
    return render(
        request,
        "appointments/booking/services.html",
        {
            "form": form,
            "services": services,
            "chosen": set(request.GET.getlist("leistung")),
            "unbookable": [slug for slug in wanted if slug not in known],
        },
    )


# -- step 2: office ------------------------------------------------------------------------------


@require_safe
def choose_office(request: HttpRequest) -> HttpResponse:
    services = services_from(request)
    if not services:
        return redirect("appointments:start")
    options = selectors.earliest_in_kreis(services)
    earliest = next((option for option in options if option.earliest is not None), None)
    leistungen = ",".join(service.slug for service in services)
    rows = [
        {
            "option": option,
            "minutes": appointment_minutes(option.office, services),
            "waitlist_url": reverse("appointments:waitlist")
            + "?"
            + urlencode({"buero": option.office.public_id, "leistungen": leistungen}),
        }
        for option in options
    ]
    return render(
        request,
        "appointments/booking/offices.html",
        {
            "services": services,
            "query": services_query(services),
            "rows": rows,
            "earliest": earliest,
            "earliest_day": timezone.localtime(earliest.earliest.starts_at).date().isoformat()
            if earliest and earliest.earliest
            else "",
            "minutes": sum(service.counter_minutes for service in services),
        },
    )


# -- step 3: day ---------------------------------------------------------------------------------


@require_safe
def choose_day(request: HttpRequest, office_id: UUID) -> HttpResponse:
    office = bookable_office(office_id)
    services = services_from(request)
    if not services:
        return redirect("appointments:start")
    days = selectors.bookable_days(office, services)
    return render(
        request,
        "appointments/booking/days.html",
        {
            "office": office,
            "services": services,
            "query": services_query(services),
            "months": month_tables(days),
            "days": days,
            "minutes": appointment_minutes(office, services),
            "day_url": reverse("appointments:days", kwargs={"office_id": office.public_id}),
        },
    )


# -- step 4: time --------------------------------------------------------------------------------


@require_http_methods(["GET", "HEAD", "POST"])
def choose_time(request: HttpRequest, office_id: UUID, day: str) -> HttpResponse:
    office = bookable_office(office_id)
    chosen_day = parse_day(day)
    services = services_from(request)
    if not services:
        return redirect("appointments:start")
    alternatives: list[selectors.FreeSlot] = []
    form, taken, status = TimeForm(day=chosen_day), "", 200
    if request.method == "POST":
        response, form, taken, alternatives = reserve_time(request, office, services, chosen_day)
        if response is not None:
            return response
        status = 409 if taken else 400
    return render(
        request,
        "appointments/booking/times.html",
        {
            **times_context(request, office, services, chosen_day, form=form, taken=taken, alternatives=alternatives),
            "query": services_query(services),
            "altcha_challenge_json": fairness.challenge_json(),
        },
        status=status,
    )


def times_context(
    request: HttpRequest,
    office: Office,
    services: Sequence[Service],
    day: date,
    *,
    form: TimeForm,
    taken: str,
    alternatives: list[selectors.FreeSlot],
) -> dict[str, Any]:
    """What a page of free times shows, when booking and when moving: the day's times, the form and,
    after a time was just taken, the message and the alternatives."""
    return {
        "office": office,
        "services": services,
        "day": day,
        "slots": selectors.free_slots(office, services, day),
        "form": form,
        "taken": taken,
        "alternatives": alternatives,
        "minutes": appointment_minutes(office, services),
        "action": request.get_full_path(),
    }


# -- step 5: contact -----------------------------------------------------------------------------


@require_http_methods(["GET", "HEAD", "POST"])
def contact(request: HttpRequest, public_id: UUID) -> HttpResponse:
    appointment, token = session_appointment(request, public_id)
    if appointment.state == AppointmentState.BOOKED:
        return redirect("appointments:confirmed", public_id=appointment.public_id)
    services = list(appointment.services.all())
    error = ""
    if request.method == "POST":
        form = ContactForm(request.POST)
        if form.is_valid():
            request.session[SESSION_CONTACT] = dict(form.cleaned_data)
            user = request.user if request.user.is_authenticated and request.user.is_citizen else None
            try:
                with scopes_disabled():
                    booking.confirm(
                        appointment,
                        name=form.cleaned_data["name"],
                        email=form.cleaned_data["email"],
                        phone=form.cleaned_data["phone"],
                        note=form.cleaned_data["note"],
                        needs_accessibility=form.cleaned_data["needs_accessibility"],
                        citizen=user,
                        idempotency_key=str(appointment.public_id),
                        token=token,
                    )
            except booking.BookingError as refused:
                error = refused.message
                with scopes_disabled():
                    appointment.refresh_from_db()
            else:
                return redirect("appointments:confirmed", public_id=appointment.public_id)
    else:
        form = ContactForm(initial=_prefill(request))
    now = timezone.now()
    expired = appointment.state != AppointmentState.HELD or (
        appointment.hold_expires_at is not None and appointment.hold_expires_at <= now
    )
    day = timezone.localtime(appointment.starts_at).date()
    # An expired hold still sits in its cells until it is cleaned up, and reserving again reclaims it.
    same_time_free = expired and (
        appointment.state == AppointmentState.HELD
        or any(
            slot.starts_at == appointment.starts_at
            for slot in selectors.free_slots(appointment.office, services, day, now=now)
        )
    )
    query = services_query(services)
    return render(
        request,
        "appointments/booking/contact.html",
        {
            "appointment": appointment,
            "office": appointment.office,
            "services": services,
            "form": form,
            "error": error,
            "expired": expired,
            "same_time_free": same_time_free,
            "times_url": reverse("appointments:times", kwargs={"office_id": appointment.office.public_id, "day": day})
            + f"?{query}",
            "altcha_challenge_json": fairness.challenge_json() if same_time_free else "",
            "hold_expires_at": appointment.hold_expires_at,
        },
        status=200 if not error else 409,
    )


def _prefill(request: HttpRequest) -> dict[str, Any]:
    """What the citizen entered before in this session, else their account's details."""
    earlier = request.session.get(SESSION_CONTACT)
    if earlier:
        return dict(earlier)
    user = request.user
    if user.is_authenticated and user.is_citizen:
        return {"name": user.get_full_name(), "email": user.email, "phone": user.phone}
    return {}


# -- step 6: confirmation ------------------------------------------------------------------------


@require_safe
def confirmed(request: HttpRequest, public_id: UUID) -> HttpResponse:
    appointment, token = session_appointment(request, public_id)
    if appointment.state == AppointmentState.HELD:
        return redirect("appointments:contact", public_id=appointment.public_id)
    return render(request, "appointments/booking/confirmed.html", appointment_context(request, appointment, token))


@require_safe
def confirmed_ics(request: HttpRequest, public_id: UUID) -> HttpResponse:
    appointment, token = session_appointment(request, public_id)
    return ics_response(request, appointment, token)


def appointment_context(request: HttpRequest, appointment: Appointment, token: str) -> dict[str, Any]:
    """What the confirmation and the manage page show about an appointment."""
    office = appointment.office
    services = list(appointment.services.all())
    municipality = office.municipality
    map_url = (
        f"https://www.openstreetmap.org/?mlat={office.latitude}&mlon={office.longitude}#map=18/{office.latitude}/{office.longitude}"
        if office.latitude is not None and office.longitude is not None
        else "https://www.openstreetmap.org/search?" + urlencode({"query": office.address})
    )
    return {
        "appointment": appointment,
        "office": office,
        "services": services,
        "starts_at": timezone.localtime(appointment.starts_at),
        "ends_at": timezone.localtime(appointment.ends_at),
        "map_url": map_url,
        "checklists": [
            (
                service,
                reverse(
                    "catalog:municipality:checklist",
                    kwargs={"municipality_slug": municipality.slug, "service_slug": service.slug},
                ),
            )
            for service in services
        ],
        "manage_url": request.build_absolute_uri(manage_path(appointment, token)),
        "manage_path": manage_path(appointment, token),
        "qr_svg": qr_svg(
            appointment.code, title=_("QR code of the booking code %(code)s") % {"code": appointment.code}
        ),
        "is_booked": appointment.state == AppointmentState.BOOKED,
        "is_cancelled": appointment.state == AppointmentState.CANCELLED,
        "is_past": appointment.starts_at <= timezone.now(),
    }


def ics_response(request: HttpRequest, appointment: Appointment, token: str) -> HttpResponse:
    content = appointment_ics(
        appointment, manage_url=request.build_absolute_uri(manage_path(appointment, token)), stamp=timezone.now()
    )
    response = HttpResponse(content, content_type="text/calendar; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="termin-{appointment.code}.ics"'
    return response
