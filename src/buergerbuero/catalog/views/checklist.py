"""The document checklist assistant: a short questionnaire, then the exact checklist, as a page and a PDF.

The answers travel in the query string, so the page's URL with answers is the
shareable link, and ``checkliste.pdf`` with the same query renders the same checklist.
The Kreis page shows the catalogue; a municipality's page shows the variant of whoever
is responsible for its residents (its own offering, another town's or the Kreis's).
"""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urlencode

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_safe

from buergerbuero.analytics.checklist_uses import note_checklist_completed
from buergerbuero.portal.branding import municipality_page
from buergerbuero.tenants.models import Municipality
from buergerbuero.tenants.selectors import current_district

from ..checklist import Checklist, answers_query, parse_answers, questions_of
from ..models import Service
from ..pdf import render_pdf
from ..responsibility import Responsibility, Status
from ..selectors import checklist_for, home_municipality


@dataclass(frozen=True)
class ChecklistPage:
    service: Service
    municipality: Municipality | None
    responsibility: Responsibility | None
    checklist: Checklist
    errors: dict[str, str]
    raw: dict[str, str]  #: the submitted texts, to refill the form
    values: dict[str, str]  #: what the form shows: the canonical text of valid answers, else the submitted text
    submitted: bool
    query: str  #: the canonical query of the answers ("" without answers)

    @property
    def show_result(self) -> bool:
        return not self.errors and (self.checklist.complete or not self.checklist.has_questions)


def _load(request: HttpRequest, service_slug: str, municipality_slug: str | None) -> ChecklistPage:
    service = get_object_or_404(Service, slug=service_slug)
    municipality = municipality_page(request, municipality_slug)
    keys = [question.key for question in questions_of(service.questions)]
    submitted = any(key in request.GET for key in keys)
    answers, errors = parse_answers(service.questions, request.GET, require_all=submitted)
    checklist, responsibility = checklist_for(service, municipality, answers)
    if responsibility is not None and responsibility.status == Status.NOT_OFFERED:
        raise Http404("not offered here")
    raw = {key: request.GET.get(key, "").strip()[:100] for key in keys}
    canonical = answers_query(service.questions, answers)
    values = {**raw, **dict(canonical)}
    query = urlencode(canonical)
    return ChecklistPage(service, municipality, responsibility, checklist, errors, raw, values, submitted, query)


def _urls(page: ChecklistPage) -> tuple[str, str]:
    kwargs = {"service_slug": page.service.slug}
    if page.municipality is not None:
        kwargs["municipality_slug"] = page.municipality.slug
        names = ("catalog:municipality:checklist", "catalog:municipality:checklist_pdf")
    else:
        names = ("catalog:checklist", "catalog:checklist_pdf")
    suffix = f"?{page.query}" if page.query else ""
    return reverse(names[0], kwargs=kwargs) + suffix, reverse(names[1], kwargs=kwargs) + suffix


@require_safe
def checklist(request: HttpRequest, service_slug: str, municipality_slug: str | None = None) -> HttpResponse:
    page = _load(request, service_slug, municipality_slug)
    page_url, pdf_url = _urls(page)
    home = home_municipality(request) if page.municipality is None else None
    if page.submitted and page.show_result:  # the Digitalisierungscheck counts completed checklists
        note_checklist_completed(
            request, municipality=page.municipality or home, service=page.service, answers=page.query
        )
    home_url = ""
    if home is not None:
        home_url = reverse(
            "catalog:municipality:checklist", kwargs={"municipality_slug": home.slug, "service_slug": service_slug}
        ) + (f"?{page.query}" if page.query else "")
    return render(
        request,
        "catalog/checklist/checklist.html",
        {
            "page": page,
            "checklist": page.checklist,
            "service": page.service,
            "municipality": page.municipality,
            "responsibility": page.responsibility,
            "share_url": request.build_absolute_uri(page_url),
            "pdf_url": pdf_url,
            "form_url": page_url.split("?", 1)[0],
            "home": home,
            "home_url": home_url,
            "fields": [
                (question, page.errors.get(question.key, ""), page.values.get(question.key, ""))
                for question in page.checklist.questions
            ],
            "error_list": [
                (question, page.errors[question.key])
                for question in page.checklist.questions
                if question.key in page.errors
            ],
        },
    )


@require_safe
def checklist_pdf(request: HttpRequest, service_slug: str, municipality_slug: str | None = None) -> HttpResponse:
    page = _load(request, service_slug, municipality_slug)
    if not page.show_result:
        # Without (valid, complete) answers there is no exact checklist to print: back to the questionnaire.
        page_url, _pdf = _urls(page)
        raw_query = urlencode([(key, value) for key, value in page.raw.items() if value])
        response = HttpResponse(status=303)
        response["Location"] = page_url.split("?", 1)[0] + (f"?{raw_query}" if raw_query else "")
        return response
    page_url, _pdf = _urls(page)
    note_checklist_completed(
        request, municipality=page.municipality or home_municipality(request), service=page.service, answers=page.query
    )
    district = current_district()
    pdf = render_pdf(
        "catalog/checklist/checklist_pdf.html",
        {
            "page": page,
            "checklist": page.checklist,
            "service": page.service,
            "municipality": page.municipality,
            "responsibility": page.responsibility,
            "district": district,
            "share_url": request.build_absolute_uri(page_url),
            "created_at": timezone.localtime(),
        },
        request=request,
    )
    filename = "-".join(
        part for part in ("checkliste", page.service.slug, page.municipality.slug if page.municipality else "") if part
    )
    response = HttpResponse(pdf, content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="{filename}.pdf"'
    response["Cache-Control"] = "private, max-age=0"
    return response
