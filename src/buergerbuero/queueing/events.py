"""What the live queue tells the event bus: one channel per office."""

from __future__ import annotations

from typing import Any

from buergerbuero.core import events


def office_channel(office_id: int) -> str:
    return f"queue.office.{office_id}"


def announce(office_id: int, kind: str, **data: Any) -> None:
    """Tell every display, counter and ticket page of the office that its queue changed (after commit)."""
    events.publish(office_channel(office_id), {"kind": kind, "office": office_id, **data})
