"""Forms of the citizen's side of the live queue: drawing a ticket remotely and choosing an alert."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, cast

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from buergerbuero.appointments.forms import AccessibleForm
from buergerbuero.appointments.models import ServiceGroup
from buergerbuero.notifications.sms import normalise_phone

from .services.tickets import AlertChoice

__all__ = ["AlertForm", "DrawForm"]

#: Lead times offered when drawing (the ticket page's alert form takes any number).
DRAW_ALERTS = (
    ("", _("No alert")),
    ("m:10", _("10 minutes before my turn")),
    ("m:20", _("20 minutes before my turn")),
    ("m:30", _("30 minutes before my turn")),
    ("p:3", _("When 3 people are ahead of me")),
    ("p:5", _("When 5 people are ahead of me")),
)
MAX_ALERT_MINUTES = 120
MAX_ALERT_POSITIONS = 50


class DrawForm(AccessibleForm):
    """The line to wait in, accessibility needs, an optional alert, and the proof of work."""

    line = forms.ChoiceField(
        label=_("What do you need?"),
        widget=forms.RadioSelect,
        error_messages={"required": _("Please choose what you need."), "invalid_choice": _("Please choose a line.")},
    )
    needs_accessibility = forms.BooleanField(
        label=_("I need step-free access or assistance"),
        required=False,
        help_text=_("You will be called with priority and the staff can help you."),
    )
    alert = forms.ChoiceField(label=_("Alert me"), choices=DRAW_ALERTS, required=False)
    altcha = forms.CharField(required=False, widget=forms.HiddenInput)

    def __init__(self, *args: Any, lines: Sequence[ServiceGroup], stopped: frozenset[str], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.lines = {line.key: line for line in lines if line.key not in stopped}
        field = cast(forms.ChoiceField, self.fields["line"])
        field.choices = [(line.key, line.name) for line in self.lines.values()]

    def group(self) -> ServiceGroup:
        return self.lines[self.cleaned_data["line"]]

    def alert_choice(self) -> AlertChoice | None:
        kind, _sep, number = (self.cleaned_data.get("alert") or "").partition(":")
        if kind == "m":
            return AlertChoice(minutes=int(number))
        if kind == "p":
            return AlertChoice(positions=int(number))
        return None


class AlertForm(AccessibleForm):
    """When and how the citizen wants to hear that their turn is near."""

    kind = forms.ChoiceField(
        label=_("Alert me"),
        widget=forms.RadioSelect,
        choices=[("minutes", _("minutes before my turn")), ("positions", _("when this many people are ahead"))],
        error_messages={"required": _("Please choose minutes or people ahead.")},
    )
    minutes = forms.IntegerField(
        label=_("Minutes before my turn"),
        required=False,
        min_value=1,
        max_value=MAX_ALERT_MINUTES,
        error_messages={
            "min_value": _("Please enter at least 1 minute."),
            "max_value": _("Please enter at most %(limit_value)s minutes."),
            "invalid": _("Please enter a whole number of minutes."),
        },
    )
    positions = forms.IntegerField(
        label=_("People ahead of me"),
        required=False,
        min_value=0,
        max_value=MAX_ALERT_POSITIONS,
        error_messages={
            "min_value": _("Please enter 0 or more people."),
            "max_value": _("Please enter at most %(limit_value)s people."),
            "invalid": _("Please enter a whole number of people."),
        },
    )
    email = forms.EmailField(
        label=_("E-mail (optional)"),
        required=False,
        error_messages={"invalid": _("Please enter a valid e-mail address, for example name@example.org.")},
    )
    phone = forms.CharField(
        label=_("Mobile number for a text message (optional)"),
        required=False,
        max_length=30,
        help_text=_("German mobile numbers only, for example 0151 23456789."),
    )

    def clean_phone(self) -> str:
        raw = self.cleaned_data.get("phone") or ""
        return normalise_phone(raw) if raw.strip() else ""

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        kind = data.get("kind")
        if kind == "minutes" and data.get("minutes") is None and "minutes" not in self.errors:
            self.add_error("minutes", ValidationError(_("Please enter how many minutes before your turn.")))
        if kind == "positions" and data.get("positions") is None and "positions" not in self.errors:
            self.add_error("positions", ValidationError(_("Please enter how many people may be ahead of you.")))
        return data

    def choice(self) -> AlertChoice:
        data = self.cleaned_data
        minutes = data["minutes"] if data["kind"] == "minutes" else None
        positions = data["positions"] if data["kind"] == "positions" else None
        return AlertChoice(minutes=minutes, positions=positions, email=data["email"] or "", phone=data["phone"] or "")
