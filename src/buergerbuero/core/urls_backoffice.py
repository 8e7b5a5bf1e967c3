"""The outbox in the back office (``/backoffice/<municipality>/postausgang/``); views guarded by ``staff_view``."""

from django.urls import path

from . import views_backoffice

app_name = "outbox_admin"

urlpatterns = [
    path("<slug:municipality_slug>/postausgang/", views_backoffice.outbox_list, name="list"),
    path(
        "<slug:municipality_slug>/postausgang/<int:pk>/erneut-senden/",
        views_backoffice.outbox_resend,
        name="resend",
    ),
]
