"""Back-office statistics: the Kreis's fixed path first, then each municipality's."""

from django.urls import path

from .views import statistics

app_name = "statistics"

urlpatterns = [
    path("statistik/", statistics.district_statistics, name="district"),
    path("<slug:municipality_slug>/statistik/", statistics.municipality_statistics, name="municipality"),
]
