"""Writes about municipalities. Each runs in one transaction and is audited."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from django.db import transaction

from buergerbuero.core.audit import diff, log_action, snapshot

from .models import Municipality

if TYPE_CHECKING:
    from buergerbuero.accounts.models import User

__all__ = ["BRANDING_FIELDS", "update_municipality_branding"]

#: What a municipality's own administrators may change about its look and contact details.
BRANDING_FIELDS = (
    "name",
    "tagline",
    "primary_color",
    "contact_email",
    "contact_phone",
    "website",
    "imprint_url",
    "privacy_url",
)


@transaction.atomic
def update_municipality_branding(
    *, municipality: Municipality, actor: User | None, data: Mapping[str, Any]
) -> Municipality:
    """Change branding and contact fields; audited as ``tenants.municipality.updated`` with the changes.

    The caller checks that ``actor`` may do this (municipality or Kreis admin). Only the keys in
    ``data`` change; saving unchanged values writes nothing and logs nothing.
    """
    unknown = set(data) - set(BRANDING_FIELDS)
    if unknown:
        raise ValueError(f"not branding fields: {sorted(unknown)}")
    locked = Municipality.objects.select_for_update().get(pk=municipality.pk)
    before = snapshot(locked, data.keys())
    for name, value in data.items():
        setattr(locked, name, value)
    locked.clean_fields(exclude=[f.name for f in Municipality._meta.fields if f.name not in data])
    changes = diff(before, snapshot(locked, data.keys()))
    if changes:
        locked.save(update_fields=list(changes))
        log_action(actor=actor, action="tenants.municipality.updated", obj=locked, municipality=locked, changes=changes)
    return locked
