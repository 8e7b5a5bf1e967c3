"""Back-office forms of the catalogue: a Kreis service with its document requirements, a municipality's offering.

Questionnaires and fee rules are edited as JSON; conditions as text in the staff language
of ``catalog.conditions`` (also inside a fee rule's ``when``). The forms only validate;
the views save through ``catalog.services``.
"""

from __future__ import annotations

import contextlib
import copy
import datetime as dt
import json
from typing import Any

from django import forms
from django.db import models
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from buergerbuero.tenants.constants import Weekday
from buergerbuero.tenants.models import Municipality, Office

from .conditions import ConditionError, parse_text, to_text, validate_condition, validate_questions
from .fees import describe, validate_fee
from .models import OfferingHours, Service, ServiceOffering
from .services import OFFERING_FIELDS, SERVICE_FIELDS, HoursData, RequirementData

__all__ = [
    "HoursFormSet",
    "OfferingForm",
    "RequirementFormSet",
    "ServiceFilterForm",
    "ServiceForm",
    "fee_text",
    "hours_initial",
    "kept_hours",
    "kept_requirements",
    "questions_text",
    "requirement_initial",
]

_CODE_ATTRS = {"class": "code", "spellcheck": "false", "autocomplete": "off", "autocapitalize": "off"}


def _formfield(field: models.Field[Any, Any], **kwargs: Any) -> forms.Field | None:
    # Web addresses typed without a scheme are https (Django 6's default, chosen now).
    if isinstance(field, models.URLField):
        kwargs["assume_scheme"] = "https"
    return field.formfield(**kwargs)


# --- JSON in text areas ---------------------------------------------------------------------------------


def _dump(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, indent=2)


def _load(text: str) -> Any:
    try:
        return json.loads(text)
    except json.JSONDecodeError as error:
        raise forms.ValidationError(
            _("This is not valid JSON (line %(line)d, column %(column)d): %(problem)s"),
            params={"line": error.lineno, "column": error.colno, "problem": error.msg},
            code="json",
        ) from None


def questions_text(questions: Any) -> str:
    return _dump(questions) if questions else ""


def fee_text(fee: Any) -> str:
    """A fee rule as staff edit it: JSON, with each rule's ``when`` as condition text."""
    if not fee:
        return ""
    shown = copy.deepcopy(fee)
    rules = shown.get("rules") if isinstance(shown, dict) else None
    for rule in rules if isinstance(rules, list) else []:
        if isinstance(rule, dict) and (rule.get("when") is None or isinstance(rule.get("when"), dict)):
            with contextlib.suppress(ConditionError, KeyError, TypeError):  # else shown as stored
                rule["when"] = to_text(rule.get("when"))
    return _dump(shown)


def _parse_fee(text: str) -> Any:
    """The fee rule typed as ``text`` (see :func:`fee_text`); ``None`` for an empty text."""
    if not text.strip():
        return None
    fee = _load(text)
    rules = fee.get("rules") if isinstance(fee, dict) else None
    for number, rule in enumerate(rules if isinstance(rules, list) else [], start=1):
        if isinstance(rule, dict) and isinstance(rule.get("when"), str):
            try:
                rule["when"] = parse_text(rule["when"])
            except ConditionError as error:
                raise forms.ValidationError(
                    _("Rule %(number)d: %(problem)s"), params={"number": number, "problem": str(error)}, code="when"
                ) from None
    return fee


def _check_fee(fee: Any, questions: Any) -> None:
    try:
        validate_fee(fee, questions)
    except ValueError as error:  # ConditionError and the fee module's errors
        raise forms.ValidationError(str(error), code="fee") from None


def _parse_version(text: str) -> dt.datetime | None:
    if not text:
        return None
    try:
        return dt.datetime.fromisoformat(text)
    except ValueError:
        raise forms.ValidationError(_("The form is incomplete. Please open it again."), code="version") from None


# --- the Kreis catalogue ----------------------------------------------------------------------------------


class ServiceFilterForm(forms.Form):
    q = forms.CharField(label=_("Search"), required=False, max_length=200)
    category = forms.ChoiceField(label=_("Category"), required=False)
    level = forms.ChoiceField(label=_("Responsible level"), required=False)

    def __init__(self, *args: Any, categories: list[tuple[str, str]], levels: list[tuple[str, str]], **kwargs: Any):
        super().__init__(*args, **kwargs)
        everything = ("", gettext("All"))
        self.fields["category"].choices = [everything, *categories]  # type: ignore[attr-defined]
        self.fields["level"].choices = [everything, *levels]  # type: ignore[attr-defined]


_SERVICE_MODEL_FIELDS = [name for name in SERVICE_FIELDS if name not in ("fee", "questions")]


class ServiceForm(forms.ModelForm[Service]):
    """A catalogue service's own fields; ``fee`` and ``questions`` as JSON text, ``version`` for concurrency."""

    questions = forms.CharField(
        label=_("Questionnaire (JSON)"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 12, **_CODE_ATTRS}),
        help_text=_(
            'A list of questions, e.g. [{"key": "age", "kind": "number", "label_de": "Alter", "label_en": "Age"}]. '
            "Kinds: number, choice (with options), boolean."
        ),
    )
    fee = forms.CharField(
        label=_("Fee rule (JSON)"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 8, **_CODE_ATTRS}),
        help_text=_(
            'e.g. {"kind": "fixed", "amount": "37.00"}, {"kind": "free"}, {"kind": "range", "min": "10.00", '
            '"max": "50.00"} or {"kind": "rules", "rules": [{"when": "age >= 65", "amount": "10.00", '
            '"label_de": "ab 65 Jahren"}], "default": "37.00"}; "when" is written like a document condition.'
        ),
    )
    version = forms.CharField(widget=forms.HiddenInput, required=False)

    class Meta:
        model = Service
        fields = [*_SERVICE_MODEL_FIELDS, "categories", "life_situations"]
        formfield_callback = _formfield
        widgets = {
            "summary_de": forms.Textarea(attrs={"rows": 3}),
            "summary_en": forms.Textarea(attrs={"rows": 3}),
            "procedure_de": forms.Textarea(attrs={"rows": 5}),
            "procedure_en": forms.Textarea(attrs={"rows": 5}),
            "keywords": forms.Textarea(attrs={"rows": 2}),
            "categories": forms.CheckboxSelectMultiple,
            "life_situations": forms.CheckboxSelectMultiple,
        }

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if not self.is_bound:
            self.initial["questions"] = questions_text(self.instance.questions)
            self.initial["fee"] = fee_text(self.instance.fee)
            self.initial["version"] = self.instance.updated_at.isoformat() if self.instance.updated_at else ""

    def clean_questions(self) -> list[Any]:
        text: str = self.cleaned_data["questions"]
        questions = _load(text) if text.strip() else []
        try:
            validate_questions(questions)
        except ConditionError as error:
            raise forms.ValidationError(str(error), code="questions") from None
        assert isinstance(questions, list)  # noqa: S101 - validate_questions checked it
        return questions

    def clean_fee(self) -> Any:
        fee = _parse_fee(self.cleaned_data["fee"])
        return {} if fee is None else fee

    def clean_version(self) -> dt.datetime | None:
        return _parse_version(self.cleaned_data["version"])

    def clean(self) -> dict[str, Any]:
        super().clean()
        cleaned = self.cleaned_data
        if "fee" in cleaned and "questions" in cleaned and cleaned["fee"]:
            try:
                _check_fee(cleaned["fee"], cleaned["questions"])
            except forms.ValidationError as error:
                self.add_error("fee", error)
        return cleaned

    def service_data(self) -> dict[str, Any]:
        return {name: self.cleaned_data[name] for name in SERVICE_FIELDS}

    @property
    def fee_description(self) -> str:
        """The valid fee rule as citizens read it, or ``""``."""
        fee = self.cleaned_data.get("fee") if self.is_bound and self.is_valid() else self.instance.fee
        if not fee:
            return ""
        try:
            return describe(fee)
        except (ValueError, KeyError, TypeError):
            return ""


class RequirementForm(forms.Form):
    """One document of the checklist; ``condition`` is text in the staff condition language."""

    id = forms.IntegerField(required=False, widget=forms.HiddenInput)
    position = forms.IntegerField(
        label=_("Position"), required=False, min_value=0, max_value=9999, widget=forms.NumberInput(attrs={"size": 4})
    )
    name_de = forms.CharField(label=_("Document (German)"), max_length=300)
    name_en = forms.CharField(label=_("Document (English)"), max_length=300, required=False)
    note_de = forms.CharField(label=_("Note (German)"), max_length=300, required=False)
    note_en = forms.CharField(label=_("Note (English)"), max_length=300, required=False)
    condition = forms.CharField(
        label=_("Required when"),
        max_length=2000,
        required=False,
        widget=forms.TextInput(attrs=_CODE_ATTRS),
        help_text=_("e.g. age >= 18 and nationality in (eu, non_eu), or: not on_behalf. Empty: always required."),
    )

    def __init__(self, *args: Any, questions: list[Any] | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.questions = questions  # None: the questionnaire itself is invalid, check the syntax only

    def clean_condition(self) -> dict[str, Any] | None:
        try:
            condition = parse_text(self.cleaned_data["condition"])
            if self.questions is not None:
                validate_condition(condition, self.questions)
        except ConditionError as error:
            raise forms.ValidationError(str(error), code="condition") from None
        return condition

    def requirement(self, index: int) -> RequirementData:
        data = self.cleaned_data
        position = data.get("position")
        return RequirementData(
            id=data.get("id"),
            position=10_000 + index if position is None else position,
            name_de=data["name_de"],
            name_en=data.get("name_en", ""),
            note_de=data.get("note_de", ""),
            note_en=data.get("note_en", ""),
            condition=data.get("condition"),
        )


def kept_requirements(formset: forms.BaseFormSet[RequirementForm]) -> list[RequirementData]:
    """The requirements a valid formset keeps, in form order (blank extra rows and deleted rows left out)."""
    return [
        form.requirement(index)
        for index, form in enumerate(formset.forms)
        if form.cleaned_data and not form.cleaned_data.get("DELETE")  # blank extra rows clean to {}
    ]


RequirementFormSet = forms.formset_factory(
    RequirementForm,
    extra=2,
    can_delete=True,
    max_num=200,
    validate_max=True,
)


def requirement_initial(service: Service) -> list[dict[str, Any]]:
    rows = []
    for requirement in service.requirements.order_by("position", "id"):
        try:
            condition = to_text(requirement.condition)
        except (ConditionError, KeyError, TypeError):
            condition = json.dumps(requirement.condition, ensure_ascii=False)
        rows.append(
            {
                "id": requirement.pk,
                "position": requirement.position,
                "name_de": requirement.name_de,
                "name_en": requirement.name_en,
                "note_de": requirement.note_de,
                "note_en": requirement.note_en,
                "condition": condition,
            }
        )
    return rows


# --- a municipality's offering ----------------------------------------------------------------------------

_INHERIT, _ON, _OFF = "", "on", "off"


class ChannelField(forms.TypedChoiceField):
    """Yes / no / as in the catalogue (``None``)."""

    def __init__(self, *, catalogue_value: bool, **kwargs: Any) -> None:
        inherited = gettext("yes") if catalogue_value else gettext("no")
        super().__init__(
            choices=[
                (_INHERIT, gettext("As in the catalogue (%(value)s)") % {"value": inherited}),
                (_ON, gettext("Yes")),
                (_OFF, gettext("No")),
            ],
            coerce=lambda value: {_ON: True, _OFF: False}.get(value),
            empty_value=None,
            required=False,
            **kwargs,
        )

    def prepare_value(self, value: Any) -> Any:
        if value is True:
            return _ON
        if value is False:
            return _OFF
        return value if value in (_ON, _OFF) else _INHERIT


_CHANNELS = ("online_application", "by_appointment", "walk_in", "by_post")
_OVERRIDE_TEXTS = ("name_de", "name_en", "summary_de", "summary_en", "procedure_de", "procedure_en")


class OfferingForm(forms.ModelForm[ServiceOffering]):
    """A municipality's offering: offices, channels, local texts, fee and contact."""

    offices = forms.ModelMultipleChoiceField(
        label=_("Offices"),
        queryset=Office._base_manager.none(),  # replaced by the municipality's offices in __init__
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("Where citizens can use this service."),
    )
    fee = forms.CharField(
        label=_("Own fee rule (JSON)"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 6, **_CODE_ATTRS}),
        help_text=_('Empty: the catalogue\'s fee. e.g. {"kind": "fixed", "amount": "12.00"}'),
    )
    version = forms.CharField(widget=forms.HiddenInput, required=False)

    class Meta:
        model = ServiceOffering
        fields = [name for name in OFFERING_FIELDS if name != "fee"]
        formfield_callback = _formfield
        widgets = {
            "summary_de": forms.Textarea(attrs={"rows": 3}),
            "summary_en": forms.Textarea(attrs={"rows": 3}),
            "procedure_de": forms.Textarea(attrs={"rows": 5}),
            "procedure_en": forms.Textarea(attrs={"rows": 5}),
            "note_de": forms.Textarea(attrs={"rows": 3}),
            "note_en": forms.Textarea(attrs={"rows": 3}),
            "contact_phone": forms.TextInput(attrs={"type": "tel", "autocomplete": "off"}),
        }

    def __init__(self, *args: Any, municipality: Municipality, service: Service, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.service = service
        offices_field = self.fields["offices"]
        assert isinstance(offices_field, forms.ModelMultipleChoiceField)  # noqa: S101 - declared above
        offices_field.queryset = Office.objects.filter(municipality=municipality).order_by("name")
        for name in _CHANNELS:
            field = self.fields[name]
            self.fields[name] = ChannelField(
                catalogue_value=bool(getattr(service, name)), label=field.label, help_text=field.help_text
            )
        for name in _OVERRIDE_TEXTS:
            catalogue_text = getattr(service, name)
            if catalogue_text:
                self.fields[name].widget.attrs["placeholder"] = catalogue_text
            self.fields[name].help_text = _("Empty: the catalogue's text (shown greyed out).")
        if service.online_url:
            self.fields["online_url"].widget.attrs["placeholder"] = service.online_url
        if not self.is_bound:
            offering = self.instance
            if offering.pk is not None:
                self.initial["offices"] = list(offering.offices.all())
                self.initial["fee"] = fee_text(offering.fee) if offering.fee is not None else ""
                self.initial["version"] = offering.updated_at.isoformat()
            else:
                self.initial["offices"] = list(offices_field.queryset)

    def clean_fee(self) -> Any:
        fee = _parse_fee(self.cleaned_data["fee"])
        if fee is not None:
            _check_fee(fee, self.service.questions)
        return fee

    def clean_version(self) -> dt.datetime | None:
        return _parse_version(self.cleaned_data["version"])

    def offering_data(self) -> dict[str, Any]:
        return {name: self.cleaned_data[name] for name in OFFERING_FIELDS}

    @property
    def catalogue_fee(self) -> str:
        try:
            return describe(self.service.fee) if self.service.fee else ""
        except (ValueError, KeyError, TypeError):
            return ""


class HoursForm(forms.Form):
    weekday = forms.TypedChoiceField(
        label=_("Weekday"), choices=[("", "–"), *Weekday.choices], coerce=int, empty_value=None
    )
    opens = forms.TimeField(label=_("Opens"), widget=forms.TimeInput(attrs={"type": "time"}, format="%H:%M"))
    closes = forms.TimeField(label=_("Closes"), widget=forms.TimeInput(attrs={"type": "time"}, format="%H:%M"))

    def clean(self) -> dict[str, Any]:
        super().clean()
        cleaned = self.cleaned_data
        opens, closes = cleaned.get("opens"), cleaned.get("closes")
        if opens is not None and closes is not None and opens >= closes:
            self.add_error("closes", _("The closing time must be after the opening time."))
        return cleaned


def kept_hours(formset: forms.BaseFormSet[HoursForm]) -> list[HoursData]:
    """The intervals a valid formset keeps (blank extra rows and deleted rows left out)."""
    return [
        HoursData(form.cleaned_data["weekday"], form.cleaned_data["opens"], form.cleaned_data["closes"])
        for form in formset.forms
        if form.cleaned_data and not form.cleaned_data.get("DELETE")  # blank extra rows clean to {}
    ]


HoursFormSet = forms.formset_factory(HoursForm, extra=2, can_delete=True, max_num=50, validate_max=True)


def hours_initial(offering: ServiceOffering | None) -> list[dict[str, Any]]:
    if offering is None or offering.pk is None:
        return []
    hours = OfferingHours.objects.filter(offering=offering).order_by("weekday", "opens")  # not offering.hours:
    return [{"weekday": h.weekday, "opens": h.opens, "closes": h.closes} for h in hours]  # see update_offering
