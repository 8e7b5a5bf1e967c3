"""The statistics filter (GET): range, granularity, office or municipality, service."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import Any, cast

from django import forms
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from buergerbuero.appointments.forms import AccessibleForm

from .statistics import Granularity

#: The longest range one page shows (a day granularity is at most this many rows).
MAX_DAYS = 3 * 366
MAX_DAY_ROWS = 92


def default_range(today: dt.date) -> tuple[dt.date, dt.date]:
    """The last twelve months including the current one."""
    first = (today.replace(day=1) - dt.timedelta(days=335)).replace(day=1)
    return first, today


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self) -> None:
        super().__init__(format="%Y-%m-%d")


class StatisticsFilterForm(AccessibleForm):
    von = forms.DateField(
        label=pgettext_lazy("date range", "From"),
        widget=DateInput(),
        error_messages={"invalid": _("Please enter the first day as a date, e.g. 2026-01-01.")},
    )
    bis = forms.DateField(
        label=pgettext_lazy("date range", "To"),
        widget=DateInput(),
        help_text=_("Including this day."),
        error_messages={"invalid": _("Please enter the last day as a date, e.g. 2026-12-31.")},
    )
    einteilung = forms.ChoiceField(
        label=_("Per"),
        choices=[(g.value, g.label) for g in (Granularity.DAY, Granularity.WEEK, Granularity.MONTH)],
    )
    ort = forms.ChoiceField(label=_("Office"), required=False)
    leistung = forms.ChoiceField(label=_("Service"), required=False)

    def __init__(
        self,
        data: Any,
        *,
        places: Iterable[tuple[str, str]],
        place_label: str,
        services: Iterable[tuple[str, str]],
        today: dt.date,
    ) -> None:
        first, last = default_range(today)
        merged = {"von": first.isoformat(), "bis": last.isoformat(), "einteilung": Granularity.MONTH.value}
        merged.update({key: value for key, value in data.items() if value != ""} if data else {})
        super().__init__(merged)
        place = cast(forms.ChoiceField, self.fields["ort"])
        place.label = place_label
        place.choices = [("", _("all")), *places]
        cast(forms.ChoiceField, self.fields["leistung"]).choices = [("", _("all services")), *services]

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        first, last = cleaned.get("von"), cleaned.get("bis")
        if first and last:
            if last < first:
                self.add_error("bis", _("The last day must not be before the first day."))
            elif (last - first).days > MAX_DAYS:
                self.add_error("bis", _("Please choose at most three years."))
            elif cleaned.get("einteilung") == Granularity.DAY and (last - first).days >= MAX_DAY_ROWS:
                self.add_error(
                    "einteilung",
                    _("Per day shows at most %(days)d days; please choose per week or month, or a shorter range.")
                    % {"days": MAX_DAY_ROWS},
                )
        return cleaned
