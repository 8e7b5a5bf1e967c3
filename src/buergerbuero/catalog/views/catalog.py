"""Catalogue pages: the A–Z index, a life situation, a service with the responsibility finder, the
availability map. Each exists for the Kreis and, with ``municipality_slug``, as that municipality's
variant (its branding, texts, fee, and only what it offers or is responsible for)."""

from __future__ import annotations

from dataclasses import dataclass, field

from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_safe

from buergerbuero.accounts.constants import AssuranceLevel
from buergerbuero.portal.branding import municipality_page
from buergerbuero.tenants.models import Municipality
from buergerbuero.tenants.selectors import current_district, public_municipalities

from .. import selectors
from ..constants import Channel, Level
from ..fees import describe
from ..geo import ATTRIBUTION, PostcodeError, clean_postcode
from ..models import Category, LifeSituation, Service
from ..online_forms import online_form_urls
from ..responsibility import Place, PlaceStatus, Responsibility, outside_message
from ..selectors import (
    HOME_SESSION_KEY,
    available_service_ids,
    catalogue_groups,
    home_municipality,
    life_situations_with_services,
    municipality_by_ags,
    offering_of,
    resolve_postcode,
    responsibility_for,
)
from ..variants import variant

#: Anchor of the finder section; its forms return there.
FINDER_ANCHOR = "zustaendigkeit"


@dataclass
class Finder:
    """The state of the finder form: what was entered, errors, the follow-up question, the answer."""

    postcode: str = ""
    street: str = ""
    house_number: str = ""
    chosen_ags: str = ""
    errors: dict[str, str] = field(default_factory=dict)
    candidates: tuple[Place, ...] = ()
    place: Place | None = None
    outside: str = ""  #: the message when the address is outside the Kreis
    home: Municipality | None = None
    result: Responsibility | None = None
    from_session: bool = False  #: the answer comes from an earlier visit, not this request

    @property
    def submitted(self) -> bool:
        return bool(self.postcode or self.chosen_ags or self.errors)


def _finder(request: HttpRequest, service: Service | None) -> Finder:
    """Read the finder's GET parameters, resolve them, and remember a resolved home municipality."""
    params = request.GET
    finder = Finder(
        postcode=params.get("postcode", "").strip()[:20],
        street=params.get("street", "").strip()[:200],
        house_number=params.get("house_number", "").strip()[:20],
        chosen_ags=params.get("ags", "").strip()[:8],
    )
    district_name = getattr(current_district(), "name", "") or _("this Kreis")
    if "postcode" in params:
        try:
            postcode = clean_postcode(finder.postcode)
        except PostcodeError as error:
            finder.errors["postcode"] = str(error)
            return finder
        finder.postcode = postcode
        resolution = resolve_postcode(postcode, chosen_ags=finder.chosen_ags or None)
        if resolution.status == PlaceStatus.UNKNOWN:
            finder.errors["postcode"] = _("We do not know the postcode %(postcode)s. Please check it.") % {
                "postcode": postcode
            }
            return finder
        if resolution.status == PlaceStatus.AMBIGUOUS:
            finder.candidates = resolution.candidates
            if resolution.choice_rejected:
                finder.errors["ags"] = _("Choose one of the municipalities listed.")
            return finder
        finder.place = resolution.place
        home = municipality_by_ags(resolution.place.ags) if resolution.place else None
        if home is None:
            if resolution.place is not None:
                level = service.level if service is not None else None
                finder.outside = outside_message(resolution.place, district_name=district_name, level=level)
            return finder
        finder.home = home
    elif "municipality" in params:
        finder.chosen_ags = params.get("municipality", "").strip()[:8]
        finder.home = municipality_by_ags(finder.chosen_ags) if finder.chosen_ags else None
        if finder.home is None:
            finder.errors["municipality"] = _("Choose your town or municipality from the list.")
            return finder
    else:
        finder.home = home_municipality(request)
        finder.from_session = finder.home is not None
    if finder.home is not None:
        if not finder.from_session:
            request.session[HOME_SESSION_KEY] = finder.home.ags
        if service is not None:
            finder.result = responsibility_for(service, finder.home)
    return finder


def _finder_context(request: HttpRequest, service: Service | None) -> dict[str, object]:
    return {
        "finder": _finder(request, service),
        "finder_anchor": FINDER_ANCHOR,
        "finder_municipalities": public_municipalities(),
        "postcode_attribution": ATTRIBUTION,
    }


@require_safe
def index(request: HttpRequest, municipality_slug: str | None = None) -> HttpResponse:
    municipality = municipality_page(request, municipality_slug)
    return render(
        request,
        "catalog/portal/index.html",
        {
            "municipality": municipality,
            "groups": catalogue_groups(municipality),
            "life_situations": life_situations_with_services(municipality),
            **_finder_context(request, None),
        },
    )


@require_safe
def life_situation(
    request: HttpRequest, life_situation_slug: str, municipality_slug: str | None = None
) -> HttpResponse:
    municipality = municipality_page(request, municipality_slug)
    situation = get_object_or_404(LifeSituation, slug=life_situation_slug)
    return render(
        request,
        "catalog/portal/life_situation.html",
        {
            "municipality": municipality,
            "life_situation": situation,
            "groups": catalogue_groups(municipality, life_situation=situation),
        },
    )


@require_safe
def service_detail(request: HttpRequest, service_slug: str, municipality_slug: str | None = None) -> HttpResponse:
    municipality = municipality_page(request, municipality_slug)
    service = get_object_or_404(Service.objects.prefetch_related("categories", "life_situations"), slug=service_slug)
    offering = offering_of(municipality, service) if municipality is not None else None
    shown = variant(service, offering)
    available = municipality is None or service.pk in available_service_ids(municipality)
    channel_labels = dict(Channel.choices)
    return render(
        request,
        "catalog/portal/service.html",
        {
            "municipality": municipality,
            "service": service,
            "variant": shown,
            "available": available,
            "online_form_url": online_form_urls().get(service.pk, "") if shown.online_application and available else "",
            "fee_text": describe(shown.fee) if shown.fee else "",
            "channels": [channel_labels[channel] for channel in shown.channels],
            "assurance": AssuranceLevel(service.online_assurance).label,
            "level": Level(service.level).label,
            "legal_basis": [part.strip() for part in service.legal_basis.split(";") if part.strip()],
            **_finder_context(request, service),
        },
    )


@require_safe
def availability_map(request: HttpRequest, municipality_slug: str | None = None) -> HttpResponse:
    municipality = municipality_page(request, municipality_slug)
    categories = list(Category.objects.filter(services__isnull=False).distinct().order_by("position", "name_de"))
    slug = request.GET.get("category", "")
    category = next((c for c in categories if c.slug == slug), None)
    error = _("There is no such category; all services are shown.") if slug and category is None else ""
    return render(
        request,
        "catalog/portal/availability.html",
        {
            "municipality": municipality,
            "categories": categories,
            "category": category,
            "category_error": error,
            "map": selectors.availability_map(category=category),
        },
    )
