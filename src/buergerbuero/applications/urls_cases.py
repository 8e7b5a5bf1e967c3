"""The citizen's applications under ``/antraege/``: "Meine Anträge", a case, its answer and Bescheid."""

from django.urls import path

from .views import cases

app_name = "cases"

urlpatterns = [
    path("meine/", cases.my_cases, name="mine"),
    path("vorgang/<uuid:case_id>/", cases.detail, name="detail"),
    path("vorgang/<uuid:case_id>/antworten/", cases.answer, name="answer"),
    path("vorgang/<uuid:case_id>/bescheid.pdf", cases.decision, name="decision"),
]
