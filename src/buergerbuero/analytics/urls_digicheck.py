"""The Digitalisierungscheck in the back office: the Kreis page first (a fixed path), then each town's."""

from django.urls import path

from .views import digicheck

app_name = "digicheck"

urlpatterns = [
    path("digitalisierungscheck/", digicheck.kreis_dashboard, name="kreis"),
    path("<slug:municipality_slug>/digitalisierungscheck/", digicheck.municipality_dashboard, name="municipality"),
]
