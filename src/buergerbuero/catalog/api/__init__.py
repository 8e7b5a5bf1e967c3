"""The catalogue's public JSON API: services and checklists, responsibility, and the catalogue feed."""

from ninja import Router

from . import feed, responsibility, services

router = Router(tags=["catalogue"])
router.add_router("", services.router)
router.add_router("", responsibility.router)
router.add_router("", feed.router)
