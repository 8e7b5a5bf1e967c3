"""Citizen pages of appointments under /termine/. Each part has its own module; this one joins them."""

from django.urls import include, path

app_name = "appointments"

urlpatterns = [
    path("", include("buergerbuero.appointments.urls_booking")),
    path("", include("buergerbuero.appointments.urls_attendance")),
    path("", include("buergerbuero.appointments.urls_waitlist")),
]
