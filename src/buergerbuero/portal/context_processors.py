from __future__ import annotations

from typing import Any

from django.http import HttpRequest

from buergerbuero.tenants.selectors import current_district


def portal(request: HttpRequest) -> dict[str, Any]:
    """What every page's layout needs: the Kreis, and the municipality whose branding applies.

    ``contact`` is whoever answers citizens' questions on this page: the municipality in its own
    branding, otherwise the Kreis. Imprint and privacy policy fall back to the Kreis's.
    """
    district = current_district()
    branding = getattr(request, "branding", None)
    contact = branding or district
    return {
        "district": district,
        "branding": branding,
        "contact": contact,
        "imprint_url": getattr(branding, "imprint_url", "") or getattr(district, "imprint_url", ""),
        "privacy_url": getattr(branding, "privacy_url", "") or getattr(district, "privacy_url", ""),
    }
