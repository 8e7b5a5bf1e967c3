"""Back-office pages of the catalogue: the Kreis maintains the catalogue, each municipality its offerings."""

from django.urls import path

from .views import backoffice

app_name = "catalog_backoffice"

urlpatterns = [
    path("katalog/", backoffice.catalog_list, name="catalog"),
    path("katalog/<slug:service_slug>/", backoffice.service_edit, name="service_edit"),
    path("katalog/<slug:service_slug>/vorschau/", backoffice.checklist_preview, name="checklist_preview"),
    path("<slug:municipality_slug>/leistungen/", backoffice.offering_list, name="offerings"),
    path("<slug:municipality_slug>/leistungen/<slug:service_slug>/", backoffice.offering_edit, name="offering_edit"),
]
