from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class QueueingConfig(AppConfig):
    name = "buergerbuero.queueing"
    label = "queueing"
    verbose_name = _("Live queue")

    def ready(self) -> None:
        from . import receivers

        receivers.connect()  # appointments that are checked in draw a ticket

        from buergerbuero.notifications import webpush

        from .services.push import forget_endpoint

        webpush.on_subscription_gone(forget_endpoint)  # a browser unsubscribed: drop its rows
