"""The audit log: one call records every staff write."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, Any

from django.db import models

from .models import AuditEntry

if TYPE_CHECKING:
    from buergerbuero.accounts.models import User
    from buergerbuero.tenants.models import Municipality

__all__ = ["diff", "log_action", "snapshot"]


def snapshot(obj: models.Model, fields: Iterable[str]) -> dict[str, Any]:
    """The current values of ``fields`` of ``obj``, as JSON-friendly values, for :func:`diff`."""
    return {name: _jsonable(getattr(obj, name)) for name in fields}


def diff(before: Mapping[str, Any], after: Mapping[str, Any]) -> dict[str, list[Any]]:
    """``{field: [old, new]}`` for every field whose value changed."""
    return {name: [before.get(name), value] for name, value in after.items() if before.get(name) != value}


def log_action(
    *,
    actor: User | None,
    action: str,
    obj: models.Model | None = None,
    municipality: Municipality | None = None,
    changes: Mapping[str, Any] | None = None,
) -> AuditEntry:
    """Record that ``actor`` performed ``action`` (``app.object.verb``) on ``obj``.

    Call it inside the service's transaction, so the entry exists exactly when the write does.
    """
    if action.count(".") < 2:
        raise ValueError(f"audit action codes read app.object.verb, got {action!r}")
    return AuditEntry._base_manager.create(  # writing needs no read scope
        actor=actor,
        actor_name=actor.get_username() if actor is not None else "system",
        municipality=municipality,
        action=action,
        object_type=obj._meta.label_lower if obj is not None else "",
        object_id=str(obj.pk) if obj is not None else "",
        object_repr=str(obj)[:200] if obj is not None else "",
        changes={key: _jsonable(value) for key, value in (changes or {}).items()},
    )


def _jsonable(value: Any) -> Any:
    if value is None or isinstance(value, str | int | float | bool):
        return value
    if isinstance(value, list | tuple):
        return [_jsonable(v) for v in value]
    if isinstance(value, models.Model):
        return str(value.pk)
    return str(value)
