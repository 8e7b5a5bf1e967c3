"""Citizen pages of the waitlist: register, see and withdraw an entry, answer an offer.

``/termine/warteliste/?buero=<office public_id>&leistungen=a,b`` registers (no account; proof of work
and a rate limit in front). The withdraw link carries the entry's token (stored hashed), the offer
link a signed value naming the entry and the held time. GET never changes anything (mail scanners
open links); every change is a POST. The rules live in ``services.waitlist``.
"""

from __future__ import annotations

import uuid
from datetime import date, timedelta
from typing import Any

from django import forms
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_http_methods

from buergerbuero.catalog.models import Service
from buergerbuero.core.tenancy import scopes_disabled
from buergerbuero.tenants.constants import Weekday
from buergerbuero.tenants.models import Office

from .. import fairness, selectors
from ..constants import WaitlistState
from ..services import waitlist

MAX_DAYS_AHEAD = 366
WEEKDAY_CHOICES = [(str(day.value), day.label) for day in Weekday if day != Weekday.SUNDAY]


class DescribedForm(forms.Form):
    """Links each widget to its help and error text (``aria-describedby``) and marks invalid ones,
    matching the ids in ``appointments/waitlist/_field.html``."""

    def full_clean(self) -> None:
        super().full_clean()
        for name, field in self.fields.items():
            auto_id = self[name].auto_id
            ids = [f"{auto_id}_help"] if field.help_text else []
            if name in self.errors:
                ids.append(f"{auto_id}_error")
                field.widget.attrs["aria-invalid"] = "true"
            if ids:
                field.widget.attrs["aria-describedby"] = " ".join(ids)


class WaitlistForm(DescribedForm):
    weekdays = forms.MultipleChoiceField(
        label=_("Weekdays"),
        choices=WEEKDAY_CHOICES,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("Leave all unticked if any weekday suits you."),
    )
    earliest_time = forms.TimeField(
        label=_("Not before"), required=False, widget=forms.TimeInput(attrs={"type": "time"}, format="%H:%M")
    )
    latest_time = forms.TimeField(
        label=_("Not after"),
        required=False,
        widget=forms.TimeInput(attrs={"type": "time"}, format="%H:%M"),
        help_text=_("The latest start time that suits you."),
    )
    from_date = forms.DateField(
        label=_("From"), required=False, widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
    )
    until_date = forms.DateField(
        label=_("Until"),
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        help_text=_("Your entry ends after this day."),
    )
    name = forms.CharField(label=_("Name"), max_length=200, widget=forms.TextInput(attrs={"autocomplete": "name"}))
    email = forms.EmailField(
        label=_("E-mail"),
        help_text=_("Offers are sent to this address."),
        widget=forms.EmailInput(attrs={"autocomplete": "email"}),
    )
    altcha = forms.CharField(required=False, widget=forms.HiddenInput)

    def __init__(self, *args: Any, today: date, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.today = today

    def clean_until_date(self) -> date:
        until: date = self.cleaned_data["until_date"]
        if until < self.today:
            raise forms.ValidationError(_("Please choose a day that has not passed."))
        if until > self.today + timedelta(days=MAX_DAYS_AHEAD):
            raise forms.ValidationError(_("Please choose a day within the next year."))
        return until

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        earliest, latest = data.get("earliest_time"), data.get("latest_time")
        if earliest and latest and latest < earliest:
            self.add_error("latest_time", _("Please choose a time after “not before”."))
        start, until = data.get("from_date"), data.get("until_date")
        if start and until and until < start:
            self.add_error("until_date", _("Please choose a day on or after “from”."))
        return data


def _office_and_services(request: HttpRequest) -> tuple[Office, list[Service]]:
    """The office (``?buero=<public_id>``) and services (``?leistungen=a,b``) of the page; 404 if unknown."""
    slugs = sorted({slug.strip() for slug in request.GET.get("leistungen", "").split(",") if slug.strip()})
    with scopes_disabled():
        office = (
            Office.objects.select_related("municipality")
            .filter(public_id=_uuid_or_none(request.GET.get("buero", "")), booking_policy__is_active=True)
            .first()
        )
    services = selectors.services_by_slug(slugs)
    offered = office is not None and bool(selectors.offer_for(office, services).groups)
    if office is None or not offered or not services or len(services) != len(slugs):
        raise Http404("no such office or services")
    return office, services


def _uuid_or_none(raw: str) -> uuid.UUID:
    """The UUID in ``raw``, or the nil UUID (which no office has) for a malformed value."""
    try:
        return uuid.UUID(raw)
    except ValueError:
        return uuid.UUID(int=0)


@require_http_methods(["GET", "POST"])
def register(request: HttpRequest) -> HttpResponse:
    office, services = _office_and_services(request)
    today = timezone.localdate()
    error = ""
    if request.method == "POST":
        form = WaitlistForm(request.POST, today=today)
        try:
            fairness.check_rate("waitlist", fairness.client_key(request))
        except fairness.RateLimited as limited:
            return rate_limited_response(request, limited)
        if form.is_valid():
            if not fairness.verify_solution(form.cleaned_data["altcha"] or ""):
                form.add_error(None, str(fairness.POW_REQUIRED_MESSAGE))
            else:
                data = form.cleaned_data
                try:
                    registered = waitlist.register(
                        office,
                        services,
                        name=data["name"],
                        email=data["email"],
                        weekdays=[int(day) for day in data["weekdays"]],
                        earliest_time=data["earliest_time"],
                        latest_time=data["latest_time"],
                        from_date=data["from_date"],
                        until_date=data["until_date"],
                    )
                except waitlist.WaitlistRefused as refused:
                    error = refused.message
                else:
                    return redirect(
                        "appointments:waitlist_entry", public_id=registered.entry.public_id, token=registered.token
                    )
    else:
        form = WaitlistForm(today=today, initial={"until_date": today + timedelta(weeks=8)})
    status = 400 if request.method == "POST" else 200
    return render(
        request,
        "appointments/waitlist/register.html",
        {
            "office": office,
            "services": services,
            "form": form,
            "error": error,
            "altcha_challenge_json": fairness.challenge_json(),
        },
        status=status,
    )


@require_http_methods(["GET", "POST"])
def entry(request: HttpRequest, public_id: str, token: str) -> HttpResponse:
    found = waitlist.entry_by_token(str(public_id), token)
    if found is None:
        return render(request, "appointments/waitlist/invalid.html", status=404)
    if request.method == "POST" and request.POST.get("action") == "withdraw":
        waitlist.withdraw(found)
        return redirect("appointments:waitlist_entry", public_id=public_id, token=token)
    with scopes_disabled():
        services = list(found.services.order_by("slug"))
    return render(
        request,
        "appointments/waitlist/entry.html",
        {
            "entry": found,
            "office": found.office,
            "services": services,
            "weekdays": _weekday_names(found.weekdays),
            "is_active": found.state in (WaitlistState.WAITING, WaitlistState.OFFERED),
        },
    )


@require_http_methods(["GET", "POST"])
def offer(request: HttpRequest, token: str) -> HttpResponse:
    found = waitlist.entry_by_offer_token(token)
    if found is None:
        return render(request, "appointments/waitlist/invalid.html", status=404)
    entry, appointment = found
    error = ""
    if request.method == "POST":
        action = request.POST.get("action")
        try:
            if action == "accept":
                waitlist.accept_offer(entry, appointment)
            elif action == "decline":
                waitlist.decline_offer(entry, appointment)
            else:
                raise Http404("unknown action")
        except waitlist.WaitlistRefused as refused:
            error = refused.message
        else:
            return redirect("appointments:waitlist_offer", token=token)
    with scopes_disabled():
        entry.refresh_from_db()
        appointment.refresh_from_db()
        services = list(appointment.services.order_by("slug"))
    is_open = (
        entry.state == WaitlistState.OFFERED
        and entry.offered_id == appointment.pk
        and entry.offer_expires_at is not None
        and entry.offer_expires_at > timezone.now()
    )
    return render(
        request,
        "appointments/waitlist/offer.html",
        {
            "entry": entry,
            "appointment": appointment,
            "office": entry.office,
            "services": services,
            "starts_at": timezone.localtime(appointment.starts_at),
            "ends_at": timezone.localtime(appointment.ends_at),
            "is_open": is_open,
            "is_booked": entry.state == WaitlistState.BOOKED and entry.offered_id == appointment.pk,
            "error": error,
        },
        status=409 if error else 200,
    )


def _weekday_names(days: list[int]) -> list[str]:
    return [str(Weekday(int(day)).label) for day in sorted(days)]


def rate_limited_response(request: HttpRequest, limited: fairness.RateLimited) -> HttpResponse:
    response = render(
        request,
        "appointments/waitlist/rate_limited.html",
        {"retry_after": limited.retry_after, "retry_at": timezone.localtime() + timedelta(seconds=limited.retry_after)},
        status=429,
    )
    response["Retry-After"] = str(limited.retry_after)
    return response
