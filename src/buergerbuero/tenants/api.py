"""Public, read-only API of the Kreis's municipalities and offices (for the app and other portals)."""

from __future__ import annotations

import datetime as dt

from django.http import HttpRequest
from ninja import Router, Schema

from .selectors import municipality_by_slug, offices_of, public_municipalities

router = Router(tags=["municipalities"])


class MunicipalityOut(Schema):
    slug: str
    name: str
    kind: str
    ags: str
    ars: str
    url: str


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
def list_municipalities(request: HttpRequest, kind: str | None = None) -> list[MunicipalityOut]:
    """The towns of the Kreis and, with ``kind=district_administration``, the Kreis's own administration."""
    municipalities = public_municipalities(kind) if kind else public_municipalities()
    return [
        MunicipalityOut(
            slug=m.slug,
            name=m.name,
            kind=m.kind,
            ags=m.ags,
            ars=m.ars,
            url=request.build_absolute_uri(m.get_absolute_url()),
        )
        for m in municipalities
    ]


@router.get("/municipalities/{slug}/offices", response=list[OfficeOut], summary="Offices and opening hours")
def list_offices(request: HttpRequest, slug: str) -> list[OfficeOut]:
    """The offices of one municipality with address, position and opening hours (404 for an unknown slug)."""
    municipality = municipality_by_slug(slug)
    return [
        OfficeOut(
            slug=office.slug,
            name=office.name,
            street=office.street,
            house_number=office.house_number,
            postcode=office.postcode,
            city=office.city,
            latitude=float(office.latitude) if office.latitude is not None else None,
            longitude=float(office.longitude) if office.longitude is not None else None,
            phone=office.phone,
            email=office.email,
            accessibility=office.accessibility,
            opening_hours=[
                OpeningIntervalOut(weekday=h.weekday, opens=h.opens, closes=h.closes)
                for h in office.opening_hours.all()
            ],
        )
        for office in offices_of(municipality)
    ]
