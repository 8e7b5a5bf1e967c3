"""Forms of the back office's inbox and case page. They only check input; the rules are in
``services.workflow`` (whose ``ApplicationError`` the views put next to the field it names)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import Any, cast

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from buergerbuero.accounts.models import User
from buergerbuero.appointments.forms import AccessibleForm
from buergerbuero.catalog.models import Service

from .constants import CaseState
from .selectors_inbox import SORTS
from .services.workflow import MAX_TEXT

__all__ = [
    "AssignForm",
    "DeadlineForm",
    "DecideForm",
    "InboxFilterForm",
    "InlineSelect",
    "NoteForm",
    "QuestionForm",
    "staff_name",
]


def staff_name(user: User) -> str:
    return user.get_full_name() or user.get_username()


class InlineSelect(forms.Select):
    """Django's select, rendered without a template include per option and per attribute (same HTML):
    the inbox renders its filter form on every page view."""

    template_name = "applications/backoffice/widgets/select.html"


class InboxFilterForm(AccessibleForm):
    """The inbox's filter (GET). Field names are the query parameters of ``InboxFilters.from_query``."""

    status = forms.ChoiceField(label=_("Status"), required=False, widget=InlineSelect)
    leistung = forms.ChoiceField(label=_("Service"), required=False, widget=InlineSelect)
    bearbeitung = forms.ChoiceField(label=_("Assigned to"), required=False, widget=InlineSelect)
    frist = forms.ChoiceField(
        label=_("Deadline"),
        required=False,
        choices=[("", _("any")), ("overdue", _("overdue")), ("due_this_week", _("due this week"))],
        widget=InlineSelect,
    )
    suche = forms.CharField(
        label=_("Search"),
        required=False,
        max_length=100,
        help_text=_("The start of a file number, or part of the applicant's name"),
    )
    sortierung = forms.ChoiceField(required=False, widget=forms.HiddenInput, choices=[(key, key) for key in SORTS])

    def _choice(self, name: str) -> forms.ChoiceField:
        return cast(forms.ChoiceField, self.fields[name])

    def __init__(self, *args: Any, services: Iterable[Service], staff: Iterable[User], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._choice("status").choices = [
            ("", pgettext_lazy("cases", "all")),
            ("open", pgettext_lazy("cases", "open (not yet decided)")),
            *CaseState.choices,
        ]
        self._choice("leistung").choices = [("", _("all services")), *((s.slug, s.name) for s in services)]
        self._choice("bearbeitung").choices = [
            ("", _("anyone or nobody")),
            ("me", _("me")),
            ("nobody", _("nobody yet")),
            *((str(user.pk), staff_name(user)) for user in staff),
        ]


class QuestionForm(AccessibleForm):
    body = forms.CharField(
        label=_("Question to the applicant"),
        widget=forms.Textarea(attrs={"rows": 5}),
        max_length=MAX_TEXT,
        help_text=_(
            "The applicant reads it in their account and is told by e-mail. The case then waits for the answer."
        ),
        error_messages={"required": _("Please write your question.")},
    )


class DecideForm(AccessibleForm):
    decision = forms.ChoiceField(
        label=_("Decision"),
        choices=[("approved", _("approve the application")), ("rejected", _("reject the application"))],
        widget=forms.RadioSelect,
        error_messages={"required": _("Please choose whether to approve or reject the application.")},
    )
    reasons = forms.CharField(
        label=_("Reasons"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 6}),
        max_length=MAX_TEXT,
        help_text=_("Printed in the Bescheid (in German). Required for a rejection."),
    )

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("decision") == "rejected" and not (data.get("reasons") or "").strip():
            self.add_error("reasons", _("Please give the reasons for the rejection."))
        return data


class AssignForm(AccessibleForm):
    assignee = forms.ChoiceField(label=_("Assigned to"), required=False)

    def __init__(self, *args: Any, staff: Iterable[User], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        choices = [("", _("nobody")), *((str(u.pk), staff_name(u)) for u in staff)]
        cast(forms.ChoiceField, self.fields["assignee"]).choices = choices


class DeadlineForm(AccessibleForm):
    due_date = forms.DateField(
        label=_("Deadline"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        help_text=_("Leave empty to remove the deadline. The case is overdue after the end of that day."),
        error_messages={"invalid": _("Please enter a date, e.g. 2026-12-31.")},
    )

    def due_at(self) -> dt.datetime | None:
        """The end of the chosen day (local time), or ``None``."""
        day: dt.date | None = self.cleaned_data.get("due_date")
        if day is None:
            return None
        return dt.datetime.combine(day, dt.time(23, 59, 59), timezone.get_current_timezone())


class NoteForm(AccessibleForm):
    text = forms.CharField(
        label=_("Internal note"),
        widget=forms.Textarea(attrs={"rows": 4}),
        max_length=MAX_TEXT,
        help_text=_("Only staff see notes; the applicant never does."),
        error_messages={"required": _("Please write the note.")},
    )
