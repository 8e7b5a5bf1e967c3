"""Staff pages of appointments under /backoffice/<municipality>/termine/.

Included before the accounts' back-office URLs; every view is guarded by ``staff_view`` and walked by
``tests/accounts/test_isolation.py``. Fixed path segments (``woche``, ``buchen``, ``kapazitaet``,
``termin``) come before the day, whose pattern only matches a date.
"""

from django.urls import path, re_path

from .views import backoffice

app_name = "appointments_backoffice"

_OFFICE = r"^(?P<municipality_slug>[-a-zA-Z0-9_]+)/termine/(?P<office_slug>[-a-zA-Z0-9_]+)/"

urlpatterns = [
    path("<slug:municipality_slug>/termine/", backoffice.index, name="index"),
    path("<slug:municipality_slug>/termine/<slug:office_slug>/woche/<str:week>/", backoffice.week, name="week"),
    path("<slug:municipality_slug>/termine/<slug:office_slug>/buchen/", backoffice.book, name="book"),
    path("<slug:municipality_slug>/termine/<slug:office_slug>/kapazitaet/", backoffice.capacity, name="capacity"),
    path(
        "<slug:municipality_slug>/termine/<slug:office_slug>/termin/<str:code>/",
        backoffice.appointment,
        name="appointment",
    ),
    path(
        "<slug:municipality_slug>/termine/<slug:office_slug>/termin/<str:code>/verschieben/",
        backoffice.move,
        name="move",
    ),
    re_path(_OFFICE + r"(?P<day>\d{4}-\d{2}-\d{2})/$", backoffice.day, name="day"),
]
