from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class NotificationsConfig(AppConfig):
    name = "buergerbuero.notifications"
    label = "notifications"
    verbose_name = _("Notifications")

    def ready(self) -> None:
        from . import checks, sms, webpush

        webpush.register()  # outbox handler "web_push"
        sms.register()  # outbox handler "sms"
        checks.register()
