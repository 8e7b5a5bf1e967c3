"""Kreis-wide search results (being built)."""

from django.http import Http404, HttpRequest, HttpResponse


def results(request: HttpRequest, **kwargs: str) -> HttpResponse:
    raise Http404
