"""Placeholder: filled in by the engineer who builds these pages."""

from django.urls import URLPattern

app_name = "queueing_backoffice"

urlpatterns: list[URLPattern] = []
