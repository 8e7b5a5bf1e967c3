"""``{% catalog_url "service" service.slug %}``: a catalogue page's URL for the Kreis or, when the
template has a ``municipality``, for that municipality's variant of the catalogue."""

from __future__ import annotations

from typing import Any

from django import template
from django.urls import reverse

register = template.Library()


@register.simple_tag(takes_context=True)
def catalog_url(context: template.Context, name: str, *args: Any) -> str:
    municipality = context.get("municipality")
    if municipality is not None:
        return reverse(f"catalog:municipality:{name}", args=[municipality.slug, *args])
    return reverse(f"catalog:{name}", args=list(args))
