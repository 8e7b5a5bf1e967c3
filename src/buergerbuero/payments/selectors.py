"""Reads of the payments app: a citizen's own payments."""

from __future__ import annotations

from typing import TYPE_CHECKING
from uuid import UUID

from buergerbuero.core.tenancy import scopes_disabled

from .models import Payment

if TYPE_CHECKING:
    from buergerbuero.accounts.models import User

__all__ = ["own_payment", "payment_by_id"]


def payment_by_id(public_id: UUID) -> Payment | None:
    """A payment by its public id, for the provider's signed return (whose signature is the proof)."""
    with scopes_disabled():
        return Payment.objects.filter(public_id=public_id).select_related("case").first()


def own_payment(citizen: User, public_id: UUID) -> Payment | None:
    """The citizen's payment with this id (with its case and the case's municipality), or ``None``."""
    with scopes_disabled():
        return (
            Payment.objects.filter(public_id=public_id, case__citizen=citizen)
            .select_related("case__municipality", "case__service")
            .first()
        )
