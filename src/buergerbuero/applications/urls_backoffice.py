"""The back office's cases: ``/backoffice/<municipality>/antraege/`` (the inbox) and one case."""

from django.urls import path

from .views import backoffice

app_name = "inbox"

urlpatterns = [
    path("<slug:municipality_slug>/antraege/", backoffice.inbox, name="index"),
    path("<slug:municipality_slug>/antraege/<uuid:case_id>/", backoffice.case_page, name="case"),
    path(
        "<slug:municipality_slug>/antraege/<uuid:case_id>/bescheid.pdf",
        backoffice.decision_download,
        name="decision",
    ),
    path(
        "<slug:municipality_slug>/antraege/<uuid:case_id>/eingangsbestaetigung.pdf",
        backoffice.receipt_download,
        name="receipt",
    ),
]
