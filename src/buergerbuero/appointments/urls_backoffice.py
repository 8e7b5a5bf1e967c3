"""Staff pages of appointments under /backoffice/<municipality>/termine/."""

from django.urls import URLPattern

urlpatterns: list[URLPattern] = []
