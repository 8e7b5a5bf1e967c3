"""The citizen's downloads of uploaded files (``/antraege/dateien/<id>/``)."""

from django.urls import path

from .views import files

app_name = "case_files"

urlpatterns = [
    path("dateien/<uuid:public_id>/", files.citizen_download, name="download"),
]
