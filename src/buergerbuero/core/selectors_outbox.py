"""Reads of the outbox for the back office: a municipality's undelivered (and delivered) messages."""

from __future__ import annotations

from django.db.models import QuerySet

from buergerbuero.tenants.models import Municipality

from .models import OutboxMessage

__all__ = ["OUTBOX_FILTERS", "outbox_message_of", "outbox_messages"]

#: The filters of the back-office list: failed and pending by default, or the sent ones.
OUTBOX_FILTERS: dict[str, tuple[str, ...]] = {
    "offen": (OutboxMessage.State.FAILED, OutboxMessage.State.PENDING),
    "fehlgeschlagen": (OutboxMessage.State.FAILED,),
    "wartend": (OutboxMessage.State.PENDING,),
    "gesendet": (OutboxMessage.State.SENT,),
}


def outbox_messages(municipality: Municipality, filter_key: str) -> QuerySet[OutboxMessage]:
    """The municipality's messages in the states of ``filter_key``: failed first, then by next attempt.

    The outbox is not tenant-scoped (the dispatcher works Kreis-wide), so the municipality filter is
    explicit here; messages concern a municipality through ``OutboxMessage.municipality``.
    """
    states = OUTBOX_FILTERS.get(filter_key, OUTBOX_FILTERS["offen"])
    rows = OutboxMessage.objects.filter(municipality=municipality, state__in=states).defer("payload")
    if filter_key == "gesendet":
        return rows.order_by("-sent_at", "-pk")
    return rows.order_by("-state", "next_attempt_at", "pk")  # "pending" sorts after "failed" descending


def outbox_message_of(municipality: Municipality, pk: int) -> OutboxMessage | None:
    """The municipality's message ``pk`` (``None`` for another municipality's or an unknown one)."""
    return OutboxMessage.objects.filter(municipality=municipality, pk=pk).first()
