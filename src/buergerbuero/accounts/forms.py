from __future__ import annotations

import re

from django import forms
from django.utils.translation import gettext_lazy as _


class StaffLoginForm(forms.Form):
    """Username and password; checking them is the view's job, after the throttle has had its say."""

    username = forms.CharField(
        label=_("Username"),
        max_length=150,
        widget=forms.TextInput(attrs={"autocomplete": "username", "autofocus": True}),
    )
    password = forms.CharField(
        label=_("Password"), strip=False, widget=forms.PasswordInput(attrs={"autocomplete": "current-password"})
    )


class TokenForm(forms.Form):
    """A six-digit code from an authenticator app; spaces (as some apps show them) are ignored."""

    token = forms.CharField(
        label=_("Verification code"),
        max_length=12,
        widget=forms.TextInput(attrs={"autocomplete": "one-time-code", "inputmode": "numeric", "autofocus": True}),
    )

    def clean_token(self) -> str:
        token = "".join(str(self.cleaned_data["token"]).split())
        if not re.fullmatch(r"\d{6}", token):
            raise forms.ValidationError(_("Enter the six digits shown in your authenticator app."), code="invalid")
        return token
