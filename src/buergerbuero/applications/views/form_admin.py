"""The form administration in the back office: the online services' form versions, adding a version
(pasted or uploaded JSON, checked by the engine), a read-only preview, publishing.

Forms are Kreis-wide: a municipality administrator publishes for every municipality of the Kreis.
"""

from __future__ import annotations

import json
from typing import Any

from django.contrib import messages
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from buergerbuero.accounts.constants import Role
from buergerbuero.accounts.permissions import staff_view
from buergerbuero.catalog.models import Service
from buergerbuero.core.i18n import active_language
from buergerbuero.tenants.models import Municipality

from .. import formdef
from ..formdef import DefinitionError
from ..models import FormDefinition
from ..selectors_forms import form_versions
from ..services import ApplicationError
from ..services.forms import create_form_version, publish_form_version
from .forms import bind_step

ADMINS = [Role.MUNICIPALITY_ADMIN]
MAX_JSON_BYTES = 1_000_000


def _services() -> list[Service]:
    return list(Service.objects.filter(form_versions__isnull=False).distinct().order_by("name_de"))


@staff_view(roles=ADMINS)
@require_http_methods(["GET", "HEAD"])
def overview(request: HttpRequest, *, municipality: Municipality) -> HttpResponse:
    rows = [(service, form_versions(service)) for service in _services()]
    return render(request, "applications/form_admin/overview.html", {"municipality": municipality, "rows": rows})


@staff_view(roles=ADMINS)
@require_http_methods(["GET", "HEAD", "POST"])
def upload(request: HttpRequest, service_slug: str, *, municipality: Municipality) -> HttpResponse:
    service = get_object_or_404(Service, slug=service_slug)
    errors: list[str] = []
    text = ""
    if request.method == "POST":
        file = request.FILES.get("file")
        if file is not None and file.size is not None and file.size > MAX_JSON_BYTES:
            errors.append(_("The file is larger than 1 MB."))
        else:
            raw = file.read() if file is not None else request.POST.get("definition", "").encode()
            text = raw.decode("utf-8", errors="replace")
            try:
                definition: Any = json.loads(text)
                form = create_form_version(service=service, definition=definition, actor=request.user)  # type: ignore[arg-type]
            except ValueError as error:
                errors = (
                    error.errors
                    if isinstance(error, DefinitionError)
                    else [_("This is not valid JSON: %(error)s") % {"error": error}]
                )
            except ApplicationError as error:
                errors.append(error.message)
            else:
                messages.success(
                    request,
                    _("Version %(version)d has been saved. Check the preview, then publish it.")
                    % {"version": form.version},
                )
                return HttpResponseRedirect(reverse("form_admin:preview", args=[municipality.slug, form.pk]))
    latest = FormDefinition.objects.filter(service=service).order_by("-version").first()
    if not text and latest is not None:
        text = json.dumps(latest.definition, ensure_ascii=False, indent=2)
    return render(
        request,
        "applications/form_admin/upload.html",
        {"municipality": municipality, "service": service, "errors": errors, "text": text},
        status=400 if errors else 200,
    )


@staff_view(roles=ADMINS)
@require_http_methods(["GET", "HEAD"])
def preview(request: HttpRequest, form_id: int, *, municipality: Municipality) -> HttpResponse:
    form = get_object_or_404(FormDefinition.objects.select_related("service"), pk=form_id)
    spec = formdef.parse_definition(form.definition)
    language = active_language()
    steps = [(step.title(language), step.intro(language), bind_step(spec, step, {}, {}, {})) for step in spec.steps]
    return render(
        request,
        "applications/form_admin/preview.html",
        {"municipality": municipality, "form": form, "title": spec.title(language), "steps": steps},
    )


@staff_view(roles=ADMINS)
@require_POST
def publish(request: HttpRequest, form_id: int, *, municipality: Municipality) -> HttpResponse:
    form = get_object_or_404(FormDefinition, pk=form_id)
    publish_form_version(form, actor=request.user)  # type: ignore[arg-type]
    messages.success(
        request, _("Version %(version)d is now published for the whole Kreis.") % {"version": form.version}
    )
    return HttpResponseRedirect(reverse("form_admin:overview", args=[municipality.slug]))
