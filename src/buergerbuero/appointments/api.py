"""Public JSON API of appointments (services, offices, availability, booking), under /api/appointments/."""

from __future__ import annotations

from ninja import Router

router = Router(tags=["appointments"])
