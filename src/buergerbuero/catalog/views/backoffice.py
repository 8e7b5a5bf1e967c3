"""Back office of the catalogue (being built)."""

from django.http import Http404, HttpRequest, HttpResponse


def catalog_list(request: HttpRequest, **kwargs: str) -> HttpResponse:
    raise Http404


def service_edit(request: HttpRequest, **kwargs: str) -> HttpResponse:
    raise Http404


def checklist_preview(request: HttpRequest, **kwargs: str) -> HttpResponse:
    raise Http404


def offering_list(request: HttpRequest, **kwargs: str) -> HttpResponse:
    raise Http404


def offering_edit(request: HttpRequest, **kwargs: str) -> HttpResponse:
    raise Http404
