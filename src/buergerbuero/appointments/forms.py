"""Forms of the citizen booking flow. They only check input; booking rules live in ``services.booking``."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime
from typing import Any, cast

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from buergerbuero.catalog.models import Service

__all__ = ["AccessibleForm", "ContactForm", "ServicesForm", "TimeForm"]


class AccessibleForm(forms.Form):
    """Links every widget to its help text and error (``aria-describedby``) and marks invalid ones
    (``aria-invalid``), matching the ids of ``appointments/booking/_field.html``."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._describe(set())

    def full_clean(self) -> None:
        super().full_clean()
        self._describe(set(self.errors))

    def _describe(self, errors: set[str]) -> None:
        for name, field in self.fields.items():
            auto_id = self[name].auto_id
            ids = [f"{auto_id}_help"] if field.help_text else []
            if name in errors:
                ids.append(f"{auto_id}_error")
                field.widget.attrs["aria-invalid"] = "true"
            if ids:
                field.widget.attrs["aria-describedby"] = " ".join(ids)


class ServicesForm(AccessibleForm):
    """Step 1: one or more services (``?leistung=a&leistung=b``)."""

    leistung = forms.MultipleChoiceField(
        label=_("Services"),
        widget=forms.CheckboxSelectMultiple,
        error_messages={"required": _("Please choose at least one service.")},
    )

    def __init__(self, *args: Any, services: Iterable[Service], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.services = {service.slug: service for service in services}
        cast(forms.MultipleChoiceField, self.fields["leistung"]).choices = [
            (slug, service.name) for slug, service in self.services.items()
        ]

    def chosen(self) -> list[Service]:
        return [self.services[slug] for slug in self.cleaned_data["leistung"]]


class TimeForm(AccessibleForm):
    """Step 4: the chosen start (an ISO datetime on ``day``) and the proof-of-work payload."""

    starts_at = forms.CharField(
        label=_("Time"), error_messages={"required": _("Please choose a time.")}, widget=forms.RadioSelect
    )
    altcha = forms.CharField(required=False, widget=forms.HiddenInput)

    def __init__(self, *args: Any, day: date, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.day = day

    def clean_starts_at(self) -> datetime:
        raw = self.cleaned_data["starts_at"]
        try:
            value = datetime.fromisoformat(raw)
        except ValueError:
            raise forms.ValidationError(_("Please choose one of the times shown.")) from None
        if timezone.is_naive(value):
            value = timezone.make_aware(value)
        if timezone.localtime(value).date() != self.day:
            raise forms.ValidationError(_("Please choose one of the times shown."))
        return value


class ContactForm(AccessibleForm):
    """Step 5: who comes. The e-mail address receives the confirmation and the manage link."""

    name = forms.CharField(
        label=_("Full name"),
        max_length=200,
        error_messages={"required": _("Please enter your name.")},
        widget=forms.TextInput(attrs={"autocomplete": "name"}),
    )
    email = forms.EmailField(
        label=_("E-mail address"),
        max_length=254,
        help_text=_("You receive the confirmation and a link to cancel or move the appointment."),
        error_messages={
            "required": _("Please enter your e-mail address."),
            "invalid": _("Please enter an e-mail address like name@example.org."),
        },
        widget=forms.EmailInput(attrs={"autocomplete": "email"}),
    )
    phone = forms.CharField(
        label=_("Phone (optional)"),
        max_length=50,
        required=False,
        help_text=_("Only used if the office has to reach you about this appointment."),
        widget=forms.TextInput(attrs={"autocomplete": "tel", "type": "tel"}),
    )
    needs_accessibility = forms.BooleanField(label=_("I need step-free access or assistance"), required=False)
    note = forms.CharField(
        label=_("Note for the office (optional)"),
        max_length=500,
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
