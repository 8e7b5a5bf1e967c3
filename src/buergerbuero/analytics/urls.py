"""Citizen feedback: rating a visit or an application, and the "what next online" survey (/rueckmeldung/...)."""

from django.urls import path

from .views import feedback

app_name = "feedback"

urlpatterns = [
    path("bewertung/danke/", feedback.thanks, name="thanks"),
    path("bewertung/<str:token>/", feedback.rate, name="rate"),
    path("umfrage/", feedback.survey, name="survey"),
    path("umfrage/danke/", feedback.survey_thanks, name="survey_thanks"),
]
