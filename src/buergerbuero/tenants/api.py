"""Public, read-only API of the Kreis's municipalities and offices (for the app and other portals)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db.models import QuerySet
from django.http import HttpRequest
from ninja import Router, Schema

from .models import Municipality, Office
from .selectors import municipality_by_slug, offices_of, public_municipalities

router = Router(tags=["municipalities"])


class MunicipalityOut(Schema):
    slug: str
    name: str
    kind: str
    ags: str
    ars: str
    url: str

    @staticmethod
    def resolve_url(municipality: Municipality, context: dict[str, Any]) -> str:
        request: HttpRequest = context["request"]
        return request.build_absolute_uri(municipality.get_absolute_url())


class OpeningIntervalOut(Schema):
    weekday: int  #: 0 = Monday
    opens: dt.time
    closes: dt.time


class OfficeOut(Schema):
    slug: str
    name: str
    street: str
    house_number: str
    postcode: str
    city: str
    latitude: float | None
    longitude: float | None
    phone: str
    email: str
    accessibility: str
    opening_hours: list[OpeningIntervalOut]


@router.get("/municipalities", response=list[MunicipalityOut], summary="Municipalities of the Kreis")
def list_municipalities(request: HttpRequest, kind: str | None = None) -> QuerySet[Municipality]:
    """The towns of the Kreis and, with ``kind=district_administration``, the Kreis's own administration."""
    return public_municipalities(kind) if kind else public_municipalities()


@router.get("/municipalities/{slug}/offices", response=list[OfficeOut], summary="Offices and opening hours")
def list_offices(request: HttpRequest, slug: str) -> QuerySet[Office]:
    """The offices of one municipality with address, position and opening hours (404 for an unknown slug)."""
    return offices_of(municipality_by_slug(slug))
