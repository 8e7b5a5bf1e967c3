from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AppointmentsConfig(AppConfig):
    name = "buergerbuero.appointments"
    label = "appointments"
    verbose_name = _("Appointments")

    def ready(self) -> None:
        from . import notifications, setup_cache

        notifications.register()  # the outbox handler that renders and sends appointment e-mails
        setup_cache.connect()  # per-process copies of offices, policies, groups and services
