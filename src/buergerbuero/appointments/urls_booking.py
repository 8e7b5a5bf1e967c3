"""Citizen booking under /termine/: services → office → day → time (reserve) → contact → confirmation,
and the manage link (cancel, move) that needs no account."""

from django.urls import path, register_converter

from .views import booking, manage


class IsoDateConverter:
    regex = r"\d{4}-\d{2}-\d{2}"

    def to_python(self, value: str) -> str:
        return value

    def to_url(self, value: object) -> str:
        return str(value)


register_converter(IsoDateConverter, "isodate")

urlpatterns = [
    path("", booking.choose_services, name="start"),
    path("standorte/", booking.choose_office, name="offices"),
    path("standorte/<uuid:office_id>/", booking.choose_day, name="days"),
    path("standorte/<uuid:office_id>/<isodate:day>/", booking.choose_time, name="times"),
    path("reservierung/<uuid:public_id>/", booking.contact, name="contact"),
    path("bestaetigt/<uuid:public_id>/", booking.confirmed, name="confirmed"),
    path("bestaetigt/<uuid:public_id>/termin.ics", booking.confirmed_ics, name="confirmed_ics"),
    path("verwalten/<uuid:public_id>/<str:token>/", manage.overview, name="manage"),
    path("verwalten/<uuid:public_id>/<str:token>/termin.ics", manage.calendar_file, name="manage_ics"),
    path("verwalten/<uuid:public_id>/<str:token>/absagen/", manage.cancel, name="manage_cancel"),
    path("verwalten/<uuid:public_id>/<str:token>/verschieben/", manage.move_day, name="manage_move"),
    path(
        "verwalten/<uuid:public_id>/<str:token>/verschieben/<isodate:day>/", manage.move_time, name="manage_move_time"
    ),
]
