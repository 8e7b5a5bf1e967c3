"""The live stream of an office; ``queueing/urls.py`` includes it under ``/warteschlange/`` (app ``queueing``)."""

from django.urls import path

from .views import stream

urlpatterns = [
    path("<slug:municipality>/<slug:office>/live/", stream.office_stream, name="office-stream"),
]
