"""Citizen pages of the release lottery: a round's page (how it works, the entry form while it is
open, the counts after the draw) and an entry's page behind its withdraw link. The rules live in
``services.lottery``."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any, cast

from django import forms
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_http_methods

from buergerbuero.core.tenancy import scopes_disabled
from buergerbuero.tenants.constants import Weekday

from .. import fairness
from ..constants import LotteryEntryState, LotteryState
from ..models import LotteryRound
from ..services import lottery as lotteries
from .waitlist import DescribedForm, rate_limited_response


class LotteryForm(DescribedForm):
    name = forms.CharField(label=_("Name"), max_length=200, widget=forms.TextInput(attrs={"autocomplete": "name"}))
    email = forms.EmailField(
        label=_("E-mail"),
        help_text=_("One entry per e-mail address. The result is sent to this address."),
        widget=forms.EmailInput(attrs={"autocomplete": "email"}),
    )
    preferred_weekdays = forms.MultipleChoiceField(
        label=_("Preferred weekdays"),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("If you win, you get the earliest time on these days, else on any day of the round."),
    )
    altcha = forms.CharField(required=False, widget=forms.HiddenInput)

    def __init__(self, *args: Any, weekdays: list[int], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = cast(forms.MultipleChoiceField, self.fields["preferred_weekdays"])
        field.choices = [(str(day), Weekday(day).label) for day in weekdays]


def _round_days(lottery: LotteryRound) -> list[date]:
    days, day = [], lottery.slots_from
    while day <= lottery.slots_until:
        days.append(day)
        day += timedelta(days=1)
    return days


@require_http_methods(["GET", "POST"])
def round_page(request: HttpRequest, round_id: int) -> HttpResponse:
    with scopes_disabled():
        lottery = (
            LotteryRound.objects.select_related("office", "office__municipality")
            .exclude(state=LotteryState.CANCELLED)
            .filter(pk=round_id)
            .first()
        )
        if lottery is None:
            raise Http404("no such lottery")
        services = list(lottery.services.order_by("slug"))
        counts = lotteries.round_counts(lottery)
    now = timezone.now()
    weekdays = sorted({day.weekday() for day in _round_days(lottery)})
    accepting = lotteries.is_accepting_entries(lottery, now=now)
    error = ""
    form = LotteryForm(weekdays=weekdays)
    if request.method == "POST":
        if not accepting:
            error = str(_("This lottery does not take entries now."))
        else:
            try:
                fairness.check_rate("lottery", fairness.client_key(request))
            except fairness.RateLimited as limited:
                return rate_limited_response(request, limited)
            form = LotteryForm(request.POST, weekdays=weekdays)
            if form.is_valid():
                if not fairness.verify_solution(form.cleaned_data["altcha"] or ""):
                    form.add_error(None, str(fairness.POW_REQUIRED_MESSAGE))
                else:
                    try:
                        entered = lotteries.enter(
                            lottery,
                            name=form.cleaned_data["name"],
                            email=form.cleaned_data["email"],
                            preferred_weekdays=[int(day) for day in form.cleaned_data["preferred_weekdays"]],
                            now=now,
                        )
                    except lotteries.EntryRefused as refused:
                        error = refused.message
                    else:
                        return redirect("appointments:lottery_entry", token=entered.token)
    return render(
        request,
        "appointments/lottery/round.html",
        {
            "round": lottery,
            "office": lottery.office,
            "services": services,
            "counts": counts,
            "accepting": accepting,
            "not_yet_open": lottery.state == LotteryState.OPEN and now < lottery.opens_at,
            "is_drawn": lottery.state == LotteryState.DRAWN,
            "form": form,
            "error": error,
            "altcha_challenge_json": fairness.challenge_json() if accepting else "",
        },
        status=(409 if error else 400) if request.method == "POST" else 200,
    )


@require_http_methods(["GET", "POST"])
def entry_page(request: HttpRequest, token: str) -> HttpResponse:
    entry = lotteries.entry_by_token(token)
    if entry is None:
        return render(request, "appointments/waitlist/invalid.html", status=404)
    if request.method == "POST" and request.POST.get("action") == "withdraw":
        lotteries.withdraw(entry)
        return redirect("appointments:lottery_entry", token=token)
    with scopes_disabled():
        lottery = entry.round
        services = list(lottery.services.order_by("slug"))
        appointment = entry.appointment
    return render(
        request,
        "appointments/lottery/entry.html",
        {
            "entry": entry,
            "round": lottery,
            "office": lottery.office,
            "services": services,
            "appointment": appointment,
            "can_withdraw": entry.state == LotteryEntryState.ENTERED and lottery.state == LotteryState.OPEN,
            "weekdays": [str(Weekday(int(day)).label) for day in sorted(entry.preferred_weekdays or [])],
        },
    )
