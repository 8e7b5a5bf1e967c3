"""The reminder's answers: "Yes, I'm coming" and "Cancel" (signed links; GET shows, POST acts)."""

from django.urls import path

from .views import attendance

urlpatterns = [
    path("erinnerung/<str:token>/kommen/", attendance.confirm, name="attendance_confirm"),
    path("erinnerung/<str:token>/absagen/", attendance.cancel, name="attendance_cancel"),
]
