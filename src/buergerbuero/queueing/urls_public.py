"""Placeholder: filled in by the engineer who builds these pages."""

from django.urls import URLPattern

urlpatterns: list[URLPattern] = []
