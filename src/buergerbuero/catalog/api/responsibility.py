"""``GET /api/responsibility``: the responsibility finder for apps and other portals.

The same rules as the finder on the service pages (``catalog.responsibility``,
``catalog.selectors.responsibility_for``). A postcode shared by several municipalities is
answered with ``status: "ambiguous"`` and the candidates; ask the citizen and repeat the
request with ``ags``.
"""

from __future__ import annotations

import datetime as dt
import re

from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import Field, Router, Schema
from ninja.responses import Status as HttpStatus

from buergerbuero.tenants.selectors import current_district

from ..geo import ATTRIBUTION, PostcodeError, clean_postcode
from ..models import Service
from ..responsibility import Place, PlaceStatus, Responsibility, Status, outside_message
from ..selectors import municipality_by_ags, resolve_postcode, responsibility_for

router = Router()

_LEIKA = re.compile(r"^99\d{12}$")
_AGS = re.compile(r"^\d{8}$")


class ErrorOut(Schema):
    detail: str = Field(description="What is wrong with the request, in the language of the request")


class ServiceRefOut(Schema):
    slug: str
    leika_key: str = Field(description="The 14-digit LeiKa key")
    name: str
    level: str = Field(description="Responsible level: municipality, district, state or federal")


class AddressOut(Schema):
    postcode: str
    street: str = Field(description="As entered; the data has no street directory, so it does not decide")
    house_number: str


class PlaceOut(Schema):
    ags: str = Field(description="Amtlicher Gemeindeschlüssel, 8 digits")
    name: str
    district_name: str = Field(description="The Kreis; empty for a kreisfreie Stadt")
    state_name: str


class MunicipalityRefOut(Schema):
    ags: str
    name: str
    slug: str


class HoursOut(Schema):
    weekday: int = Field(description="0 = Monday … 6 = Sunday")
    opens: dt.time
    closes: dt.time


class OfficeOut(Schema):
    name: str
    street: str
    house_number: str
    postcode: str
    city: str
    phone: str
    email: str
    accessibility: str
    service_hours: bool = Field(description="true: the hours are this service's own, not the office's")
    hours: list[HoursOut]


class StepOut(Schema):
    channel: str = Field(description="online, appointment, walk_in, post, or origin (an imported service)")
    text: str
    url: str


class AuthorityOut(Schema):
    name: str
    via: str = Field(description="own, served_by (another tenant serves the municipality), district or none")
    provider: MunicipalityRefOut | None = Field(description="The tenant whose offices serve the citizen")
    contact_phone: str
    contact_email: str
    website: str


class ResponsibilityOut(Schema):
    status: str = Field(description="resolved, ambiguous, outside or not_offered")
    message: str = Field(description="A sentence for the citizen, in the language of the request")
    service: ServiceRefOut
    address: AddressOut | None
    place: PlaceOut | None = Field(description="Where the postcode (and choice) lead, also outside the Kreis")
    municipality: MunicipalityRefOut | None = Field(description="The citizen's municipality in this Kreis")
    candidates: list[PlaceOut] = Field(description="For status ambiguous: repeat the request with one ags")
    authority: AuthorityOut | None
    offices: list[OfficeOut]
    channels: list[str]
    online_assurance: int = Field(description="Minimum eIDAS level of assurance online: 1 low, 2 substantial, 3 high")
    steps: list[StepOut]
    attribution: str


@router.get(
    "/responsibility",
    response={200: ResponsibilityOut, 400: ErrorOut, 404: ErrorOut, 422: ErrorOut},
    summary="Who is responsible for a service, for an address or a municipality",
)
def find_responsibility(
    request: HttpRequest,
    service: str = "",
    leika: str = "",
    postcode: str = "",
    street: str = "",
    house_number: str = "",
    ags: str = "",
) -> HttpStatus[dict[str, object]]:
    """Name the responsible authority, its offices with hours and how to proceed.

    Give the service by ``service`` (slug) or ``leika`` (14 digits), and the citizen's
    ``postcode`` (with ``street`` and ``house_number``, which are recorded only) or a town's
    ``ags``. With both, ``ags`` chooses among the municipalities of a shared postcode: a shared
    postcode without it is answered with status ``ambiguous`` and the ``candidates``.
    Status ``outside``: the postcode belongs to another Kreis (``place`` and ``message`` name it);
    ``not_offered``: nobody on this platform offers the service for that town (``authority`` has its contact).
    400: neither service nor place given; 404: unknown service; 422: malformed or unknown postcode or AGS.
    """
    if not (service or leika):
        return HttpStatus(400, {"detail": _("Name the service by its slug (service) or its LeiKa key (leika).")})
    if not (postcode or ags):
        return HttpStatus(400, {"detail": _("Give a postcode (postcode) or a municipality key (ags).")})
    if leika and not _LEIKA.match(leika):
        return HttpStatus(422, {"detail": _("A LeiKa key has 14 digits and starts with 99.")})
    if ags and not _AGS.match(ags):
        return HttpStatus(422, {"detail": _("The AGS has exactly 8 digits.")})
    found = (
        Service.objects.filter(slug=service).first()
        if service
        else Service.objects.filter(leika_key=leika).order_by("id").first()
    )
    if found is None:
        return HttpStatus(404, {"detail": _("There is no such service in the catalogue.")})
    body = _empty(found)
    district_name = getattr(current_district(), "name", "") or _("this Kreis")

    if not postcode:
        home = municipality_by_ags(ags)
        if home is None:
            message = _("%(ags)s is not a town of the %(district)s.") % {"ags": ags, "district": district_name}
            return HttpStatus(422, {"detail": message})
        return HttpStatus(200, _resolved(body, responsibility_for(found, home)))

    try:
        postcode = clean_postcode(postcode)
    except PostcodeError as error:
        return HttpStatus(422, {"detail": str(error)})
    body["address"] = {"postcode": postcode, "street": street.strip(), "house_number": house_number.strip()}
    resolution = resolve_postcode(postcode, chosen_ags=ags or None)
    unknown = _("We do not know the postcode %(postcode)s. Please check it.") % {"postcode": postcode}
    if resolution.status == PlaceStatus.UNKNOWN:
        return HttpStatus(422, {"detail": unknown})
    if resolution.status == PlaceStatus.AMBIGUOUS:
        body["status"] = Status.AMBIGUOUS
        body["candidates"] = [_place(candidate) for candidate in resolution.candidates]
        body["message"] = _(
            "The postcode %(postcode)s belongs to several municipalities. Which one do you live in?"
        ) % {"postcode": postcode}
        return HttpStatus(200, body)
    place = resolution.place
    if place is None:  # INSIDE and OUTSIDE always carry the place
        return HttpStatus(422, {"detail": unknown})
    body["place"] = _place(place)
    home = municipality_by_ags(place.ags) if resolution.status == PlaceStatus.INSIDE else None
    if home is None:
        body["status"] = Status.OUTSIDE
        body["message"] = outside_message(place, district_name=district_name, level=found.level)
        if found.level in ("state", "federal") and found.authority:
            body["authority"] = _authority_name_only(found.authority)
        return HttpStatus(200, body)
    return HttpStatus(200, _resolved(body, responsibility_for(found, home)))


def _empty(service: Service) -> dict[str, object]:
    return {
        "status": "",
        "message": "",
        "service": {"slug": service.slug, "leika_key": service.leika_key, "name": service.name, "level": service.level},
        "address": None,
        "place": None,
        "municipality": None,
        "candidates": [],
        "authority": None,
        "offices": [],
        "channels": [],
        "online_assurance": service.online_assurance,
        "steps": [],
        "attribution": ATTRIBUTION,
    }


def _place(place: Place) -> dict[str, str]:
    return {"ags": place.ags, "name": place.name, "district_name": place.district_name, "state_name": place.state_name}


def _authority_name_only(name: str) -> dict[str, object]:
    return {"name": name, "via": "none", "provider": None, "contact_phone": "", "contact_email": "", "website": ""}


def _resolved(body: dict[str, object], result: Responsibility) -> dict[str, object]:
    home = result.municipality
    body["municipality"] = {"ags": home.ags, "name": home.name, "slug": home.slug}
    body["status"] = result.status
    if result.status == Status.NOT_OFFERED:
        body["message"] = _(
            "%(service)s is not offered for residents of %(municipality)s on this platform. "
            "Please contact %(authority)s."
        ) % {"service": result.variant.name, "municipality": home.name, "authority": result.authority}
    else:
        body["message"] = _("For residents of %(municipality)s, %(authority)s is responsible.") % {
            "municipality": home.name,
            "authority": result.authority,
        }
    provider = result.provider
    body["authority"] = {
        "name": result.authority,
        "via": result.via,
        "provider": {"ags": provider.ags, "name": provider.name, "slug": provider.slug} if provider else None,
        "contact_phone": result.contact_phone,
        "contact_email": result.contact_email,
        "website": result.website,
    }
    body["offices"] = [
        {
            "name": item.office.name,
            "street": item.office.street,
            "house_number": item.office.house_number,
            "postcode": item.office.postcode,
            "city": item.office.city,
            "phone": item.office.phone,
            "email": item.office.email,
            "accessibility": item.office.accessibility,
            "service_hours": item.service_hours,
            "hours": [{"weekday": w, "opens": o, "closes": c} for w, o, c in item.intervals],
        }
        for item in result.offices
    ]
    body["channels"] = result.variant.channels if result.status == Status.RESOLVED else []
    body["steps"] = [{"channel": step.channel, "text": step.text, "url": step.url} for step in result.steps]
    return body
