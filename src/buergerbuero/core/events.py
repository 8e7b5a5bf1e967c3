"""The event bus (placeholder: the real in-process and PostgreSQL backends land next)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any


def publish(channel: str, payload: Mapping[str, Any]) -> None:
    """Deliver ``payload`` to the subscribers of ``channel`` after the current transaction commits."""
