from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CatalogConfig(AppConfig):
    name = "buergerbuero.catalog"
    label = "catalog"
    verbose_name = _("Service catalogue")

    def ready(self) -> None:
        # The catalogue feed's change capture (see catalog.signals) and the admin of its sources.
        from . import feed_admin, signals  # noqa: F401
