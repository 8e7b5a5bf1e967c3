"""The ticket page as an installable web app: its manifest and its service worker.

Both live at fixed paths under ``/warteschlange/`` (``queueing:manifest``, ``queueing:service-worker``);
the directory they sit in is the web app's scope, which the ticket page and its cookie share.
"""

from __future__ import annotations

from contextlib import suppress
from functools import lru_cache
from pathlib import Path
from uuid import UUID

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.templatetags.static import static
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext as _
from django.views.decorators.http import require_safe

__all__ = ["manifest", "scope", "service_worker"]

THEME_COLOUR = "#004b87"
SW_SOURCE = Path(__file__).resolve().parents[1] / "static" / "queueing" / "sw.js"


def scope() -> str:
    """The web app's scope: the directory of the manifest (``/warteschlange/``)."""
    return reverse("queueing:manifest").rsplit("/", 1)[0] + "/"


@require_safe
def manifest(request: HttpRequest) -> JsonResponse:
    """The manifest; ``?ticket=<public id>`` makes the installed app open that ticket's page."""
    app_scope = scope()
    start_url = app_scope
    with suppress(ValueError):
        start_url = reverse("queueing:ticket", kwargs={"public_id": UUID(request.GET.get("ticket", ""))})
    data = {
        "id": app_scope,
        "name": _("My ticket – live queue"),
        "short_name": _("My ticket"),
        "description": _("Your place in the queue of the citizen office, live, with an alert before your turn."),
        "lang": translation.get_language() or "de",
        "start_url": start_url,
        "scope": app_scope,
        "display": "standalone",
        "theme_color": THEME_COLOUR,
        "background_color": "#ffffff",
        "icons": [
            {"src": static("queueing/icons/icon-192.png"), "sizes": "192x192", "type": "image/png"},
            {"src": static("queueing/icons/icon-512.png"), "sizes": "512x512", "type": "image/png"},
            {"src": static("queueing/icons/icon.svg"), "sizes": "any", "type": "image/svg+xml"},
        ],
    }
    response = JsonResponse(data, content_type="application/manifest+json", json_dumps_params={"ensure_ascii": False})
    response["Cache-Control"] = "no-cache"
    return response


@lru_cache(maxsize=1)
def _worker_source() -> str:
    return SW_SOURCE.read_text(encoding="utf-8")


@require_safe
def service_worker(request: HttpRequest) -> HttpResponse:
    """The service worker, served from the scope's directory so it may control the ticket pages."""
    response = HttpResponse(_worker_source(), content_type="text/javascript; charset=utf-8")
    response["Service-Worker-Allowed"] = scope()
    response["Cache-Control"] = "no-cache"
    return response
