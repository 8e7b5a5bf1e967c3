"""Citizen forms of the analytics app: the rating and the "what next online" survey."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from buergerbuero.appointments.forms import AccessibleForm
from buergerbuero.catalog.models import Service
from buergerbuero.core.i18n import localized

from .services.feedback import COMMENT_MAX_LENGTH, SUGGESTION_MAX_LENGTH

__all__ = ["STAR_LABELS", "RatingForm", "SurveyForm"]

#: The five answers, best first, as the form shows them (German: sehr gut … sehr schlecht).
STAR_LABELS = [
    (5, pgettext_lazy("rating", "very good")),
    (4, pgettext_lazy("rating", "good")),
    (3, pgettext_lazy("rating", "okay")),
    (2, pgettext_lazy("rating", "poor")),
    (1, pgettext_lazy("rating", "very poor")),
]


class RatingForm(AccessibleForm):
    stars = forms.TypedChoiceField(
        label=_("How satisfied are you?"),
        choices=STAR_LABELS,
        coerce=int,
        widget=forms.RadioSelect,
        error_messages={
            "required": _("Please choose how satisfied you are, from “very good” to “very poor”."),
            "invalid_choice": _("Please choose how satisfied you are, from “very good” to “very poor”."),
        },
    )
    comment = forms.CharField(
        label=_("Comment (optional)"),
        required=False,
        strip=True,
        max_length=COMMENT_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 5}),
        help_text=_(
            "At most 1000 characters. Please do not write your name or contact details: "
            "e-mail addresses and phone numbers are removed before your comment is saved."
        ),
        error_messages={
            "max_length": _(
                "Please shorten your comment to at most %(limit_value)d characters (it has %(show_value)d)."
            )
        },
    )


class ServiceChoiceField(forms.ModelChoiceField):  # type: ignore[type-arg]
    def label_from_instance(self, obj: Any) -> str:
        return localized(obj, "name")


class SurveyForm(AccessibleForm):
    service = ServiceChoiceField(
        label=_("Service"),
        queryset=Service.objects.none(),
        required=False,
        empty_label=_("– please choose –"),
        error_messages={"invalid_choice": _("Please choose a service from the list.")},
    )
    suggestion = forms.CharField(
        label=_("Or in your own words"),
        required=False,
        max_length=SUGGESTION_MAX_LENGTH,
        help_text=_("For example: “register my dog”. Please no personal details."),
        error_messages={"max_length": _("Please shorten your suggestion to at most %(limit_value)d characters.")},
    )

    def __init__(self, *args: Any, services: list[Service], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["service"]
        if isinstance(field, ServiceChoiceField):
            field.queryset = Service.objects.filter(pk__in=[s.pk for s in services]).order_by("name_de")

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if not self.errors and not data.get("service") and not data.get("suggestion"):
            self.add_error("service", _("Please choose a service or write what you would like to do online."))
        return data
