"""services (being built)."""

from ninja import Router

router = Router()
