"""The one place where tenancy is enforced.

Municipality-owned models use :class:`TenantManager` as their default manager.
Its querysets are filtered to the municipalities of the active :class:`Scope`;
with no scope active they raise :class:`ScopeError`, so a forgotten filter fails
loudly instead of leaking another municipality's data. A scope is entered once
per request (``TenantScopeMiddleware``) and once per task (``tenant_scope``).
Kreis-wide work opts out visibly with ``scopes_disabled()``.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Generic, TypeVar

from django.db import models

if TYPE_CHECKING:
    from buergerbuero.tenants.models import Municipality


class ScopeError(RuntimeError):
    """Municipality-owned data was queried with no tenant scope active."""


@dataclass(frozen=True)
class Scope:
    """Which municipalities the current code may see. ``None`` means all of them."""

    municipality_ids: frozenset[int] | None

    @property
    def is_unrestricted(self) -> bool:
        return self.municipality_ids is None

    def allows(self, municipality_id: int) -> bool:
        return self.municipality_ids is None or municipality_id in self.municipality_ids


_current: ContextVar[Scope | None] = ContextVar("buergerbuero_tenant_scope", default=None)


def current_scope() -> Scope | None:
    return _current.get()


@contextmanager
def tenant_scope(municipalities: Iterable[Municipality | int]) -> Iterator[Scope]:
    """Restrict municipality-owned queries to ``municipalities``."""
    ids = frozenset(m if isinstance(m, int) else m.pk for m in municipalities)
    token = _current.set(Scope(ids))
    try:
        yield _current.get()  # type: ignore[misc]
    finally:
        _current.reset(token)


@contextmanager
def scopes_disabled() -> Iterator[Scope]:
    """Kreis-wide work: see every municipality. Use it visibly, never by default."""
    token = _current.set(Scope(None))
    try:
        yield _current.get()  # type: ignore[misc]
    finally:
        _current.reset(token)


_M = TypeVar("_M", bound=models.Model)


class TenantManager(models.Manager[_M], Generic[_M]):
    """Default manager of every municipality-owned model.

    ``tenant_field`` is the lookup path from the model to its municipality,
    e.g. ``"municipality"`` or ``"office__municipality"``.
    """

    def __init__(self, tenant_field: str | None = None) -> None:
        super().__init__()
        self._declared_tenant_field = tenant_field

    def contribute_to_class(self, cls: type[_M], name: str) -> None:  # type: ignore[override]
        super().contribute_to_class(cls, name)
        # Django builds related managers (``office.opening_hours``) by subclassing the default manager
        # and calling ``__init__()`` without arguments, so the path is kept on the model, not the manager.
        if self._declared_tenant_field is not None:
            cls._tenant_field = self._declared_tenant_field  # type: ignore[attr-defined]

    @property
    def tenant_field(self) -> str:
        return str(getattr(self.model, "_tenant_field", None) or self._declared_tenant_field or "municipality")

    def deconstruct(self) -> Any:
        # Keep migrations stable: the argument is code, not schema.
        return super().deconstruct()

    def get_queryset(self) -> models.QuerySet[_M]:
        scope = _current.get()
        if scope is None:
            raise ScopeError(
                f"{self.model.__name__} is owned by a municipality; enter tenant_scope(...) "
                "or, for Kreis-wide work, scopes_disabled()"
            )
        queryset = super().get_queryset()
        if scope.municipality_ids is None:
            return queryset
        return queryset.filter(**{f"{self.tenant_field}__in": scope.municipality_ids})
