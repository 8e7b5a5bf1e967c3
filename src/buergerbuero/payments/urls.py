"""Paying fees (``/bezahlen/...``): start, the demo provider's pages, the provider's return, the result."""

from django.urls import path

from . import views

app_name = "payments"

urlpatterns = [
    path("vorgang/<uuid:case_id>/", views.start, name="start"),
    path("demo/<uuid:payment_id>/", views.demo, name="demo"),
    path("<uuid:payment_id>/zurueck/", views.provider_return, name="return"),
    path("<uuid:payment_id>/ergebnis/", views.result, name="result"),
]
