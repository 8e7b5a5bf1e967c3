"""Public pages of the live queue under /warteschlange/.

Fixed paths (the ticket pages, the web app's manifest and service worker) come before the office
paths ``<municipality>/<office>/...``.
"""

from django.urls import include, path

app_name = "queueing"

urlpatterns = [
    path("", include("buergerbuero.queueing.urls_ticket")),
    path("", include("buergerbuero.queueing.urls_public")),
    path("", include("buergerbuero.queueing.urls_kiosk")),
    path("", include("buergerbuero.queueing.urls_live")),
]
