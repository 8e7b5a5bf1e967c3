from __future__ import annotations

from typing import Any

from django import template

from buergerbuero.portal.colours import brand_palette
from buergerbuero.portal.monogram import monogram
from buergerbuero.tenants.models import Municipality

register = template.Library()


@register.inclusion_tag("portal/includes/badge.svg.html")
def municipality_badge(municipality: Municipality, *, decorative: bool = False, large: bool = False) -> dict[str, Any]:
    """The generated emblem of a municipality as inline SVG (colours as attributes, so the CSP allows it).

    ``decorative`` hides it from assistive technology where the name is written right next to it.
    """
    return {
        "name": municipality.name,
        "letters": monogram(municipality.name),
        "palette": brand_palette(municipality.primary_color),
        "decorative": decorative,
        "large": large,
    }
