from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from buergerbuero.tenants.selectors import municipality_by_slug, offices_of, public_municipalities


def home(request: HttpRequest) -> HttpResponse:
    return render(request, "portal/home.html", {"municipalities": public_municipalities()})


def municipality_home(request: HttpRequest, municipality_slug: str) -> HttpResponse:
    municipality = municipality_by_slug(municipality_slug)
    request.branding = municipality  # type: ignore[attr-defined]
    return render(
        request,
        "portal/municipality.html",
        {"municipality": municipality, "offices": offices_of(municipality)},
    )
