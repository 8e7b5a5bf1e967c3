"""Forms of the staff back office for appointments: finding a day, booking for a caller, cancelling,
moving, and the capacity page (booking policy, service groups, closing days)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

from django import forms
from django.utils import formats, timezone
from django.utils.translation import gettext_lazy as _

from buergerbuero.catalog.models import Service
from buergerbuero.tenants.models import Counter, Office

from .models import BookingPolicy, ServiceGroup
from .selectors import FreeSlot
from .services.staff import POLICY_FIELDS, policy_version

__all__ = [
    "CallerForm",
    "CancelForm",
    "ClosingDayForm",
    "DayPickerForm",
    "GroupForm",
    "PolicyForm",
    "SlotSearchForm",
    "TimeChoiceForm",
]


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self, attrs: dict[str, Any] | None = None) -> None:
        super().__init__(attrs, format="%Y-%m-%d")


class DayPickerForm(forms.Form):
    """Open another office or day (GET)."""

    standort = forms.ChoiceField(label=_("Office"))
    tag = forms.DateField(label=_("Day"), widget=DateInput())

    def __init__(self, *args: Any, offices: Sequence[Office], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field: Any = self.fields["standort"]
        field.choices = [(office.slug, office.name) for office in offices]


class SlotSearchForm(forms.Form):
    """Which services on which day (booking for a caller: the first step, GET)."""

    leistung = forms.MultipleChoiceField(label=_("Services"), widget=forms.CheckboxSelectMultiple)
    tag = forms.DateField(label=_("Day"), widget=DateInput())
    ausserhalb = forms.BooleanField(
        label=_("Book outside the booking window"),
        required=False,
        help_text=_("Also times citizens cannot book online, e.g. later today."),
    )

    def __init__(self, *args: Any, services: Sequence[Service], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._services = {service.slug: service for service in services}
        field: Any = self.fields["leistung"]
        field.choices = [(service.slug, service.name_de) for service in services]

    def chosen_services(self) -> list[Service]:
        return [self._services[slug] for slug in self.cleaned_data["leistung"]]


class TimeChoiceForm(forms.Form):
    """One of the free times (moving; the time part of booking)."""

    beginn = forms.ChoiceField(label=_("Time"), widget=forms.RadioSelect)

    def __init__(self, *args: Any, slots: Sequence[FreeSlot], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._slots = {timezone.localtime(slot.starts_at).isoformat(): slot for slot in slots}
        field: Any = self.fields["beginn"]
        field.choices = [
            (key, formats.time_format(timezone.localtime(slot.starts_at), "H:i")) for key, slot in self._slots.items()
        ]

    def chosen_start(self) -> dt.datetime:
        return self._slots[self.cleaned_data["beginn"]].starts_at


class CallerForm(TimeChoiceForm):
    """The caller's details, with the free time chosen (POST)."""

    name = forms.CharField(label=_("Name"), max_length=200)
    email = forms.EmailField(
        label=_("E-mail"), required=False, help_text=_("Optional. Without it, no confirmation is sent.")
    )
    phone = forms.CharField(label=_("Phone"), max_length=50, required=False)
    needs_accessibility = forms.BooleanField(label=_("Needs step-free access or assistance"), required=False)
    note = forms.CharField(label=_("Note for the counter"), max_length=500, required=False)
    anfrage = forms.CharField(widget=forms.HiddenInput, required=False, max_length=64)


class CancelForm(forms.Form):
    grund = forms.CharField(
        label=_("Reason"), max_length=200, help_text=_("Sent to the citizen with the cancellation.")
    )


class PolicyForm(forms.ModelForm[BookingPolicy]):
    """The office's booking policy; ``version`` refuses to overwrite a change saved meanwhile."""

    version = forms.CharField(widget=forms.HiddenInput, required=False)

    class Meta:
        model = BookingPolicy
        fields = POLICY_FIELDS

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if self.instance.pk and not self.is_bound:
            self.initial["version"] = policy_version(self.instance)

    def clean_grid_minutes(self) -> int:
        value: int = self.cleaned_data["grid_minutes"]
        if value < 1 or 60 % value:
            raise forms.ValidationError(_("The slot grid must divide an hour: 1, 5, 10, 15, 20, 30 or 60 minutes."))
        return value

    def clean_walk_in_percent(self) -> int:
        value: int = self.cleaned_data["walk_in_percent"]
        if value > 100:
            raise forms.ValidationError(_("A share is at most 100 %."))
        return value

    def policy_data(self) -> dict[str, Any]:
        return {name: self.cleaned_data[name] for name in POLICY_FIELDS}


class GroupForm(forms.Form):
    """A service group: which counters serve which services."""

    name = forms.CharField(label=_("Name"), max_length=100)
    # The office's counters are set per form; the scoped manager cannot be read at import time.
    counters = forms.ModelMultipleChoiceField(
        label=_("Counters"), queryset=Counter._base_manager.none(), widget=forms.CheckboxSelectMultiple, required=False
    )
    services = forms.ModelMultipleChoiceField(
        label=_("Services"),
        queryset=Service.objects.none(),
        widget=forms.SelectMultiple(attrs={"size": 8}),
        help_text=_("Every counter of the group serves all of these."),
    )

    def __init__(self, *args: Any, office: Office, group: ServiceGroup | None = None, **kwargs: Any) -> None:
        if group is not None and "initial" not in kwargs:
            kwargs["initial"] = {
                "name": group.name,
                "counters": list(group.counters.all()),
                "services": list(group.services.all()),
            }
        super().__init__(*args, **kwargs)
        self.group = group
        counters: Any = self.fields["counters"]
        counters.queryset = Counter.objects.filter(office=office, is_active=True).order_by("name")
        services: Any = self.fields["services"]
        services.queryset = Service.objects.order_by("name_de")


class ClosingDayForm(forms.Form):
    date = forms.DateField(label=_("Date"), widget=DateInput())
    reason = forms.CharField(label=_("Reason"), max_length=200, required=False)

    def __init__(self, *args: Any, today: dt.date, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.today = today

    def clean_date(self) -> dt.date:
        value: dt.date = self.cleaned_data["date"]
        if value < self.today:
            raise forms.ValidationError(_("A closing day cannot lie in the past."))
        return value
