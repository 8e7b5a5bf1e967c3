"""The citizen's online application: the start page, one page per step, the summary, discarding a draft.

Rules are in ``services.drafts`` and the engine ``formdef``; these views check who is asking (the
draft's owner, logged in with at least the service's level of assurance), turn the posted form into
data and choose where to go next. Everything works without JavaScript.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any
from uuid import UUID

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods

from buergerbuero.accounts.assurance import citizen_level, is_citizen, login_url, requires_assurance
from buergerbuero.accounts.constants import AssuranceLevel
from buergerbuero.catalog.fees import FeeQuote, quote
from buergerbuero.catalog.models import Service
from buergerbuero.catalog.selectors import offering_of
from buergerbuero.catalog.variants import variant
from buergerbuero.core.i18n import active_language, localized

from .. import formdef
from ..formdef import FieldSpec, FormSpec, StepSpec
from ..formdef_live import item_paths, live_condition, page_paths
from ..models import Attachment, Draft
from ..selectors_forms import draft_of_citizen, drafts_for_service, published_form
from ..services import ApplicationError
from ..services.drafts import AGS_KEY, attach_file, detach_file, discard_draft, draft_spec, save_step, start_draft
from .access import citizen_of, service_level, step_up

Errors = dict[str, list[str]]


def _own_draft(request: HttpRequest, draft_id: UUID) -> tuple[Draft, HttpResponse | None]:
    """The citizen's draft (404 for anyone else's) and the step-up page if their login is too weak."""
    draft = draft_of_citizen(citizen_of(request), draft_id)
    return draft, step_up(request, draft.form.service)


def _online_service(service_slug: str) -> Service:
    service = get_object_or_404(Service, slug=service_slug, online_application=True)
    if published_form(service) is None:
        raise Http404
    return service


def _fee(service: Service, draft: Draft | None, spec: FormSpec, data: dict[str, Any]) -> FeeQuote:
    """The fee by the same rule the submission charges: the catalogue variant of the responsible offering."""
    offering = offering_of(draft.municipality, service) if draft is not None and draft.municipality else None
    return quote(variant(service, offering).fee, formdef.fee_answers(spec, data))


# ---------------------------------------------------------------------------------------------- start page


@never_cache
@require_http_methods(["GET", "HEAD", "POST"])
def start(request: HttpRequest, service_slug: str) -> HttpResponse:
    service = _online_service(service_slug)
    form = published_form(service)
    assert form is not None  # noqa: S101 (checked by _online_service)
    needed = service_level(service)
    if request.method == "POST":
        if not is_citizen(request):
            return HttpResponseRedirect(login_url(request.path, needed))
        refused = step_up(request, service)
        if refused is not None:
            return refused
        try:
            draft = start_draft(citizen=citizen_of(request), service=service)
        except ApplicationError as error:
            messages.error(request, error.message)
            return HttpResponseRedirect(request.path)
        return HttpResponseRedirect(reverse("application_forms:step", args=[draft.public_id, draft.step]))
    spec = formdef.parse_definition(form.definition)
    language = active_language()
    logged_in = is_citizen(request)
    return render(
        request,
        "applications/forms/start.html",
        {
            "service": service,
            "title": spec.title(language),
            "intro": spec.intro(language),
            "steps": [step.title(language) for step in spec.steps],
            "requirements": [
                (localized(r, "name"), localized(r, "note")) for r in service.requirements.order_by("position", "id")
            ],
            "needed": needed,
            "fee": _fee(service, None, spec, {}),
            "processing_days": spec.processing_days,
            "logged_in": logged_in,
            "level_too_low": logged_in and citizen_level(request) < needed,
            "login_url": login_url(request.path, needed),
            "drafts": list(drafts_for_service(citizen_of(request), service)) if logged_in else [],
        },
    )


# ---------------------------------------------------------------------------------------------- steps


@dataclass
class BoundField:
    """A field ready for its template: name, id, current value, errors, options, items of a repeat."""

    spec: FieldSpec
    name: str
    id: str
    label: str
    help: str
    value: Any
    errors: list[str]
    options: list[dict[str, Any]] = field(default_factory=list)
    items: list[list[BoundField]] = field(default_factory=list)
    files: list[Attachment] = field(default_factory=list)
    item_label: str = ""
    can_add: bool = False
    can_remove: bool = False
    #: The condition the browser evaluates (JSON, see ``formdef_live``), the item prefix its paths are
    #: looked up under first (``personen.0.``), and whether the field is hidden for the saved data.
    when: str = ""
    when_scope: str = ""
    hidden: bool = False

    @property
    def described_by(self) -> str:
        ids = ([f"{self.id}-help"] if self.help else []) + ([f"{self.id}-error"] if self.errors else [])
        return " ".join(ids)

    @property
    def widget(self) -> str:
        return self.spec.widget


def _bind(
    item: FieldSpec, name: str, value: Any, errors: Errors, language: str, files: dict[str, Attachment]
) -> BoundField:
    html_id = "f-" + name.replace(".", "-")
    selected = value if isinstance(value, list) else [value]
    bound = BoundField(
        spec=item,
        name=name,
        id=html_id,
        label=item.label(language),
        help=item.help(language),
        value="" if value is None else value,
        errors=errors.get(name, []),
        options=[
            {"value": o.value, "label": o.label(language), "checked": o.value in selected, "id": f"{html_id}-{i}"}
            for i, o in enumerate(item.options)
        ],
    )
    if item.widget == "file":
        bound.files = [files[i] for i in value if i in files] if isinstance(value, list) else []
    return bound


def bind_step(
    spec: FormSpec,
    step: StepSpec,
    data: dict[str, Any],
    errors: Errors,
    files: dict[str, Attachment],
    *,
    live: bool = False,
) -> list[BoundField]:
    """The step's fields for its template. Without ``live`` only the visible ones; with ``live`` also the
    hidden ones whose condition asks about another input on the page, marked ``hidden`` and carrying the
    condition for ``conditions.js`` (which shows them as the citizen answers)."""
    language = active_language()
    page = page_paths(step) if live else frozenset()
    bound: list[BoundField] = []
    for item in step.fields:
        visible = formdef.is_visible(item, data)
        condition = live_condition(item, data, page=page) if live else None
        if not visible and condition is None:
            continue
        value = formdef.get_value(data, item.path)
        field_ = _bind(item, item.path, value, errors, language, files)
        _mark(field_, condition, hidden=not visible)
        if item.widget == "repeat":
            rows = value if isinstance(value, list) else []
            if len(rows) < max(item.min_items, 1):
                rows = rows + [{} for _ in range(max(item.min_items, 1) - len(rows))]
            field_.value = ""
            field_.item_label = item.item_label(language)
            field_.items = [
                _bind_row(item, index, row, data, errors, language, files, page=page, live=live)
                for index, row in enumerate(rows)
            ]
            field_.can_add = item.max_items is None or len(rows) < item.max_items
            field_.can_remove = len(rows) > max(item.min_items, 1)
        bound.append(field_)
    return bound


def _bind_row(
    repeat: FieldSpec,
    index: int,
    row: Any,
    data: dict[str, Any],
    errors: Errors,
    language: str,
    files: dict[str, Attachment],
    *,
    page: frozenset[str],
    live: bool,
) -> list[BoundField]:
    if not isinstance(row, dict):
        return []
    prefix = f"{repeat.path}.{index}."
    in_item = item_paths(repeat) if live else frozenset()
    fields: list[BoundField] = []
    for sub in repeat.fields:
        visible = formdef.is_visible(sub, data, row)
        condition = live_condition(sub, data, page=page, item=row, in_item=in_item) if live else None
        if not visible and condition is None:
            continue
        field_ = _bind(sub, prefix + sub.path, formdef.get_value(row, sub.path), errors, language, files)
        _mark(field_, condition, hidden=not visible, scope=prefix)
        fields.append(field_)
    return fields


def _mark(bound: BoundField, condition: dict[str, Any] | None, *, hidden: bool, scope: str = "") -> None:
    if condition is not None:
        bound.when = json.dumps(condition, ensure_ascii=False, separators=(",", ":"))
        bound.when_scope = scope
    bound.hidden = hidden


def _files_of(draft: Draft) -> dict[str, Attachment]:
    return {str(a.public_id): a for a in Attachment.objects.filter(draft=draft).order_by("uploaded_at", "id")}


def _step_url(draft: Draft, key: str) -> str:
    return reverse("application_forms:step", args=[draft.public_id, key])


@never_cache
@require_http_methods(["GET", "HEAD", "POST"])
@requires_assurance(AssuranceLevel.NONE)
def step(request: HttpRequest, draft_id: UUID, step_key: str) -> HttpResponse:
    draft, refused = _own_draft(request, draft_id)
    if refused is not None:
        return refused
    spec = draft_spec(draft)
    current = spec.step(step_key)
    if current is None:
        raise Http404
    if request.method != "POST" and not formdef.step_applies(spec, current, draft.data):
        return HttpResponseRedirect(_after(draft, spec, current))  # e.g. a bookmark from before a change
    errors: Errors = {}
    if request.method == "POST":
        outcome = _post_step(request, draft, spec, current)
        if isinstance(outcome, HttpResponse):
            return outcome
        errors = outcome
    return _render_step(request, draft, spec, current, errors)


def _post_step(request: HttpRequest, draft: Draft, spec: FormSpec, current: StepSpec) -> HttpResponse | Errors:
    citizen = citizen_of(request)
    action = request.POST.get("_action", "next")
    data = formdef.parse_post(spec, current, request.POST)
    if AGS_KEY in request.POST:
        data[AGS_KEY] = request.POST.get(AGS_KEY, "").strip()[:8]
    if action.startswith("add:") or action.startswith("remove:"):
        _change_items(spec, data, action)
    upload_errors: Errors = {}
    for item in current.fields:
        if item.widget == "file":
            for upload in request.FILES.getlist(item.path):
                try:
                    attach_file(draft=draft, citizen=citizen, path=item.path, upload=upload)
                except ApplicationError as error:
                    upload_errors.setdefault(item.path, []).append(error.message)
    if action.startswith("remove_file:"):
        try:
            detach_file(draft=draft, citizen=citizen, attachment_id=action.removeprefix("remove_file:"))
        except ApplicationError as error:
            messages.error(request, error.message)
    try:
        errors = save_step(draft=draft, citizen=citizen, step_key=current.key, data=data)
    except ApplicationError as error:
        messages.error(request, error.message)
        return HttpResponseRedirect(_step_url(draft, current.key))
    for path, texts in upload_errors.items():
        errors[path] = texts + [t for t in errors.get(path, []) if t not in texts]
    if action == "save":
        messages.success(request, _("Your draft has been saved. You can continue it later from this page."))
        return HttpResponseRedirect(reverse("application_forms:start", args=[draft.form.service.slug]))
    if action == "back":
        previous = formdef.previous_step(spec, current, draft.data)
        return HttpResponseRedirect(_step_url(draft, (previous or current).key))
    if action != "next":
        if upload_errors:
            return upload_errors  # show why the file was refused, next to the field
        return HttpResponseRedirect(_step_url(draft, current.key) + _anchor(action))
    if errors:
        return errors
    return HttpResponseRedirect(_after(draft, spec, current))


def _after(draft: Draft, spec: FormSpec, current: StepSpec) -> str:
    """The next step that applies to the draft's data (steps whose fields are all hidden are skipped), or the
    summary after the last."""
    following = formdef.next_step(spec, current, draft.data)
    if following is None:
        return reverse("application_forms:summary", args=[draft.public_id])
    return _step_url(draft, following.key)


def _anchor(action: str) -> str:
    verb, _sep, path = action.partition(":")
    return "#f-" + path.replace(".", "-") if verb == "add" else ""


def _change_items(spec: FormSpec, data: dict[str, Any], action: str) -> None:
    """ "Add another" (``add:<path>``) and "Remove" (``remove:<path>.<index>``) of a repeat field, on the
    posted data (saved like any other change)."""
    verb, _sep, target = action.partition(":")
    if verb == "add":
        formdef.add_item(spec, data, target)
    else:
        formdef.remove_item(data, target)


def _render_step(request: HttpRequest, draft: Draft, spec: FormSpec, current: StepSpec, errors: Errors) -> HttpResponse:
    language = active_language()
    # The progress counts the steps that apply to the data so far (and this one, should it not apply).
    steps = [s for s in spec.steps if s is current or formdef.step_applies(spec, s, draft.data)]
    index = steps.index(current)
    fields = bind_step(spec, current, draft.data, errors, _files_of(draft), live=True)
    error_links = _error_links(fields, errors)
    places: list[Any] = []
    if spec.routing in {item.path for item in current.fields} and spec.routing in errors:
        from buergerbuero.catalog.responsibility import PlaceStatus
        from buergerbuero.catalog.selectors import resolve_postcode

        postcode = formdef.routing_postcode(spec, draft.data)
        if postcode:
            resolution = resolve_postcode(postcode)
            if resolution.status == PlaceStatus.AMBIGUOUS:
                places = list(resolution.candidates)
    return render(
        request,
        "applications/forms/step.html",
        {
            "draft": draft,
            "title": spec.title(language),
            "step": current,
            "step_title": current.title(language),
            "step_intro": current.intro(language),
            "number": index + 1,
            "count": len(steps),
            "progress": [(s.key, s.title(language), i == index) for i, s in enumerate(steps)],
            "fields": fields,
            "errors": error_links,
            "has_files": any(item.widget == "file" for item in current.fields),
            "is_first": index == 0,
            "places": places,
            "chosen_ags": draft.data.get(AGS_KEY, ""),
        },
        status=200,
    )


def _error_links(fields: list[BoundField], errors: Errors) -> list[tuple[str, str, str]]:
    """(anchor, label, message) for the error summary, in the order of the fields."""
    links: list[tuple[str, str, str]] = []
    for bound in fields:
        for message in bound.errors:
            links.append((_first_input(bound), bound.label, message))
        for row in bound.items:
            for sub in row:
                for message in sub.errors:
                    links.append((_first_input(sub), sub.label, message))
    known = {bound.name for bound in fields} | {sub.name for bound in fields for row in bound.items for sub in row}
    for path, texts in errors.items():
        if path not in known:
            links.extend(("", "", text) for text in texts)
    return links


def _first_input(bound: BoundField) -> str:
    if bound.widget in ("radio", "checkboxes") and bound.options:
        return str(bound.options[0]["id"])
    return bound.id


# ---------------------------------------------------------------------------------------------- summary


@never_cache
@require_http_methods(["GET", "HEAD"])
@requires_assurance(AssuranceLevel.NONE)
def summary(request: HttpRequest, draft_id: UUID) -> HttpResponse:
    draft, refused = _own_draft(request, draft_id)
    if refused is not None:
        return refused
    spec = draft_spec(draft)
    language = active_language()
    files = {key: a.original_name for key, a in _files_of(draft).items()}
    problems = formdef.validate_all(spec, draft.data)
    missing_place = draft.municipality is None and not problems
    service = draft.form.service
    by_step: dict[str, int] = {}
    for path in problems:
        key = spec.step_of_path.get(formdef.template_path(path), spec.steps[0].key)
        by_step[key] = by_step.get(key, 0) + len(problems[path])
    return render(
        request,
        "applications/forms/summary.html",
        {
            "draft": draft,
            "title": spec.title(language),
            "sections": formdef.summary(spec, draft.data, language, files),
            "problem_steps": [(s.key, s.title(language), by_step[s.key]) for s in spec.steps if s.key in by_step],
            "missing_place": missing_place,
            "routing_step": spec.step_of_path.get(spec.routing, spec.steps[0].key),
            "municipality": draft.municipality,
            "fee": _fee(service, draft, spec, draft.data),
            "processing_days": spec.processing_days,
            "complete": not problems and not missing_place,
            "step_count": len(formdef.applicable_steps(spec, draft.data)),
        },
    )


# ---------------------------------------------------------------------------------------------- discard


@never_cache
@require_http_methods(["GET", "HEAD", "POST"])
@requires_assurance(AssuranceLevel.NONE)
def discard(request: HttpRequest, draft_id: UUID) -> HttpResponse:
    draft, refused = _own_draft(request, draft_id)
    if refused is not None:
        return refused
    service = draft.form.service
    if request.method == "POST":
        discard_draft(draft=draft, citizen=citizen_of(request))
        messages.success(request, _("Your draft has been deleted."))
        return HttpResponseRedirect(reverse("application_forms:start", args=[service.slug]))
    spec = draft_spec(draft)
    return render(request, "applications/forms/discard.html", {"draft": draft, "title": spec.title(active_language())})


__all__ = ["bind_step", "discard", "start", "step", "summary"]


def _get(row: Any, path: str) -> Any:
    return formdef.get_value(row, path)
