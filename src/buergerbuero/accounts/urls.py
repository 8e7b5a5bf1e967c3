"""Citizen account URLs (under /konto/)."""

from django.urls import path

from .views import portal

app_name = "accounts"

urlpatterns = [
    path("", portal.my_office, name="my_office"),
]
