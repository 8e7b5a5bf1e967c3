"""The installable app: web app manifest and service worker, built from the static files they name."""

from __future__ import annotations

import hashlib
import json
from typing import Any

from django.template.loader import render_to_string
from django.templatetags.static import static
from django.urls import reverse
from django.utils.translation import get_language
from django.utils.translation import gettext as _

from buergerbuero.tenants.models import District

__all__ = ["NEVER_CACHED_PREFIXES", "manifest", "precache_urls", "service_worker_source"]

DEFAULT_THEME_COLOUR = "#004b87"
BACKGROUND_COLOUR = "#f5f6f8"

#: Personal, staff and machine responses are never stored by the service worker.
NEVER_CACHED_PREFIXES = ("/konto/", "/backoffice/", "/api/", "/admin/", "/i18n/", "/jsi18n/")


def manifest(district: District | None) -> dict[str, Any]:
    name = _("Digital citizen office")
    if district is not None:
        name = f"{name} {district.name}"
    return {
        "id": "/",
        "name": name,
        "short_name": _("Citizen office"),
        "description": _("Find services, apply online and book appointments with your municipality."),
        "lang": get_language() or "de",
        "dir": "ltr",
        "start_url": "/",
        "scope": "/",
        "display": "standalone",
        "theme_color": district.primary_color if district is not None else DEFAULT_THEME_COLOUR,
        "background_color": BACKGROUND_COLOUR,
        "icons": [
            {"src": static("portal/icons/icon-192.png"), "sizes": "192x192", "type": "image/png", "purpose": "any"},
            {"src": static("portal/icons/icon-512.png"), "sizes": "512x512", "type": "image/png", "purpose": "any"},
            {
                "src": static("portal/icons/icon-maskable-512.png"),
                "sizes": "512x512",
                "type": "image/png",
                "purpose": "maskable",
            },
            {"src": static("portal/icons/icon.svg"), "sizes": "any", "type": "image/svg+xml", "purpose": "any"},
        ],
    }


def precache_urls() -> list[str]:
    """The offline page and the static shell, fetched when the service worker installs."""
    return [
        reverse("portal:offline"),
        static("portal/portal.css"),
        static("portal/app.js"),
        static("portal/icons/icon.svg"),
        static("portal/icons/icon-192.png"),
    ]


def service_worker_source() -> str:
    urls = precache_urls()
    # Static URLs carry content hashes in production, so a new deploy yields a new cache name.
    version = hashlib.sha256("\n".join(urls).encode()).hexdigest()[:12]
    return render_to_string(
        "portal/sw.js",
        {
            "version": version,
            "offline_url": json.dumps(reverse("portal:offline")),
            "precache": json.dumps(urls),
            "never_cached": json.dumps(NEVER_CACHED_PREFIXES),
            "static_prefix": json.dumps(static("")),
        },
    )
