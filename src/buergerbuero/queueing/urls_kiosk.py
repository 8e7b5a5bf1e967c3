"""The ticket machine and the waiting room's call display of an office; ``queueing/urls.py`` includes
them under ``/warteschlange/`` (app ``queueing``). The printed ticket lives under the kiosk's path, so
the kiosk's device cookie (limited to that path) reaches it."""

from django.urls import path

from .views import display, kiosk

urlpatterns = [
    path("<slug:municipality>/<slug:office>/kiosk/", kiosk.kiosk, name="kiosk"),
    path("<slug:municipality>/<slug:office>/kiosk/marke/<uuid:public_id>/", kiosk.kiosk_ticket, name="kiosk-ticket"),
    path("<slug:municipality>/<slug:office>/anzeige/", display.display, name="display"),
]
