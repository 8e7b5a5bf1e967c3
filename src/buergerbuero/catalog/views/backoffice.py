"""Back office of the catalogue: the Kreis edits its catalogue, each municipality its offerings.

The Kreis catalogue (``/backoffice/katalog/``) is open to Kreis administrators only; everyone
else gets a 404. A municipality's offerings are guarded by ``staff_view`` like every page under
``/backoffice/<municipality>/``. The preview posts the whole unsaved edit form and shows the
checklist the edited requirements would produce for sample answers.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse, QueryDict
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods

from buergerbuero.accounts.constants import Role
from buergerbuero.accounts.permissions import StaffRequest, roles_allow, staff_view
from buergerbuero.accounts.permissions import kreis_admin_view as kreis_admin_view  # still imported from here
from buergerbuero.accounts.selectors import staff_roles_in
from buergerbuero.tenants.models import Municipality

from ..checklist import build_checklist, parse_answers, questions_of
from ..conditions import ConditionError, evaluate
from ..constants import Level
from ..forms import (
    HoursFormSet,
    OfferingForm,
    RequirementFormSet,
    ServiceFilterForm,
    ServiceForm,
    hours_initial,
    kept_hours,
    kept_requirements,
    requirement_initial,
)
from ..models import Category, DocumentRequirement, Service, ServiceOffering
from ..selectors import backoffice_services, offering_of, offerings_by_service
from ..services import StaleEditError, offer_service, update_offering, update_service, withdraw_offering
from ..variants import variant

#: Who may maintain a municipality's offerings (a Kreis admin always may).
OFFERING_ROLES = (Role.MUNICIPALITY_ADMIN,)
PAGE_SIZE = 50
#: Sample answers of the preview are posted as ``answer-<question key>``, apart from the edit form's fields.
ANSWER_PREFIX = "answer-"
_REQUIREMENTS_PREFIX = "requirements"
_HOURS_PREFIX = "hours"


def _filter_form(request: HttpRequest) -> tuple[ServiceFilterForm, dict[str, str]]:
    form = ServiceFilterForm(
        request.GET,
        categories=[(category.slug, category.name) for category in Category.objects.all()],
        levels=[(str(value), str(label)) for value, label in Level.choices],
    )
    filters = {"query": "", "category": "", "level": ""}
    if form.is_valid():
        filters = {
            "query": form.cleaned_data["q"],
            "category": form.cleaned_data["category"],
            "level": form.cleaned_data["level"],
        }
    return form, filters


def _query_without_page(request: HttpRequest) -> str:
    query = request.GET.copy()
    query.pop("seite", None)
    return query.urlencode()


# --- the Kreis catalogue ----------------------------------------------------------------------------------


@never_cache
@kreis_admin_view
@require_http_methods(["GET"])
def catalog_list(request: StaffRequest) -> HttpResponse:
    form, filters = _filter_form(request)
    page = Paginator(backoffice_services(**filters), PAGE_SIZE).get_page(request.GET.get("seite"))
    return render(
        request,
        "catalog/backoffice/catalog_list.html",
        {"filter_form": form, "page": page, "query_string": _query_without_page(request)},
    )


def _bound_forms(request: HttpRequest, service: Service) -> tuple[ServiceForm, Any]:
    """The edit form and the requirements formset from the POST; conditions are checked against
    the edited questionnaire when it is valid (else only their syntax)."""
    # A fresh instance: validation writes into it, and the page header must keep the saved name.
    form = ServiceForm(request.POST, instance=Service.objects.get(pk=service.pk))
    form.is_valid()
    questions = form.cleaned_data.get("questions")
    formset = RequirementFormSet(request.POST, prefix=_REQUIREMENTS_PREFIX, form_kwargs={"questions": questions})
    return form, formset


def _edit_context(
    request: HttpRequest, service: Service, form: ServiceForm, formset: Any, **extra: Any
) -> dict[str, Any]:
    context = {"service": service, "form": form, "formset": formset, **extra}
    if "answer_fields" not in context:
        questions = form.cleaned_data.get("questions") if form.is_bound else None
        context["answer_fields"] = _question_fields(
            service.questions if questions is None else questions, _answers_query(request), {}
        )
    return context


@never_cache
@kreis_admin_view
@require_http_methods(["GET", "POST"])
def service_edit(request: StaffRequest, service_slug: str) -> HttpResponse:
    service = get_object_or_404(Service, slug=service_slug)
    template = "catalog/backoffice/service_edit.html"
    if request.method != "POST":
        form = ServiceForm(instance=service)
        formset = RequirementFormSet(prefix=_REQUIREMENTS_PREFIX, initial=requirement_initial(service))
        return render(request, template, _edit_context(request, service, form, formset))

    form, formset = _bound_forms(request, service)
    status = 200
    if service.is_imported:
        form.add_error(None, _("This service comes from another installation's feed and is maintained there."))
    elif form.is_valid() and formset.is_valid():
        try:
            update_service(
                service=service,
                actor=request.user,
                data=form.service_data(),
                requirements=kept_requirements(formset),
                categories=form.cleaned_data["categories"],
                life_situations=form.cleaned_data["life_situations"],
                expected_updated_at=form.cleaned_data["version"],
            )
        except StaleEditError as error:
            form.add_error(None, str(error))
            status = 409
        except (ConditionError, ValidationError, ValueError) as error:
            form.add_error(None, _("The service could not be saved: %(problem)s") % {"problem": _problem(error)})
        else:
            messages.success(request, _("The service has been saved."))
            return redirect("catalog_backoffice:service_edit", service_slug=service.slug)
    if status == 200 and (form.errors or formset.total_error_count()):
        messages.error(request, _("Nothing was saved. Please correct the marked fields."))
    return render(request, template, _edit_context(request, service, form, formset), status=status)


def _problem(error: Exception) -> str:
    if isinstance(error, ValidationError):
        return " ".join(error.messages)
    return str(error)


def _answers_query(request: HttpRequest) -> QueryDict:
    answers = QueryDict(mutable=True)
    for key in request.POST:
        if key.startswith(ANSWER_PREFIX):
            answers.setlist(key.removeprefix(ANSWER_PREFIX), request.POST.getlist(key))
    return answers


def _question_fields(questions: Any, raw: QueryDict, errors: dict[str, str]) -> list[dict[str, Any]]:
    """The sample-answer inputs of the preview, in questionnaire order, with what was entered."""
    return [
        {
            "question": question,
            "name": f"{ANSWER_PREFIX}{question.key}",
            "id": f"id_{ANSWER_PREFIX}{question.key}",
            "value": raw.get(question.key, ""),
            "error": errors.get(question.key, ""),
        }
        for question in questions_of(questions)
    ]


@never_cache
@kreis_admin_view
@require_http_methods(["GET", "POST"])
def checklist_preview(request: StaffRequest, service_slug: str) -> HttpResponse:
    service = get_object_or_404(Service, slug=service_slug)
    if request.method != "POST":
        return redirect("catalog_backoffice:service_edit", service_slug=service.slug)
    form, formset = _bound_forms(request, service)
    formset.is_valid()

    edited_questions = form.cleaned_data.get("questions")
    questions: list[dict[str, Any]] = edited_questions if edited_questions is not None else list(service.questions)
    raw_answers = _answers_query(request)
    answers, answer_errors = parse_answers(questions, raw_answers)

    items: list[dict[str, Any]] = []
    requirements: list[DocumentRequirement] = []
    for index, row in enumerate(formset.forms):
        if not row.has_changed() and not row.initial:
            continue  # a blank extra row
        if row.data.get(row.add_prefix("DELETE")):
            continue
        if row.is_valid():
            data = row.requirement(index)
            requirement = DocumentRequirement(
                service=service,
                position=data.position,
                name_de=data.name_de,
                name_en=data.name_en,
                note_de=data.note_de,
                note_en=data.note_en,
                condition=data.condition,
            )
            requirements.append(requirement)
            items.append(
                {
                    "requirement": requirement,
                    "condition_text": row.data.get(row.add_prefix("condition"), ""),
                    "applies": evaluate(data.condition, answers),
                    "sort": (data.position, index),
                }
            )
        else:
            items.append(
                {
                    "requirement": None,
                    "name": row.data.get(row.add_prefix("name_de"), ""),
                    "condition_text": row.data.get(row.add_prefix("condition"), ""),
                    "invalid": True,
                    "sort": (10_000 + index, index),
                }
            )
    items.sort(key=lambda item: item["sort"])
    requirements.sort(key=lambda r: r.position)

    # The service as edited (unsaved), for the checklist's fee and texts; the saved one if the form is invalid.
    edited = form.instance if form.is_valid() else service
    if form.is_valid():
        edited.fee = form.cleaned_data["fee"]
        edited.questions = questions
    checklist = build_checklist(variant(edited), requirements, answers)

    preview = {
        "questions": _question_fields(questions, raw_answers, answer_errors),
        "questions_are_saved_ones": edited_questions is None,
        "answer_errors": answer_errors,
        "items": items,
        "applying": [item for item in items if item.get("applies")],
        "checklist": checklist,
    }
    return render(
        request,
        "catalog/backoffice/service_edit.html",
        _edit_context(request, service, form, formset, preview=preview, answer_fields=preview["questions"]),
    )


# --- a municipality's offerings ---------------------------------------------------------------------------


def _offering_context(request: StaffRequest, municipality: Municipality) -> dict[str, Any]:
    return {
        "municipality": municipality,
        "can_administer": roles_allow(staff_roles_in(request.user, municipality), OFFERING_ROLES),
    }


@never_cache
@staff_view(roles=OFFERING_ROLES)  # outside the method check: others get a 404, never a 405
@require_http_methods(["GET", "POST"])
def offering_list(request: StaffRequest, municipality: Municipality) -> HttpResponse:
    if request.method == "POST":
        return _toggle_offering(request, municipality)
    form, filters = _filter_form(request)
    page = Paginator(backoffice_services(**filters), PAGE_SIZE).get_page(request.GET.get("seite"))
    offerings = offerings_by_service(municipality)
    context = _offering_context(request, municipality)
    context.update(
        filter_form=form,
        page=page,
        rows=[{"service": service, "offering": offerings.get(service.pk)} for service in page.object_list],
        offered_count=len(offerings),
        query_string=_query_without_page(request),
    )
    return render(request, "catalog/backoffice/offering_list.html", context)


def _toggle_offering(request: StaffRequest, municipality: Municipality) -> HttpResponse:
    try:
        service = Service.objects.get(pk=int(request.POST.get("service", "")))
    except (ValueError, Service.DoesNotExist):
        raise Http404 from None
    action = request.POST.get("action")
    if action == "offer":
        offer_service(municipality=municipality, service=service, actor=request.user)
        messages.success(request, _("“%(service)s” is now offered here.") % {"service": service.name})
    elif action == "withdraw":
        offering = offering_of(municipality, service)
        if offering is not None:
            withdraw_offering(offering=offering, actor=request.user)
        messages.success(request, _("“%(service)s” is no longer offered here.") % {"service": service.name})
    else:
        raise Http404
    url = reverse("catalog_backoffice:offerings", kwargs={"municipality_slug": municipality.slug})
    query = QueryDict(request.POST.get("query", "")).urlencode()  # the list's filters, to return to
    return redirect(f"{url}?{query}#service-{service.pk}" if query else f"{url}#service-{service.pk}")


@never_cache
@staff_view(roles=OFFERING_ROLES)
@require_http_methods(["GET", "POST"])
def offering_edit(request: StaffRequest, municipality: Municipality, service_slug: str) -> HttpResponse:
    service = get_object_or_404(Service, slug=service_slug)
    offering = offering_of(municipality, service)
    instance = offering or ServiceOffering(municipality=municipality, service=service)
    data = request.POST if request.method == "POST" else None
    form = OfferingForm(data, instance=instance, municipality=municipality, service=service)
    hours = HoursFormSet(data, prefix=_HOURS_PREFIX, initial=hours_initial(offering))
    status = 200
    if request.method == "POST":
        if form.is_valid() and hours.is_valid():
            try:
                update_offering(
                    municipality=municipality,
                    service=service,
                    actor=request.user,
                    data=form.offering_data(),
                    offices=form.cleaned_data["offices"],
                    hours=kept_hours(hours),
                    expected_updated_at=form.cleaned_data["version"],
                )
            except StaleEditError as error:
                form.add_error(None, str(error))
                status = 409
            except (ValidationError, ValueError) as error:
                form.add_error(None, _("The offering could not be saved: %(problem)s") % {"problem": _problem(error)})
            else:
                messages.success(request, _("The offering has been saved."))
                return redirect(
                    "catalog_backoffice:offering_edit", municipality_slug=municipality.slug, service_slug=service.slug
                )
        if status == 200:
            messages.error(request, _("Nothing was saved. Please correct the marked fields."))
    context = _offering_context(request, municipality)
    context.update(service=service, offering=offering, form=form, hours=hours)
    return render(request, "catalog/backoffice/offering_edit.html", context, status=status)
