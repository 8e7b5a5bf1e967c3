"""Citizen account URLs (under /konto/)."""

from django.urls import path

from .views import portal

app_name = "accounts"

urlpatterns = [
    path("", portal.my_office, name="my_office"),
    path("anmelden/", portal.login_start, name="login"),
    path("oidc/callback/", portal.oidc_callback, name="oidc_callback"),
    path("abmelden/", portal.logout_view, name="logout"),
    path("abgemeldet/", portal.logged_out, name="logged_out"),
]
