"""Reads about accounts and roles."""

from __future__ import annotations

from typing import Any

from buergerbuero.tenants.models import Municipality

from .constants import Role
from .models import StaffRole

__all__ = ["is_district_admin", "staff_municipalities", "staff_municipality_ids", "staff_roles_in"]


def is_district_admin(user: Any) -> bool:
    if not getattr(user, "is_authenticated", False):
        return False
    return StaffRole.objects.filter(user=user, role=Role.DISTRICT_ADMIN).exists()


def staff_municipality_ids(user: Any) -> frozenset[int] | None:
    """The municipalities a staff member may see: ``None`` for all (Kreis admin), else a set (maybe empty)."""
    if not getattr(user, "is_authenticated", False) or user.is_citizen:
        return frozenset()
    roles = list(StaffRole.objects.filter(user=user).values_list("role", "municipality_id", "district_id"))
    district_ids = {district for role, _m, district in roles if role == Role.DISTRICT_ADMIN}
    ids = {m for role, m, _d in roles if m is not None}
    if district_ids:
        if len(district_ids) == Municipality.objects.values("district").distinct().count():
            return None
        ids |= set(Municipality.objects.filter(district_id__in=district_ids).values_list("id", flat=True))
    return frozenset(ids)


def staff_municipalities(user: Any) -> list[Municipality]:
    """The municipalities a staff member works for, for the start page and navigation."""
    ids = staff_municipality_ids(user)
    queryset = Municipality.objects.select_related("district").order_by("name")
    return list(queryset if ids is None else queryset.filter(id__in=ids))


def staff_roles_in(user: Any, municipality: Municipality) -> set[str]:
    """The roles ``user`` holds in ``municipality``, counting a Kreis admin of its district."""
    if not getattr(user, "is_authenticated", False):
        return set()
    roles = StaffRole.objects.filter(user=user).filter(municipality=municipality) | StaffRole.objects.filter(
        user=user, role=Role.DISTRICT_ADMIN, district_id=municipality.district_id
    )
    return set(roles.values_list("role", flat=True))
