"""Reads about the Kreis, its municipalities and their offices."""

from __future__ import annotations

from django.db.models import Prefetch, QuerySet
from django.http import Http404

from .constants import MunicipalityKind
from .models import District, Municipality, Office, OpeningHours

__all__ = ["current_district", "municipality_by_slug", "offices_of", "public_municipalities"]


def current_district() -> District | None:
    """The Kreis this installation serves (the first one; one installation serves one Kreis)."""
    return District.objects.order_by("id").first()


def public_municipalities(kind: str = MunicipalityKind.MUNICIPALITY) -> QuerySet[Municipality]:
    """The towns of the Kreis (or, with ``kind``, the Kreis's own administration), by name."""
    return Municipality.objects.filter(kind=kind).select_related("district").order_by("name")


def municipality_by_slug(slug: str) -> Municipality:
    try:
        return Municipality.objects.select_related("district").get(slug=slug)
    except Municipality.DoesNotExist:
        raise Http404(slug) from None


def offices_of(municipality: Municipality) -> QuerySet[Office]:
    return (
        Office.objects.filter(municipality=municipality)
        .prefetch_related(Prefetch("opening_hours", queryset=OpeningHours.objects.order_by("weekday", "opens")))
        .order_by("name")
    )
