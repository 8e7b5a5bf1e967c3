"""Catalogue pages: index, life situation, service detail with the finder, availability map (being built)."""

from django.http import Http404, HttpRequest, HttpResponse


def index(request: HttpRequest, **kwargs: str) -> HttpResponse:
    raise Http404


def availability_map(request: HttpRequest, **kwargs: str) -> HttpResponse:
    raise Http404


def life_situation(request: HttpRequest, **kwargs: str) -> HttpResponse:
    raise Http404


def service_detail(request: HttpRequest, **kwargs: str) -> HttpResponse:
    raise Http404
