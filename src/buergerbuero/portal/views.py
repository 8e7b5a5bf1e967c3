"""Pages and assets of the citizen portal. Reads come from ``tenants.selectors``; presentation helpers
(colours, opening hours, PWA documents) are plain functions next to this module."""

from __future__ import annotations

import hashlib

from django.http import Http404, HttpRequest, HttpResponse, HttpResponseBase, JsonResponse
from django.shortcuts import render
from django.utils.cache import get_conditional_response, patch_cache_control, patch_vary_headers
from django.views.decorators.http import require_safe

from buergerbuero.catalog.selectors import online_offers
from buergerbuero.tenants.constants import MunicipalityKind
from buergerbuero.tenants.selectors import current_district, municipality_by_slug, offices_of, public_municipalities

from . import pwa
from .colours import brand_palette
from .hours import weekly_hours

#: Brand stylesheets are linked with ``?v=<colour>``, so a changed colour gets a new URL at once.
BRAND_CSS_MAX_AGE = 24 * 60 * 60


@require_safe
def home(request: HttpRequest) -> HttpResponse:
    return render(
        request,
        "portal/home.html",
        {
            "municipalities": public_municipalities(),
            "administrations": public_municipalities(MunicipalityKind.DISTRICT_ADMINISTRATION),
        },
    )


@require_safe
def municipality_home(request: HttpRequest, municipality_slug: str) -> HttpResponse:
    municipality = municipality_by_slug(municipality_slug)
    request.branding = municipality  # type: ignore[attr-defined]
    offices = [
        (office, weekly_hours((h.weekday, h.opens, h.closes) for h in office.opening_hours.all()))
        for office in offices_of(municipality)
    ]
    return render(
        request,
        "portal/municipality.html",
        {"municipality": municipality, "offices": offices, "online_offers": online_offers(municipality)},
    )


@require_safe
def municipality_brand_css(request: HttpRequest, municipality_slug: str) -> HttpResponseBase:
    return _brand_css(request, municipality_by_slug(municipality_slug).primary_color)


@require_safe
def district_brand_css(request: HttpRequest) -> HttpResponseBase:
    district = current_district()
    if district is None:
        raise Http404("no district configured")
    return _brand_css(request, district.primary_color)


def _brand_css(request: HttpRequest, colour: str) -> HttpResponseBase:
    body = brand_palette(colour).as_css()
    etag = '"' + hashlib.sha256(body.encode()).hexdigest()[:16] + '"'
    response = HttpResponse(body, content_type="text/css; charset=utf-8")
    response["ETag"] = etag
    patch_cache_control(response, public=True, max_age=BRAND_CSS_MAX_AGE)
    # A matching If-None-Match turns this into "304 Not Modified" with the same caching headers.
    return get_conditional_response(request, etag=etag, response=response) or response


@require_safe
def offline(request: HttpRequest) -> HttpResponse:
    return render(request, "portal/offline.html")


@require_safe
def manifest(request: HttpRequest) -> JsonResponse:
    response = JsonResponse(
        pwa.manifest(current_district()),
        content_type="application/manifest+json",
        json_dumps_params={"ensure_ascii": False, "indent": 2},
    )
    patch_cache_control(response, public=True, max_age=60 * 60)
    patch_vary_headers(response, ["Cookie", "Accept-Language"])
    return response


@require_safe
def service_worker(request: HttpRequest) -> HttpResponse:
    response = HttpResponse(pwa.service_worker_source(), content_type="text/javascript; charset=utf-8")
    # Served from the root so that it may control the whole site; always revalidated so updates arrive.
    response["Service-Worker-Allowed"] = "/"
    response["Cache-Control"] = "no-cache"
    return response
