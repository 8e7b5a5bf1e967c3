"""An office that runs a live queue: lines (service groups with prefixes) over its counters.

``queue_office(office)`` gives the office (which has Platz 1 and Platz 2, open 8–12 and 13–16 on
weekdays) two lines — ``a`` "Pass und Ausweis" (prefix A, both counters) and ``k`` "Kfz" (prefix K,
Platz 2 only) — each with one 10-minute service, and returns them by key.
"""

from __future__ import annotations

from collections.abc import Iterable

from buergerbuero.accounts.models import User
from buergerbuero.appointments.models import ServiceGroup
from buergerbuero.core.tenancy import scopes_disabled
from buergerbuero.queueing.models import CounterSession
from buergerbuero.queueing.services import counters as counter_services
from buergerbuero.tenants.models import Counter, Office
from tests.catalog.factories import ServiceFactory


def queue_office(office: Office, **settings: object) -> dict[str, ServiceGroup]:
    from buergerbuero.queueing.models import QueueSettings

    with scopes_disabled():
        if settings:
            QueueSettings.objects.update_or_create(office=office, defaults=settings)
        platz = list(Counter.objects.filter(office=office).order_by("pk"))
        lines = {
            "a": ServiceGroup.objects.create(office=office, key="a", name="Pass und Ausweis", ticket_prefix="A"),
            "k": ServiceGroup.objects.create(office=office, key="k", name="Kfz", ticket_prefix="K"),
        }
        lines["a"].counters.set(platz)
        lines["k"].counters.set(platz[1:])
        lines["a"].services.set([ServiceFactory(counter_minutes=10)])
        lines["k"].services.set([ServiceFactory(counter_minutes=10)])
    return lines


def sign_in(user: User, office: Office, counter_name: str, lines: Iterable[ServiceGroup]) -> CounterSession:
    with scopes_disabled():
        counter = Counter.objects.get(office=office, name=counter_name)
    return counter_services.open_session(counter, user, lines)
