from __future__ import annotations

from typing import Any

from django import forms
from django.db import models
from django.utils.translation import gettext_lazy as _

from .models import Municipality
from .services import BRANDING_FIELDS


def _formfield(field: models.Field[Any, Any], **kwargs: Any) -> forms.Field | None:
    # Web addresses typed without a scheme are https (Django 6's default, chosen now).
    if isinstance(field, models.URLField):
        kwargs["assume_scheme"] = "https"
    return field.formfield(**kwargs)


class MunicipalityBrandingForm(forms.ModelForm[Municipality]):
    """Validates the branding fields; the view saves them through ``update_municipality_branding``."""

    class Meta:
        model = Municipality
        fields = BRANDING_FIELDS
        formfield_callback = _formfield
        labels = {"name": _("Name shown to citizens")}
        help_texts = {"primary_color": _("A colour in the form #rrggbb, e.g. #004b87.")}
        widgets = {
            "primary_color": forms.TextInput(attrs={"pattern": "#[0-9a-fA-F]{6}", "size": 7}),
            "contact_phone": forms.TextInput(attrs={"type": "tel", "autocomplete": "tel"}),
            "contact_email": forms.EmailInput(attrs={"autocomplete": "email"}),
        }

    def clean_primary_color(self) -> str:
        value: str = self.cleaned_data["primary_color"]
        return value.lower()

    def branding_data(self) -> dict[str, Any]:
        return {name: self.cleaned_data[name] for name in BRANDING_FIELDS}
