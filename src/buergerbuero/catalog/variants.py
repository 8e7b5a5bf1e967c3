"""The variant of a catalogue service that a municipality shows: catalogue texts with its own overrides.

Pure: takes rows already loaded, queries nothing. An override field left empty
(or ``None`` for channels and fee) falls back to the Kreis catalogue.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from buergerbuero.core.i18n import localized

from .models import Service, ServiceOffering

__all__ = ["ServiceVariant", "variant"]


@dataclass(frozen=True)
class ServiceVariant:
    service: Service
    offering: ServiceOffering | None
    name: str
    summary: str
    procedure: str
    note: str
    fee: dict[str, Any]
    online_application: bool
    by_appointment: bool
    walk_in: bool
    by_post: bool
    online_url: str
    contact_phone: str
    contact_email: str

    @property
    def channels(self) -> list[str]:
        """The channel values (``catalog.constants.Channel``) open for this variant, in a fixed order."""
        flags = {
            "online": self.online_application,
            "appointment": self.by_appointment,
            "walk_in": self.walk_in,
            "post": self.by_post,
        }
        return [channel for channel, open_ in flags.items() if open_]


def variant(service: Service, offering: ServiceOffering | None = None, language: str | None = None) -> ServiceVariant:
    """``service`` as ``offering``'s municipality shows it (or as the Kreis catalogue shows it)."""

    def text(field: str) -> str:
        own = localized(offering, field, language) if offering is not None else ""
        return own or localized(service, field, language)

    def flag(field: str) -> bool:
        own = getattr(offering, field) if offering is not None else None
        return bool(getattr(service, field) if own is None else own)

    return ServiceVariant(
        service=service,
        offering=offering,
        name=text("name"),
        summary=text("summary"),
        procedure=text("procedure"),
        note=localized(offering, "note", language) if offering is not None else "",
        fee=offering.fee if offering is not None and offering.fee is not None else dict(service.fee or {}),
        online_application=flag("online_application"),
        by_appointment=flag("by_appointment"),
        walk_in=flag("walk_in"),
        by_post=flag("by_post"),
        online_url=(offering.online_url if offering is not None else "") or service.online_url,
        contact_phone=offering.contact_phone if offering is not None else "",
        contact_email=offering.contact_email if offering is not None else "",
    )
