"""The waitlist: citizens register interest; freed times are offered to them in turn.

(Implemented by the fairness work package; ``offer_freed_slots`` is called by
``booking.return_due_capacity`` whenever capacity comes back.)
"""

from __future__ import annotations

from datetime import datetime

from buergerbuero.tenants.models import Office


def offer_freed_slots(office: Office, *, now: datetime) -> int:
    """Offer freed times at ``office`` to waiting citizens; returns how many offers were made."""
    return 0
