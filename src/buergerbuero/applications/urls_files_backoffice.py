"""Staff downloads of a case's files (``/backoffice/<municipality>/antraege/dateien/<id>/``)."""

from django.urls import path

from .views import files

app_name = "case_files_staff"

urlpatterns = [
    path("<slug:municipality_slug>/antraege/dateien/<uuid:public_id>/", files.staff_download, name="download"),
]
