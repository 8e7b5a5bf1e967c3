from __future__ import annotations

from typing import Any

from django.http import HttpRequest

from buergerbuero.tenants.selectors import current_district


def portal(request: HttpRequest) -> dict[str, Any]:
    """What every page's layout needs: the Kreis, and the municipality whose branding applies."""
    return {
        "district": current_district(),
        "branding": getattr(request, "branding", None),
    }
