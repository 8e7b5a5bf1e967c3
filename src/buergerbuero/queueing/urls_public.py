"""Public pages of the live queue; ``queueing/urls.py`` includes them under ``/warteschlange/`` (app ``queueing``)."""

from django.urls import path

from .views import public

urlpatterns = [
    path("", public.occupancy, name="occupancy"),
    path("<slug:municipality>/<slug:office>/", public.office, name="office"),
]
