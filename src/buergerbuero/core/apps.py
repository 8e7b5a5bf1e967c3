from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "buergerbuero.core"
    verbose_name = "Core"
