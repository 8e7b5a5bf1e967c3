"""Staff URLs (under /backoffice/): everything here runs in the staff member's tenant scope."""

from django.urls import path

from .views import backoffice

app_name = "backoffice"

urlpatterns = [
    path("", backoffice.start, name="start"),
]
