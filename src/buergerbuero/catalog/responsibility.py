"""The rules of the responsibility finder (Zuständigkeitsfinder), as pure functions over plain data.

Two questions, answered in order:

1. *Where does the citizen live?* :func:`resolve_place` turns the postcode areas of an entered
   postcode (and, for a postcode shared by several municipalities, the citizen's choice) into one
   place, a follow-up question, or "outside the Kreis".
2. *Who serves them for this service?* :func:`pick_offering` chooses among the offerings that
   could apply, by the service's level of government.

``catalog.selectors`` loads the rows and builds the full :class:`Responsibility`; nothing here
touches the database.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from typing import TYPE_CHECKING, TypeVar

from django.utils.translation import gettext as _

from buergerbuero.portal.hours import DayHours, weekly_hours

from .constants import Level

if TYPE_CHECKING:
    from buergerbuero.tenants.models import Municipality, Office

    from .models import Service, ServiceOffering
    from .variants import ServiceVariant

__all__ = [
    "Place",
    "PlaceResolution",
    "PlaceStatus",
    "Responsibility",
    "ResponsibleOffice",
    "Status",
    "Step",
    "Via",
    "outside_message",
    "pick_offering",
    "resolve_place",
]


class PlaceStatus(StrEnum):
    INSIDE = "inside"  #: one municipality of this Kreis
    AMBIGUOUS = "ambiguous"  #: the postcode belongs to several municipalities: ask which
    OUTSIDE = "outside"  #: one municipality, but not of this Kreis
    UNKNOWN = "unknown"  #: no such postcode


class Status(StrEnum):
    """The answer of the finder, as the API reports it."""

    RESOLVED = "resolved"
    AMBIGUOUS = "ambiguous"
    OUTSIDE = "outside"
    NOT_OFFERED = "not_offered"


class Via(StrEnum):
    """How the offering that applies was found."""

    OWN = "own"  #: the home municipality's own offering
    SERVED_BY = "served_by"  #: another tenant's offering that names the home municipality in ``serves``
    DISTRICT = "district"  #: the Kreis administration's offering
    NONE = "none"  #: no offering applies


@dataclass(frozen=True)
class Place:
    """A (postcode, municipality) pair, as ``PostcodeArea`` has it."""

    postcode: str
    ags: str
    name: str
    district_name: str = ""  #: empty for a kreisfreie Stadt
    state_name: str = ""


@dataclass(frozen=True)
class PlaceResolution:
    status: PlaceStatus
    postcode: str
    place: Place | None = None  #: set when INSIDE or OUTSIDE
    candidates: tuple[Place, ...] = ()  #: set when AMBIGUOUS, by name
    choice_rejected: bool = False  #: a choice was given that is not among the candidates


def resolve_place(
    postcode: str, places: Sequence[Place], *, local_ags: Collection[str], chosen_ags: str | None = None
) -> PlaceResolution:
    """Decide where the citizen lives from the postcode's areas.

    ``local_ags`` are the AGS of this Kreis's municipalities. A postcode shared by several
    municipalities needs ``chosen_ags`` (one of them); the data has no street directory, so the
    street cannot decide. Ambiguity is asked about before "outside" is said.
    """
    by_ags: dict[str, Place] = {}
    for place in places:
        by_ags.setdefault(place.ags, place)
    if not by_ags:
        return PlaceResolution(PlaceStatus.UNKNOWN, postcode)
    if len(by_ags) == 1:
        place = next(iter(by_ags.values()))
    elif chosen_ags in by_ags:
        place = by_ags[chosen_ags]
    else:
        candidates = tuple(sorted(by_ags.values(), key=lambda p: (p.name, p.ags)))
        return PlaceResolution(PlaceStatus.AMBIGUOUS, postcode, candidates=candidates, choice_rejected=bool(chosen_ags))
    status = PlaceStatus.INSIDE if place.ags in local_ags else PlaceStatus.OUTSIDE
    return PlaceResolution(status, postcode, place=place)


def outside_message(place: Place, *, district_name: str, level: str | None = None) -> str:
    """Say that the place is outside this Kreis, which municipality is responsible, and the next step."""
    where = (
        _("%(kreis)s, %(state)s") % {"kreis": place.district_name, "state": place.state_name}
        if place.district_name
        else _("independent city in %(state)s") % {"state": place.state_name}
    )
    text = _(
        "%(postcode)s belongs to %(place)s (AGS %(ags)s, %(where)s), not to the %(district)s. "
        "The town or municipality of %(place)s is responsible for you."
    ) % {"postcode": place.postcode, "place": place.name, "ags": place.ags, "where": where, "district": district_name}
    if level == Level.DISTRICT:
        if place.district_name:
            text += " " + _("For this service, please contact the %(kreis)s.") % {"kreis": place.district_name}
        else:
            text += " " + _("For this service, %(place)s as an independent city is responsible itself.") % {
                "place": place.name
            }
    elif level in (Level.STATE, Level.FEDERAL):
        text += " " + _("The authority named below is the same for you.")
    return text


_O = TypeVar("_O")


def pick_offering(
    level: str, *, own: _O | None, serving: Sequence[_O], administration: _O | None
) -> tuple[_O | None, Via]:
    """The offering that applies to a resident, and how it was found.

    * municipality level: the home municipality's own offering, else one of another tenant that
      serves it, else the Kreis administration's;
    * Kreis level: an offering that explicitly serves the home municipality, else the Kreis
      administration's, else the home municipality's own (a town that takes the applications in);
    * Land and federal level: where to apply is usually still the municipality, so as for the
      municipality level; the authority is named by the service itself.
    """
    if level == Level.DISTRICT:
        order: list[tuple[_O | None, Via]] = [
            (serving[0] if serving else None, Via.SERVED_BY),
            (administration, Via.DISTRICT),
            (own, Via.OWN),
        ]
    else:
        order = [(own, Via.OWN), (serving[0] if serving else None, Via.SERVED_BY), (administration, Via.DISTRICT)]
    for offering, via in order:
        if offering is not None:
            return offering, via
    return None, Via.NONE


@dataclass(frozen=True)
class Step:
    """One way to proceed, e.g. apply online (with the level of assurance needed) or walk in."""

    channel: str  #: a ``catalog.constants.Channel`` value, or "origin" for an imported service
    text: str
    url: str = ""


@dataclass(frozen=True)
class ResponsibleOffice:
    office: Office
    intervals: list[tuple[int, dt.time, dt.time]]  #: (weekday, opens, closes), Monday = 0
    service_hours: bool  #: the hours are the service's own (``OfferingHours``), not the office's

    @property
    def week(self) -> list[DayHours]:
        return weekly_hours(self.intervals)


@dataclass(frozen=True)
class Responsibility:
    """Who is responsible for ``service`` for residents of ``municipality``, and how to proceed."""

    service: Service
    municipality: Municipality  #: the citizen's home
    status: Status  #: RESOLVED or NOT_OFFERED
    via: Via
    authority: str  #: the responsible authority's name
    provider: Municipality | None  #: the tenant whose offering applies
    offering: ServiceOffering | None
    variant: ServiceVariant
    offices: list[ResponsibleOffice] = field(default_factory=list)
    contact_phone: str = ""
    contact_email: str = ""
    website: str = ""
    steps: list[Step] = field(default_factory=list)

    @property
    def is_offered(self) -> bool:
        return self.status == Status.RESOLVED


def proceed_steps(
    variant: ServiceVariant,
    *,
    counter_minutes: int,
    assurance_label: str,
    origin_url: str = "",
    has_offices: bool = True,
    form_url: str = "",
) -> list[Step]:
    """How to proceed, most convenient first: online, appointment, walk-in, post.

    An imported service is applied for where it comes from (``origin_url``). Online, the platform's own
    form (``form_url``) comes before the variant's ``online_url``.
    """
    steps: list[Step] = []
    if origin_url:
        steps.append(Step("origin", _("Apply through the installation this service comes from."), origin_url))
    if variant.online_application:
        url = form_url or variant.online_url
        text = _("Apply online. You log in with your citizen account at the level of assurance “%(level)s”.") % {
            "level": assurance_label
        }
        steps.append(Step("online", text, url))
    if variant.by_appointment and has_offices:
        steps.append(
            Step(
                "appointment",
                _("Book an appointment at one of the offices below; plan about %(minutes)s minutes at the counter.")
                % {"minutes": counter_minutes},
            )
        )
    if variant.walk_in and has_offices:
        steps.append(Step("walk_in", _("Come by without an appointment during the opening hours below.")))
    if variant.by_post:
        steps.append(Step("post", _("Send your application by post to the responsible office.")))
    return steps
