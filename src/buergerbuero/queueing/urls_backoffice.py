"""Staff pages of the live queue under /backoffice/<municipality>/warteschlange/.

Included before the accounts' back-office URLs; every view is guarded by ``staff_view`` and walked by
``tests/accounts/test_isolation.py``.
"""

from django.urls import path

from .views import backoffice, console

app_name = "queueing_backoffice"

_OFFICE = "<slug:municipality_slug>/warteschlange/<slug:office_slug>/"

urlpatterns = [
    path("<slug:municipality_slug>/warteschlange/", backoffice.index, name="index"),
    path(_OFFICE, backoffice.overview, name="overview"),
    path(f"{_OFFICE}einstellungen/", backoffice.queue_settings, name="settings"),
    path(f"{_OFFICE}schalter/", console.console, name="console"),
]
