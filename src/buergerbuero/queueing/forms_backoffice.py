"""Forms of the queue back office: signing in to a counter, the counter's transfer and parked-ticket
choices, a ticket drawn by staff, the ticket stop and the office's queue settings.

Every counter action form carries the counter session and the ticket the clerk saw (``sitzung``,
``nummer``): the view refuses an action when the counter's ticket changed in between, so a button
pressed twice never skips a citizen.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from buergerbuero.appointments.models import ServiceGroup
from buergerbuero.catalog.models import Service
from buergerbuero.tenants.models import Counter

from .models import QueueSettings, Ticket
from .services.tickets import SETTINGS_FIELDS

__all__ = [
    "ACTIONS",
    "ActionForm",
    "DrawTicketForm",
    "ParkedChoiceForm",
    "QueueSettingsForm",
    "SignInForm",
    "TicketStopForm",
    "TransferForm",
]

#: The counter's actions, as posted in ``action``; those that act on the current ticket check ``nummer``.
ACTIONS = (
    "call_next",
    "recall",
    "start",
    "finish",
    "no_show",
    "park",
    "resume_parked",
    "transfer",
    "pause",
    "resume",
    "sign_out",
)


class _LineChoice(forms.ModelChoiceField):  # type: ignore[type-arg]
    def label_from_instance(self, obj: Any) -> str:
        return f"{obj.prefix} – {obj.name}"


class _LineChoices(forms.ModelMultipleChoiceField):  # type: ignore[type-arg]
    def label_from_instance(self, obj: Any) -> str:
        return f"{obj.prefix} – {obj.name}"


class _CounterChoice(forms.ModelChoiceField):  # type: ignore[type-arg]
    def label_from_instance(self, obj: Any) -> str:
        return str(obj.name)


class SignInForm(forms.Form):
    """Which counter, and which lines the clerk serves there."""

    schalter = _CounterChoice(label=_("Counter"), queryset=None, empty_label=None)
    linien = _LineChoices(label=_("Lines you serve"), queryset=None, widget=forms.CheckboxSelectMultiple)

    def __init__(self, *args: Any, counters: Sequence[Counter], groups: Sequence[ServiceGroup], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        counter_field: Any = self.fields["schalter"]
        counter_field.queryset = Counter.objects.filter(pk__in=[c.pk for c in counters])
        lines_field: Any = self.fields["linien"]
        lines_field.queryset = ServiceGroup.objects.filter(pk__in=[g.pk for g in groups])


class ActionForm(forms.Form):
    """One press of a counter button: the action, the session and the ticket the page showed."""

    action = forms.ChoiceField(choices=[(a, a) for a in ACTIONS])
    sitzung = forms.IntegerField(min_value=1)
    nummer = forms.IntegerField(min_value=1, required=False)


class TransferForm(forms.Form):
    """Send the current ticket to another line and/or counter of the office."""

    linie = _LineChoice(label=_("To line"), queryset=None, required=False, empty_label=_("same line"))
    ziel = _CounterChoice(label=_("To counter"), queryset=None, required=False, empty_label=_("any counter"))

    def __init__(self, *args: Any, counters: Sequence[Counter], groups: Sequence[ServiceGroup], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        line_field: Any = self.fields["linie"]
        line_field.queryset = ServiceGroup.objects.filter(pk__in=[g.pk for g in groups])
        counter_field: Any = self.fields["ziel"]
        counter_field.queryset = Counter.objects.filter(pk__in=[c.pk for c in counters])

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        if not cleaned.get("linie") and not cleaned.get("ziel"):
            raise forms.ValidationError(_("Choose a line or a counter."))
        return cleaned


class ParkedChoiceForm(forms.Form):
    """Which parked ticket to call back."""

    ticket: forms.ModelChoiceField[Ticket] = forms.ModelChoiceField(queryset=None)

    def __init__(self, *args: Any, parked: Sequence[Ticket], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field: Any = self.fields["ticket"]
        field.queryset = Ticket.objects.filter(pk__in=[t.pk for t in parked])


class DrawTicketForm(forms.Form):
    """A ticket drawn by staff for someone standing at the desk."""

    linie = _LineChoice(label=_("Line"), queryset=None, empty_label=None)
    leistung: forms.ModelChoiceField[Service] = forms.ModelChoiceField(
        label=_("Service"), queryset=None, required=False, empty_label=_("not known yet")
    )
    barrierefrei = forms.BooleanField(label=_("Needs step-free access or assistance"), required=False)

    def __init__(self, *args: Any, groups: Sequence[ServiceGroup], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._groups = list(groups)
        line_field: Any = self.fields["linie"]
        line_field.queryset = ServiceGroup.objects.filter(pk__in=[g.pk for g in self._groups])
        service_field: Any = self.fields["leistung"]
        service_field.queryset = Service.objects.filter(service_groups__in=self._groups).distinct().order_by("name_de")
        service_field.label_from_instance = lambda service: service.name_de

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        group, service = cleaned.get("linie"), cleaned.get("leistung")
        if group is not None and service is not None and not group.services.filter(pk=service.pk).exists():
            self.add_error("leistung", _("This service is not handled in the chosen line."))
        return cleaned


class TicketStopForm(forms.Form):
    """Stop issuing tickets for today, with the reason citizens see."""

    grund = forms.CharField(
        label=_("Reason shown to citizens"),
        max_length=200,
        required=False,
        help_text=_("For example: all counters are fully booked today."),
    )


class QueueSettingsForm(forms.ModelForm[QueueSettings]):
    """How the office runs its queue; saved through ``services.tickets.change_settings``."""

    class Meta:
        model = QueueSettings
        fields = SETTINGS_FIELDS
