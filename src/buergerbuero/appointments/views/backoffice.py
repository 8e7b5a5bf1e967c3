"""Staff pages of appointments under ``/backoffice/<municipality>/termine/``.

Every view is guarded by ``staff_view``: clerks, team leads and municipality admins (and the Kreis
admin) of the municipality may see the day and week views, book for a caller, check in, mark
no-shows, cancel and move; changing an office's capacity needs a team lead or municipality admin.
Staff of another municipality get a 404. Writes go through the services (``services.staff``,
``services.booking``, ``services.attendance``); the views only translate forms and outcomes.
"""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

from django.contrib import messages
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods

from buergerbuero.accounts.constants import Role
from buergerbuero.accounts.permissions import StaffRequest, roles_allow, staff_view
from buergerbuero.accounts.selectors import staff_roles_in
from buergerbuero.tenants.models import ClosingDay, Municipality, Office

from .. import selectors_backoffice as reads
from ..constants import AppointmentState
from ..forms_backoffice import (
    CallerForm,
    CancelForm,
    ClosingDayForm,
    DayPickerForm,
    GroupForm,
    PolicyForm,
    SlotSearchForm,
    TimeChoiceForm,
)
from ..models import Appointment, ServiceGroup
from ..selectors import FreeSlot
from ..services import attendance, booking, staff

#: Who works with appointments (a Kreis admin always may).
STAFF_ROLES = (Role.CLERK, Role.TEAM_LEAD, Role.MUNICIPALITY_ADMIN)
#: Who changes an office's capacity.
CAPACITY_ROLES = (Role.TEAM_LEAD, Role.MUNICIPALITY_ADMIN)


def _context(request: StaffRequest, municipality: Municipality, **extra: Any) -> dict[str, Any]:
    held = staff_roles_in(request.user, municipality)
    return {
        "municipality": municipality,
        "can_administer": roles_allow(held, (Role.MUNICIPALITY_ADMIN,)),
        "can_change_capacity": roles_allow(held, CAPACITY_ROLES),
        "today": _today(),
        "this_week": _week_key(_today()),
        **extra,
    }


def _office(municipality: Municipality, slug: str) -> Office:
    office = reads.office_of(municipality, slug)
    if office is None:
        raise Http404
    return office


def _appointment(office: Office, code: str) -> Appointment:
    appointment = reads.appointment_at(office, code)
    if appointment is None:
        raise Http404
    return appointment


def _parse_day(text: str) -> dt.date:
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise Http404 from None


def _parse_week(text: str) -> dt.date:
    """The Monday of ``2026-W47`` or of the week containing ``2026-11-17``."""
    try:
        if "-W" in text:
            year, week = text.split("-W")
            return dt.date.fromisocalendar(int(year), int(week), 1)
        day = dt.date.fromisoformat(text)
    except ValueError:
        raise Http404 from None
    return day - dt.timedelta(days=day.weekday())


def _week_key(day: dt.date) -> str:
    year, week, _weekday = day.isocalendar()
    return f"{year}-W{week:02d}"


def _today() -> dt.date:
    return timezone.localdate()


def _day_url(office: Office, day: dt.date) -> str:
    return reverse(
        "appointments_backoffice:day",
        kwargs={"municipality_slug": office.municipality.slug, "office_slug": office.slug, "day": day.isoformat()},
    )


def _appointment_url(appointment: Appointment, office: Office) -> str:
    return reverse(
        "appointments_backoffice:appointment",
        kwargs={"municipality_slug": office.municipality.slug, "office_slug": office.slug, "code": appointment.code},
    )


# -- overview, day and week ---------------------------------------------------------------------------


@never_cache
@staff_view(roles=STAFF_ROLES)
@require_http_methods(["GET"])
def index(request: StaffRequest, municipality: Municipality) -> HttpResponse:
    """The municipality's offices; with ``?standort=…&tag=…`` (the day picker) it opens that day."""
    offices = reads.offices_of(municipality)
    if "standort" in request.GET:
        picker = DayPickerForm(request.GET, offices=offices)
        if picker.is_valid():
            office = _office(municipality, picker.cleaned_data["standort"])
            return redirect(_day_url(office, picker.cleaned_data["tag"]))
    return render(
        request,
        "appointments/backoffice/index.html",
        _context(request, municipality, offices=offices),
    )


@never_cache
@staff_view(roles=STAFF_ROLES)
@require_http_methods(["GET"])
def day(request: StaffRequest, municipality: Municipality, office_slug: str, day: str) -> HttpResponse:
    office = _office(municipality, office_slug)
    date = _parse_day(day)
    offices = reads.offices_of(municipality)
    picker = DayPickerForm(initial={"standort": office.slug, "tag": date}, offices=offices)
    context = _context(
        request,
        municipality,
        office=office,
        view=reads.day_view(office, date),
        picker=picker,
        previous_day=date - dt.timedelta(days=1),
        next_day=date + dt.timedelta(days=1),
        week=_week_key(date),
        states=AppointmentState,
    )
    return render(request, "appointments/backoffice/day.html", context)


@never_cache
@staff_view(roles=STAFF_ROLES)
@require_http_methods(["GET"])
def week(request: StaffRequest, municipality: Municipality, office_slug: str, week: str) -> HttpResponse:
    office = _office(municipality, office_slug)
    monday = _parse_week(week)
    context = _context(
        request,
        municipality,
        office=office,
        monday=monday,
        sunday=monday + dt.timedelta(days=6),
        days=reads.week_view(office, monday),
        week=_week_key(monday),
        previous_week=_week_key(monday - dt.timedelta(days=7)),
        next_week=_week_key(monday + dt.timedelta(days=7)),
    )
    return render(request, "appointments/backoffice/week.html", context)


# -- booking for a caller -----------------------------------------------------------------------------


@never_cache
@staff_view(roles=STAFF_ROLES)
@require_http_methods(["GET", "POST"])
def book(request: StaffRequest, municipality: Municipality, office_slug: str) -> HttpResponse:
    """Book for someone on the phone: services and day (GET), then a free time and the caller (POST)."""
    office = _office(municipality, office_slug)
    services = reads.office_services(office)
    data = request.POST if request.method == "POST" else (request.GET if "tag" in request.GET else None)
    search = SlotSearchForm(data, services=services, initial={"tag": _today() + dt.timedelta(days=1)})
    slots: list[FreeSlot] = []
    caller = None
    status = 200
    if search.is_valid():
        slots = reads.staff_free_slots(
            office,
            search.chosen_services(),
            search.cleaned_data["tag"],
            now=timezone.now(),
            ignore_window=search.cleaned_data["ausserhalb"],
        )
        caller = CallerForm(
            request.POST if request.method == "POST" else None,
            slots=slots,
            initial={"anfrage": uuid.uuid4().hex},
        )
        if request.method == "POST" and caller.is_valid():
            try:
                reservation = staff.book_for_caller(
                    office,
                    search.chosen_services(),
                    caller.chosen_start(),
                    actor=request.user,
                    name=caller.cleaned_data["name"],
                    email=caller.cleaned_data["email"],
                    phone=caller.cleaned_data["phone"],
                    needs_accessibility=caller.cleaned_data["needs_accessibility"],
                    note=caller.cleaned_data["note"],
                    ignore_window=search.cleaned_data["ausserhalb"],
                    idempotency_key=caller.cleaned_data["anfrage"] or None,
                )
            except booking.BookingError as error:
                caller.add_error(None, error.message)
                status = 409
            else:
                url = _appointment_url(reservation.appointment, office)
                return redirect(f"{url}?gebucht=1")
        elif request.method == "POST":
            status = 400
    elif request.method == "POST":
        status = 400
    context = _context(request, municipality, office=office, search=search, slots=slots, caller=caller)
    return render(request, "appointments/backoffice/book.html", context, status=status)


# -- one appointment ----------------------------------------------------------------------------------


@never_cache
@staff_view(roles=STAFF_ROLES)
@require_http_methods(["GET", "POST"])
def appointment(request: StaffRequest, municipality: Municipality, office_slug: str, code: str) -> HttpResponse:
    """An appointment with its actions: check in, no-show (POST from here or the day view), cancel."""
    office = _office(municipality, office_slug)
    found = _appointment(office, code)
    cancel_form = CancelForm()
    status = 200
    if request.method == "POST":
        action = request.POST.get("action")
        back = _safe_next(request) or _appointment_url(found, office)
        try:
            if action == "check_in":
                done = staff.check_in(found, actor=request.user)
                messages.success(request, _check_in_message(done))
                return redirect(back)
            if action == "no_show":
                attendance.mark_no_show(found, actor=request.user, now=timezone.now())
                messages.success(request, _("%(code)s is marked as not come.") % {"code": found.code})
                return redirect(back)
            if action == "cancel":
                cancel_form = CancelForm(request.POST)
                if cancel_form.is_valid():
                    booking.cancel(found, actor=request.user, reason=cancel_form.cleaned_data["grund"])
                    messages.success(request, _("%(code)s is cancelled.") % {"code": found.code})
                    return redirect(_day_url(office, timezone.localtime(found.starts_at).date()))
                status = 400
            else:
                raise Http404
        except booking.BookingError as error:
            messages.error(request, error.message)
            return redirect(back)
    context = _context(
        request,
        municipality,
        office=office,
        appointment=found,
        cancel_form=cancel_form,
        just_booked=request.GET.get("gebucht") == "1",
        day=timezone.localtime(found.starts_at).date(),
        states=AppointmentState,
    )
    return render(request, "appointments/backoffice/appointment.html", context, status=status)


def _check_in_message(done: staff.CheckIn) -> str:
    code = done.appointment.code
    if done.repeated:
        return _("%(code)s was already checked in.") % {"code": code}
    if done.delta_minutes > 5:
        return _("%(code)s is checked in, %(minutes)s minutes late.") % {"code": code, "minutes": done.delta_minutes}
    if done.delta_minutes < -5:
        return _("%(code)s is checked in, %(minutes)s minutes early.") % {"code": code, "minutes": -done.delta_minutes}
    return _("%(code)s is checked in.") % {"code": code}


def _safe_next(request: StaffRequest) -> str | None:
    target = request.POST.get("next", "")
    if target and url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}):
        return target
    return None


@never_cache
@staff_view(roles=STAFF_ROLES)
@require_http_methods(["GET", "POST"])
def move(request: StaffRequest, municipality: Municipality, office_slug: str, code: str) -> HttpResponse:
    """Move an appointment to another free time (staff may leave the booking window); the person,
    services and contact stay, the citizen gets a new confirmation."""
    office = _office(municipality, office_slug)
    found = _appointment(office, code)
    services = list(found.services.all())
    data = request.POST if request.method == "POST" else (request.GET if "tag" in request.GET else None)
    day = timezone.localtime(found.starts_at).date()
    search = SlotSearchForm(
        data,
        services=services,
        initial={"tag": day, "leistung": [s.slug for s in services]},
    )
    search.fields["leistung"].required = False
    slots: list[FreeSlot] = []
    chooser = None
    status = 200
    if data is not None and search.is_valid():
        slots = reads.staff_free_slots(
            office,
            services,
            search.cleaned_data["tag"],
            now=timezone.now(),
            ignore_window=search.cleaned_data["ausserhalb"],
        )
        chooser = TimeChoiceForm(request.POST if request.method == "POST" else None, slots=slots)
        if request.method == "POST" and chooser.is_valid():
            try:
                moved = booking.move(found, chooser.chosen_start(), actor=request.user, ignore_window=True)
            except booking.BookingError as error:
                chooser.add_error(None, error.message)
                status = 409
            else:
                messages.success(
                    request,
                    _("%(old)s is moved; the new appointment is %(new)s.")
                    % {"old": found.code, "new": moved.appointment.code},
                )
                return redirect(_appointment_url(moved.appointment, office))
        elif request.method == "POST":
            status = 400
    elif request.method == "POST":
        status = 400
    context = _context(
        request, municipality, office=office, appointment=found, search=search, slots=slots, chooser=chooser
    )
    return render(request, "appointments/backoffice/move.html", context, status=status)


# -- capacity -----------------------------------------------------------------------------------------


@never_cache
@staff_view(roles=CAPACITY_ROLES)
@require_http_methods(["GET", "POST"])
def capacity(request: StaffRequest, municipality: Municipality, office_slug: str) -> HttpResponse:
    """The office's booking policy, service groups and closing days; each form saves on its own,
    releases the capacity again and lists the appointments the change affected."""
    office = _office(municipality, office_slug)
    today = _today()
    page = reads.capacity_page(office, today=today)
    which = request.POST.get("form", "") if request.method == "POST" else ""
    policy_form = PolicyForm(request.POST if which == "policy" else None, instance=page.policy, prefix="policy")
    group_forms = [
        GroupForm(request.POST if which == f"group-{g.pk}" else None, office=office, group=g, prefix=f"group-{g.pk}")
        for g in page.groups
    ]
    new_group = GroupForm(request.POST if which == "group-new" else None, office=office, prefix="group-new")
    closing_form = ClosingDayForm(request.POST if which == "closing" else None, today=today, prefix="closing")
    status = 200
    if request.method == "POST":
        try:
            change = _save_capacity(request, office, which, policy_form, group_forms, new_group, closing_form)
        except staff.CapacityError as error:
            messages.error(request, error.message)
            status = 409
        else:
            if change is not None:
                messages.success(request, _capacity_message(change))
                url = reverse(
                    "appointments_backoffice:capacity",
                    kwargs={"municipality_slug": municipality.slug, "office_slug": office.slug},
                )
                return redirect(f"{url}?aenderung={change.entry.pk}#affected" if change.affected else url)
            status = 400
            messages.error(request, _("Nothing was saved. Please correct the marked fields."))
    affected: list[Appointment] = []
    if request.GET.get("aenderung", "").isdigit():
        affected = reads.affected_appointments(office, int(request.GET["aenderung"]))
    context = _context(
        request,
        municipality,
        office=office,
        page=page,
        policy_form=policy_form,
        group_forms=group_forms,
        new_group=new_group,
        closing_form=closing_form,
        affected=affected,
    )
    return render(request, "appointments/backoffice/capacity.html", context, status=status)


def _save_capacity(
    request: StaffRequest,
    office: Office,
    which: str,
    policy_form: PolicyForm,
    group_forms: list[GroupForm],
    new_group: GroupForm,
    closing_form: ClosingDayForm,
) -> staff.CapacityChange | None:
    """Save the posted form; ``None`` when it is invalid (its errors are on the form)."""
    if which == "policy":
        if not policy_form.is_valid():
            return None
        return staff.update_booking_policy(
            office,
            actor=request.user,
            data=policy_form.policy_data(),
            expected_version=policy_form.cleaned_data["version"] or None,
        )
    if which.startswith("group-"):
        form = next((f for f in [*group_forms, new_group] if f.prefix == which), None)
        if form is None:
            raise Http404
        if not form.is_valid():
            return None
        group: ServiceGroup | None = form.group
        return staff.save_service_group(
            office,
            actor=request.user,
            group=group,
            name=form.cleaned_data["name"],
            counters=list(form.cleaned_data["counters"]),
            services=list(form.cleaned_data["services"]),
        )
    if which == "closing":
        if not closing_form.is_valid():
            return None
        return staff.add_closing_day(
            office,
            actor=request.user,
            day=closing_form.cleaned_data["date"],
            reason=closing_form.cleaned_data["reason"],
        )
    if which == "reopen":
        closing = ClosingDay.objects.filter(office=office, pk=request.POST.get("closing_day") or 0).first()
        if closing is None:
            raise Http404
        return staff.remove_closing_day(office, actor=request.user, closing=closing)
    raise Http404


def _capacity_message(change: staff.CapacityChange) -> str:
    if not change.affected:
        return _("Saved. No booked appointment is affected.")
    return _(
        "Saved. %(count)s booked appointments no longer fit; %(notified)s citizens were told by e-mail. "
        "Please move or cancel them below."
    ) % {"count": len(change.affected), "notified": change.notified}
