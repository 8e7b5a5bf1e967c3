"""The document checklist assistant: questionnaire, checklist, PDF (being built)."""

from django.http import Http404, HttpRequest, HttpResponse


def checklist(request: HttpRequest, **kwargs: str) -> HttpResponse:
    raise Http404


def checklist_pdf(request: HttpRequest, **kwargs: str) -> HttpResponse:
    raise Http404
