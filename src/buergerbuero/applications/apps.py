from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ApplicationsConfig(AppConfig):
    name = "buergerbuero.applications"
    verbose_name = _("Online applications")

    def ready(self) -> None:
        # Outbox handlers and the receivers of ``case_submitted`` that create hand-offs.
        # The catalogue links to the online forms without importing this app.
        from buergerbuero.catalog.online_forms import register_online_forms

        from . import confirmations, decision_notices, handlers  # noqa: F401
        from .fitconnect import receivers  # noqa: F401
        from .selectors_forms import online_form_urls
        from .services import handoffs  # noqa: F401

        register_online_forms(online_form_urls)
