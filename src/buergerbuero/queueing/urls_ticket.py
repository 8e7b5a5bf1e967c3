"""The citizen's ticket pages, the web app's manifest and service worker, and the remote draw and
check-in of an office; ``queueing/urls.py`` includes them under ``/warteschlange/`` (app ``queueing``).
The fixed paths come first, so no office slug can shadow them."""

from django.urls import path

from .views import pwa, ticket

urlpatterns = [
    path("manifest.webmanifest", pwa.manifest, name="manifest"),
    path("sw.js", pwa.service_worker, name="service-worker"),
    path("ticket/<uuid:public_id>/", ticket.ticket_page, name="ticket"),
    path("ticket/<uuid:public_id>/status.json", ticket.ticket_status_json, name="ticket-status"),
    path("ticket/<uuid:public_id>/verschieben/", ticket.postpone, name="ticket-postpone"),
    path("ticket/<uuid:public_id>/zurueckgeben/", ticket.cancel, name="ticket-cancel"),
    path("ticket/<uuid:public_id>/alarm/", ticket.alert, name="ticket-alert"),
    path("ticket/<uuid:public_id>/push/", ticket.push_subscription, name="ticket-push"),
    path("<slug:municipality>/<slug:office>/ziehen/", ticket.draw, name="draw"),
    path("<slug:municipality>/<slug:office>/einchecken/<str:token>/", ticket.check_in, name="check-in"),
]
