"""Citizen pages of the catalogue. The same pages exist for the Kreis (``/leistungen/...``) and,
as the municipality's variant, under its entry URL (``/<municipality>/leistungen/...``)."""

from django.urls import include, path

from .views import catalog, checklist, search

app_name = "catalog"

_pages = [
    path("", catalog.index, name="index"),
    path("suche/", search.results, name="search"),
    path("verfuegbarkeit/", catalog.availability_map, name="availability"),
    path("lebenslage/<slug:life_situation_slug>/", catalog.life_situation, name="life_situation"),
    path("<slug:service_slug>/", catalog.service_detail, name="service"),
    path("<slug:service_slug>/checkliste/", checklist.checklist, name="checklist"),
    path("<slug:service_slug>/checkliste.pdf", checklist.checklist_pdf, name="checklist_pdf"),
]

# Views take an optional ``municipality_slug``; without it they show the Kreis catalogue.
urlpatterns = [
    path("leistungen/", include(_pages)),
    path("<slug:municipality_slug>/leistungen/", include((_pages, "municipality"))),
]
