"""Which municipality's pages a request shows: read from the URL, applied to the layout.

A view under a municipality's entry URL (``/kaarst/...``) calls :func:`municipality_page`; the
layout (``context_processors.portal``) then uses that municipality's name, colours and contact.
"""

from __future__ import annotations

from django.http import HttpRequest

from buergerbuero.tenants.models import Municipality
from buergerbuero.tenants.selectors import municipality_by_slug


def municipality_page(request: HttpRequest, municipality_slug: str | None) -> Municipality | None:
    """The municipality of ``municipality_slug`` (404 when unknown), now the page's branding;
    ``None`` without a slug: the Kreis's own pages."""
    if not municipality_slug:
        return None
    municipality = municipality_by_slug(municipality_slug)
    request.branding = municipality  # type: ignore[attr-defined]
    return municipality
