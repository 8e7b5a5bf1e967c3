"""The Kreis-wide search page, and each municipality's variant of it (only what that municipality lists)."""

from __future__ import annotations

from dataclasses import dataclass

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_safe

from buergerbuero.portal.branding import municipality_page
from buergerbuero.tenants.models import Municipality

from ..constants import Channel
from ..models import LifeSituation
from ..search import group_hits
from ..selectors import (
    SEARCH_PAGE_SIZE,
    SearchItem,
    home_municipality,
    life_situations_with_services,
    search_items,
    search_services,
)

#: Longer queries are refused with a message (and kept in the box), not silently cut.
MAX_QUERY_LENGTH = 200
#: Pages beyond this are not offered: nobody reads result 500, and it bounds the work per request.
MAX_PAGE = 40


@dataclass(frozen=True)
class ResultRow:
    item: SearchItem
    url: str
    channels: list[str]


def service_url(slug: str, municipality: Municipality | None) -> str:
    if municipality is None:
        return reverse("catalog:service", kwargs={"service_slug": slug})
    return reverse(
        "catalog:municipality:service", kwargs={"municipality_slug": municipality.slug, "service_slug": slug}
    )


def search_url(municipality: Municipality | None) -> str:
    if municipality is None:
        return reverse("catalog:search")
    return reverse("catalog:municipality:search", kwargs={"municipality_slug": municipality.slug})


def _page_number(raw: str | None) -> int:
    try:
        return min(max(int(raw or "1"), 1), MAX_PAGE)
    except ValueError:
        return 1


@require_safe
def results(request: HttpRequest, municipality_slug: str | None = None) -> HttpResponse:
    municipality = municipality_page(request, municipality_slug)
    query = request.GET.get("q", "").strip()
    page = _page_number(request.GET.get("seite"))
    error = ""
    if len(query) > MAX_QUERY_LENGTH:
        error = _("Please enter at most %(count)d characters.") % {"count": MAX_QUERY_LENGTH}
    result = None
    groups: list[tuple[LifeSituation | None, list[ResultRow]]] = []
    if query and not error:
        result = search_services(
            query, municipality=municipality, limit=SEARCH_PAGE_SIZE, offset=(page - 1) * SEARCH_PAGE_SIZE
        )
        items = search_items(result, municipality=municipality, home=home_municipality(request))
        rows = [
            ResultRow(
                item=item,
                url=service_url(item.service.slug, municipality),
                channels=[str(Channel(channel).label) for channel in item.variant.channels],
            )
            for item in items
        ]
        groups = group_hits(rows, lambda row: row.item.life_situation)
    pages = 0
    if result is not None:
        pages = min((result.total + SEARCH_PAGE_SIZE - 1) // SEARCH_PAGE_SIZE, MAX_PAGE)
    return render(
        request,
        "catalog/search/results.html",
        {
            "municipality": municipality,
            "query": query,
            "error": error,
            "result": result,
            "groups": groups,
            "page": page,
            "pages": pages,
            "first_number": (page - 1) * SEARCH_PAGE_SIZE + 1,
            "search_url": search_url(municipality),
            "life_situations": (
                life_situations_with_services(municipality) if result is None or result.total == 0 else []
            ),
        },
    )
