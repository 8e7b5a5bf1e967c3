"""Submitting a draft, the confirmation page and the receipt (``/antraege/...``)."""

from django.urls import path

from .views import submission

app_name = "submission"

urlpatterns = [
    path("entwurf/<uuid:draft_id>/absenden/", submission.submit, name="submit"),
    path("vorgang/<uuid:case_id>/eingegangen/", submission.done, name="done"),
    path("vorgang/<uuid:case_id>/eingangsbestaetigung.pdf", submission.receipt, name="receipt"),
]
