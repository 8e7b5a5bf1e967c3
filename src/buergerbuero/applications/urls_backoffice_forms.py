"""The Kreis-wide form administration (``/backoffice/<town>/formulare/...``)."""

from django.urls import path

from .views import form_admin

app_name = "form_admin"

urlpatterns = [
    path("<slug:municipality_slug>/formulare/", form_admin.overview, name="overview"),
    path("<slug:municipality_slug>/formulare/<slug:service_slug>/neu/", form_admin.upload, name="upload"),
    path("<slug:municipality_slug>/formulare/version/<int:form_id>/", form_admin.preview, name="preview"),
    path(
        "<slug:municipality_slug>/formulare/version/<int:form_id>/veroeffentlichen/", form_admin.publish, name="publish"
    ),
]
