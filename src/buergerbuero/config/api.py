"""The public JSON API: one NinjaAPI, one router per app. Schema at /api/openapi.json, docs at /api/docs."""

from __future__ import annotations

from ninja import NinjaAPI

from buergerbuero.appointments.api import router as appointments_router
from buergerbuero.catalog.api import router as catalog_router
from buergerbuero.tenants.api import router as tenants_router

api = NinjaAPI(
    title="Bürgerbüro API",
    version="1",
    description="Public API of the digital citizen office of a Kreis and its municipalities.",
    urls_namespace="api",
)
api.add_router("/", tenants_router)
api.add_router("/", catalog_router)
api.add_router("/appointments/", appointments_router)
api.add_router("/queue/", "buergerbuero.queueing.api.router")
api.add_router("/", "buergerbuero.applications.api.router")  # staff: /api/backoffice/{municipality}/cases
api.add_router("/opendata/", "buergerbuero.analytics.api.router")  # open data: monthly statistics per office
