"""Reads of the catalogue."""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass
from typing import Any

from django.db import connection
from django.db.models import Count, Prefetch, Q, QuerySet
from django.http import HttpRequest

from buergerbuero.accounts.constants import AssuranceLevel
from buergerbuero.core.tenancy import scopes_disabled
from buergerbuero.tenants.constants import MunicipalityKind
from buergerbuero.tenants.models import Municipality, Office
from buergerbuero.tenants.selectors import offices_of, public_municipalities

from .checklist import Checklist, build_checklist
from .constants import Level
from .geo import PostcodeError, clean_postcode
from .models import Category, LifeSituation, OfferingHours, PostcodeArea, Service, ServiceOffering
from .online_forms import online_form_urls
from .responsibility import (
    Place,
    PlaceResolution,
    PlaceStatus,
    Responsibility,
    ResponsibleOffice,
    Status,
    Via,
    pick_offering,
    proceed_steps,
    resolve_place,
)
from .search import Document, SearchIndex, SearchResult
from .synonyms import synonyms
from .variants import ServiceVariant, variant
from .versioning import catalog_version

__all__ = [
    "HOME_SESSION_KEY",
    "SEARCH_PAGE_SIZE",
    "OnlineOffer",
    "SearchCatalog",
    "SearchItem",
    "availability_map",
    "available_service_ids",
    "backoffice_services",
    "build_search_catalog",
    "catalogue_groups",
    "checklist_for",
    "clear_search_cache",
    "district_administration",
    "home_municipality",
    "life_situations_with_services",
    "municipality_by_ags",
    "offering_of",
    "offerings_by_service",
    "online_offers",
    "postcode_places",
    "resolve_postcode",
    "responsibility_for",
    "search_catalog",
    "search_items",
    "search_services",
]


def backoffice_services(*, query: str = "", category: str = "", level: str = "") -> QuerySet[Service]:
    """Catalogue services for the back-office lists, filtered by a search text, a category slug and a level."""
    services = Service.objects.all()
    query = query.strip()
    if query:
        services = services.filter(
            Q(name_de__icontains=query)
            | Q(name_en__icontains=query)
            | Q(keywords__icontains=query)
            | Q(leika_key__startswith=query)
            | Q(slug__icontains=query)
        )
    if category:
        services = services.filter(categories__slug=category)
    if level:
        services = services.filter(level=level)
    return services.annotate(requirement_count=Count("requirements", distinct=True)).order_by("name_de")


def offerings_by_service(municipality: Municipality) -> dict[int, ServiceOffering]:
    """``municipality``'s offerings with their offices, by service id (runs in the tenant scope)."""
    offerings = ServiceOffering.objects.filter(municipality=municipality).prefetch_related("offices")
    return {offering.service_id: offering for offering in offerings}


def offering_of(municipality: Municipality, service: Service) -> ServiceOffering | None:
    """``municipality``'s offering of ``service`` with offices and hours, or ``None`` when it does not offer it."""
    return (
        ServiceOffering.objects.filter(municipality=municipality, service=service)
        .prefetch_related("offices", Prefetch("hours", queryset=OfferingHours.objects.order_by("weekday", "opens")))
        .first()
    )


# --- responsibility finder and citizen catalogue pages ----------------------------------------------------

#: Where the finder keeps the citizen's home municipality (its AGS) between pages.
HOME_SESSION_KEY = "catalog_home_ags"


def district_administration() -> Municipality | None:
    """The Kreis's own administration as a tenant (Straßenverkehrsamt, Ausländerbehörde), if set up."""
    return public_municipalities(MunicipalityKind.DISTRICT_ADMINISTRATION).order_by("id").first()


def municipality_by_ags(ags: str) -> Municipality | None:
    """The town of the Kreis with this AGS, or ``None``."""
    return public_municipalities().filter(ags=ags).first()


def postcode_places(postcode: str) -> list[Place]:
    """The municipalities a postcode belongs to (usually one)."""
    return [
        Place(area.postcode, area.ags, area.place, area.district_name, area.state_name)
        for area in PostcodeArea.objects.filter(postcode=postcode).order_by("place", "ags")
    ]


def resolve_postcode(postcode: str, *, chosen_ags: str | None = None) -> PlaceResolution:
    """Where a resident of ``postcode`` (already cleaned, 5 digits) lives; see ``responsibility.resolve_place``."""
    local_ags = set(public_municipalities().values_list("ags", flat=True))
    return resolve_place(postcode, postcode_places(postcode), local_ags=local_ags, chosen_ags=chosen_ags)


def home_municipality(request: HttpRequest) -> Municipality | None:
    """The citizen's municipality once known: chosen in the finder (kept in the session), or the
    postcode of a logged-in citizen's profile when it belongs to exactly one town of the Kreis."""
    if hasattr(request, "_catalog_home"):
        cached: Municipality | None = request._catalog_home
        return cached
    home = None
    session = getattr(request, "session", None)
    ags = session.get(HOME_SESSION_KEY) if session is not None else None
    if isinstance(ags, str):
        home = municipality_by_ags(ags)
    user = getattr(request, "user", None)
    if home is None and user is not None and user.is_authenticated and getattr(user, "is_citizen", False):
        try:
            postcode = clean_postcode(user.postcode or "")
        except PostcodeError:
            postcode = ""
        if postcode:
            resolution = resolve_postcode(postcode)
            if resolution.status == PlaceStatus.INSIDE and resolution.place is not None:
                home = municipality_by_ags(resolution.place.ags)
    request._catalog_home = home  # type: ignore[attr-defined]
    return home


def responsibility_for(service: Service, municipality: Municipality) -> Responsibility:
    """Who is responsible for ``service`` for residents of ``municipality``, where to go, and how to proceed.

    Reads municipality-owned rows, so it runs in the caller's tenant scope (citizen pages: unrestricted).
    """
    administration = district_administration()
    tenants = Q(municipality=municipality) | Q(serves=municipality)
    if administration is not None:
        tenants |= Q(municipality=administration)
    offerings = list(
        ServiceOffering.objects.filter(tenants, service=service)
        .distinct()
        .select_related("municipality")
        .prefetch_related(
            "serves",
            Prefetch("hours", queryset=OfferingHours.objects.order_by("weekday", "opens")),
            Prefetch("offices", queryset=Office.objects.order_by("name").prefetch_related("opening_hours")),
        )
        .order_by("municipality__name")
    )
    admin_id = administration.pk if administration is not None else None
    own = next((o for o in offerings if o.municipality_id == municipality.pk), None)
    admin_offering = next((o for o in offerings if admin_id is not None and o.municipality_id == admin_id), None)
    serving = [
        o for o in offerings if o.municipality_id not in (municipality.pk, admin_id) and municipality in o.serves.all()
    ]
    if admin_offering is not None and municipality in admin_offering.serves.all() and service.level == Level.DISTRICT:
        serving.insert(0, admin_offering)
    if admin_offering is not None and own is not None:
        named = list(admin_offering.serves.all())
        if named and municipality not in named:
            admin_offering = None  # the Kreis serves only the towns it names; this one has its own office
    offering, via = pick_offering(service.level, own=own, serving=serving, administration=admin_offering)
    if offering is not None and offering.municipality_id == admin_id:
        via = Via.DISTRICT
    provider = offering.municipality if offering is not None else None
    shown = variant(service, offering)

    offices: list[ResponsibleOffice] = []
    if offering is not None:
        own_hours = list(offering.hours.all())
        chosen = list(offering.offices.all()) or list(offices_of(offering.municipality))
        for office in chosen:
            intervals = [(h.weekday, h.opens, h.closes) for h in own_hours] or [
                (h.weekday, h.opens, h.closes) for h in office.opening_hours.all()
            ]
            offices.append(
                ResponsibleOffice(
                    office=office,
                    intervals=intervals,
                    service_hours=bool(own_hours),
                )
            )

    status = Status.RESOLVED
    if service.level in (Level.STATE, Level.FEDERAL):
        authority = service.authority or str(Level(service.level).label)
    elif service.level == Level.DISTRICT and via in (Via.DISTRICT, Via.NONE):
        authority = _official(administration) if administration is not None else _district_name(municipality)
    elif provider is not None:
        authority = _official(provider)
    else:
        authority = _official(municipality)
    if offering is None and service.level in (Level.MUNICIPALITY, Level.DISTRICT) and not service.is_imported:
        status = Status.NOT_OFFERED
    contact = provider or municipality
    return Responsibility(
        service=service,
        municipality=municipality,
        status=status,
        via=via,
        authority=authority,
        provider=provider,
        offering=offering,
        variant=shown,
        offices=offices,
        contact_phone=shown.contact_phone or contact.contact_phone,
        contact_email=shown.contact_email or contact.contact_email,
        website=contact.website,
        steps=proceed_steps(
            shown,
            counter_minutes=service.counter_minutes,
            assurance_label=str(AssuranceLevel(service.online_assurance).label),
            origin_url=service.origin_url,
            has_offices=bool(offices),
            form_url=online_form_urls().get(service.pk, "") if shown.online_application else "",
        )
        if status == Status.RESOLVED
        else [],
    )


@dataclass(frozen=True)
class OnlineOffer:
    """A service residents of a municipality can apply for online here, and where its form starts."""

    variant: ServiceVariant
    url: str


def online_offers(municipality: Municipality) -> list[OnlineOffer]:
    """The services residents of ``municipality`` can apply for with this platform's online forms: those
    with a published form whose responsible offering takes them online, by name."""
    urls = online_form_urls()
    if not urls:
        return []
    offers = []
    for service in Service.objects.filter(pk__in=urls.keys()):
        responsibility = responsibility_for(service, municipality)
        if responsibility.is_offered and responsibility.variant.online_application:
            offers.append(OnlineOffer(responsibility.variant, urls[service.pk]))
    return sorted(offers, key=lambda offer: offer.variant.name.casefold())


def _official(municipality: Municipality) -> str:
    return municipality.official_name or municipality.name


def _district_name(municipality: Municipality) -> str:
    return municipality.district.name


def checklist_for(
    service: Service, municipality: Municipality | None, answers: dict[str, Any]
) -> tuple[Checklist, Responsibility | None]:
    """The document checklist of ``service`` for ``answers``: the Kreis catalogue's, or for residents of
    ``municipality`` the variant of whoever is responsible for them (check the responsibility's status)."""
    responsibility = responsibility_for(service, municipality) if municipality is not None else None
    shown = responsibility.variant if responsibility is not None else variant(service)
    requirements = service.requirements.order_by("position", "id")
    return build_checklist(shown, requirements, answers), responsibility


def available_service_ids(municipality: Municipality) -> frozenset[int]:
    """The services a municipality's catalogue lists: those it offers, those another tenant offers for
    its residents (including the Kreis administration), and those of the Land or federal government.

    Read from the search catalogue, which works this out for every municipality once per catalogue
    version (``build_search_catalog``), so the pages and the search list the same services.
    """
    return search_catalog().visible.get(municipality.pk, frozenset())


@dataclass(frozen=True)
class CatalogueGroup:
    """One category of the A–Z list (``category`` is ``None`` for services without one)."""

    category: Category | None
    services: list[ServiceVariant]


def catalogue_groups(
    municipality: Municipality | None = None, *, life_situation: LifeSituation | None = None
) -> list[CatalogueGroup]:
    """The A–Z list grouped by category: the Kreis catalogue, or ``municipality``'s variant of it
    (its own names, only what it offers or is responsible for); optionally one life situation's."""
    services = Service.objects.prefetch_related("categories").order_by("name_de")
    if life_situation is not None:
        services = services.filter(life_situations=life_situation)
    own: dict[int, ServiceOffering] = {}
    if municipality is not None:
        services = services.filter(id__in=available_service_ids(municipality))
        own = {o.service_id: o for o in ServiceOffering.objects.filter(municipality=municipality)}
    groups: dict[int | None, CatalogueGroup] = {}
    categories = {category.pk: category for category in Category.objects.all()}
    for service in services:
        shown = variant(service, own.get(service.pk))
        keys: list[int | None] = [category.pk for category in service.categories.all()] or [None]
        for key in keys:
            group = groups.setdefault(key, CatalogueGroup(categories.get(key) if key else None, []))
            group.services.append(shown)
    ordered = sorted(
        groups.values(),
        key=lambda g: (g.category is None, g.category.position if g.category else 0, str(g.category or "")),
    )
    for group in ordered:
        group.services.sort(key=lambda v: v.name.casefold())
    return ordered


def life_situations_with_services(municipality: Municipality | None = None) -> QuerySet[LifeSituation]:
    situations = LifeSituation.objects.all()
    if municipality is not None:
        situations = situations.filter(services__id__in=available_service_ids(municipality))
    else:
        situations = situations.filter(services__isnull=False)
    return situations.distinct().order_by("position", "name_de")


@dataclass(frozen=True)
class AvailabilityCell:
    offered: bool
    online: bool = False
    on_site: bool = False  #: by appointment or walk-in
    by_post: bool = False


@dataclass(frozen=True)
class AvailabilityRow:
    service: Service
    cells: list[AvailabilityCell]


@dataclass(frozen=True)
class AvailabilityMap:
    columns: list[Municipality]  #: the towns by name, then the Kreis administration
    rows: list[AvailabilityRow]


def availability_map(*, category: Category | None = None) -> AvailabilityMap:
    """Which town (and the Kreis administration) offers which service, online and/or on site."""
    columns = list(public_municipalities())
    administration = district_administration()
    if administration is not None:
        columns.append(administration)
    services = Service.objects.order_by("name_de")
    if category is not None:
        services = services.filter(categories=category)
    offerings = {
        (o.service_id, o.municipality_id): o
        for o in ServiceOffering.objects.filter(municipality__in=columns, service__in=services)
    }
    rows = []
    for service in services:
        cells = []
        for column in columns:
            offering = offerings.get((service.pk, column.pk))
            if offering is None:
                cells.append(AvailabilityCell(offered=False))
                continue
            shown = variant(service, offering)
            cells.append(
                AvailabilityCell(
                    offered=True,
                    online=shown.online_application,
                    on_site=shown.by_appointment or shown.walk_in,
                    by_post=shown.by_post,
                )
            )
        rows.append(AvailabilityRow(service, cells))
    return AvailabilityMap(columns, rows)


# --- Kreis-wide search ----------------------------------------------------------------------------------------

#: Results per page of the search page and the API's default page size.
SEARCH_PAGE_SIZE = 25
#: For how many results of a page the citizen's responsible place is shown (each costs a few queries).
SEARCH_RESPONSIBILITY_LIMIT = 10


@dataclass(frozen=True)
class SearchCatalog:
    """The search index of one catalogue version, and which services each municipality's pages list."""

    version: int
    index: SearchIndex
    visible: dict[int, frozenset[int]]  #: municipality id → ids of the services its pages list
    by_category: dict[str, frozenset[int]]  #: category slug → service ids
    by_life_situation: dict[str, frozenset[int]]  #: life situation slug → service ids
    build_ms: float


_search_lock = threading.Lock()
_search_cache: list[SearchCatalog] = []  # at most one: the newest version this process has built


def search_catalog() -> SearchCatalog:
    """The search index of the current catalogue version: built once per version and process.

    One query (``catalog_version()``) per call checks the version in the database, so every
    process notices another's writes. An index built inside a transaction is not kept: it may
    contain rows that are rolled back, and a rolled-back version number may be used again.
    """
    version = catalog_version()
    if _search_cache and _search_cache[0].version == version:
        return _search_cache[0]
    with _search_lock:
        if _search_cache and _search_cache[0].version == version:
            return _search_cache[0]
        built = build_search_catalog(version)
        if not connection.in_atomic_block:
            _search_cache[:] = [built]
        return built


def clear_search_cache() -> None:
    """Forget the cached index (tests; the version check makes it unnecessary otherwise)."""
    with _search_lock:
        _search_cache.clear()


def build_search_catalog(version: int) -> SearchCatalog:
    """Read the whole catalogue in a few flat queries and index it (the Kreis-wide work opts out of the scope)."""
    started = time.perf_counter()
    categories = {pk: (de, en) for pk, de, en in Category.objects.values_list("id", "name_de", "name_en")}
    situations = {pk: (de, en) for pk, de, en in LifeSituation.objects.values_list("id", "name_de", "name_en")}
    category_slugs = dict(Category.objects.values_list("id", "slug"))
    situation_slugs = dict(LifeSituation.objects.values_list("id", "slug"))
    context: dict[int, list[str]] = {}
    by_category: dict[str, set[int]] = {}
    by_life_situation: dict[str, set[int]] = {}
    for service_id, category_id in Service.categories.through.objects.values_list("service_id", "category_id"):
        context.setdefault(service_id, []).extend(categories[category_id])
        by_category.setdefault(category_slugs[category_id], set()).add(service_id)
    for service_id, situation_id in Service.life_situations.through.objects.values_list(
        "service_id", "lifesituation_id"
    ):
        context.setdefault(service_id, []).extend(situations[situation_id])
        by_life_situation.setdefault(situation_slugs[situation_id], set()).add(service_id)
    with scopes_disabled():
        offerings = list(
            ServiceOffering.objects.values_list("id", "municipality_id", "service_id", "name_de", "name_en")
        )
    serves = list(ServiceOffering.serves.through.objects.values_list("serviceoffering_id", "municipality_id"))
    local_names: dict[int, list[str]] = {}
    for _pk, _municipality_id, service_id, name_de, name_en in offerings:
        local_names.setdefault(service_id, []).extend(n for n in (name_de, name_en) if n)

    documents = []
    everywhere: set[int] = set()  # Land and federal services: listed in every municipality
    for pk, name_de, name_en, keywords, summary_de, summary_en, level in Service.objects.values_list(
        "id", "name_de", "name_en", "keywords", "summary_de", "summary_en", "level"
    ):
        documents.append(
            Document(
                key=pk,
                names=[name_de, *([name_en] if name_en else []), *local_names.get(pk, [])],
                keywords=[k for k in keywords.split(",") if k.strip()],
                context=context.get(pk, []),
                summaries=[summary_de, summary_en],
            )
        )
        if level in (Level.STATE, Level.FEDERAL):
            everywhere.add(pk)
    index = SearchIndex(documents, synonyms())

    administrations = set(
        Municipality.objects.filter(kind=MunicipalityKind.DISTRICT_ADMINISTRATION).values_list("id", flat=True)
    )
    offering_tenant = {pk: municipality_id for pk, municipality_id, *_rest in offerings}
    offering_service = {pk: service_id for pk, _municipality_id, service_id, *_rest in offerings}
    kreis_wide = set(everywhere)
    own: dict[int, set[int]] = {}
    for _pk, municipality_id, service_id, *_rest in offerings:
        own.setdefault(municipality_id, set()).add(service_id)
        if municipality_id in administrations:
            kreis_wide.add(service_id)
    for offering_id, municipality_id in serves:
        if offering_id in offering_tenant:
            own.setdefault(municipality_id, set()).add(offering_service[offering_id])
    visible = {
        pk: frozenset(own.get(pk, set()) | kreis_wide) for pk in Municipality.objects.values_list("id", flat=True)
    }
    return SearchCatalog(
        version=version,
        index=index,
        visible=visible,
        by_category={slug: frozenset(ids) for slug, ids in by_category.items()},
        by_life_situation={slug: frozenset(ids) for slug, ids in by_life_situation.items()},
        build_ms=(time.perf_counter() - started) * 1000,
    )


def search_services(
    query: str,
    *,
    municipality: Municipality | None = None,
    category: str = "",
    life_situation: str = "",
    limit: int = SEARCH_PAGE_SIZE,
    offset: int = 0,
) -> SearchResult:
    """Services matching ``query``, best first; on a municipality's pages only those it lists
    (see ``available_service_ids``). ``category`` and ``life_situation`` are slugs that narrow the
    result. Without a query: every service of the selection by name."""
    catalog = search_catalog()
    allowed: frozenset[int] | None = None
    if municipality is not None:
        allowed = catalog.visible.get(municipality.pk, frozenset())
    for selection, slug in ((catalog.by_category, category), (catalog.by_life_situation, life_situation)):
        if slug:
            chosen = selection.get(slug, frozenset())
            allowed = chosen if allowed is None else allowed & chosen
    if query.strip():
        return catalog.index.search(query, allowed=allowed, limit=limit, offset=offset)
    return catalog.index.browse(allowed=allowed, limit=limit, offset=offset)


@dataclass(frozen=True)
class SearchItem:
    """One result as the search page shows it: the municipality's variant, and who is responsible."""

    service: Service
    variant: ServiceVariant
    life_situation: LifeSituation | None  #: the first of the service's life situations, for grouping
    responsibility: Responsibility | None = None


def search_items(
    result: SearchResult, *, municipality: Municipality | None = None, home: Municipality | None = None
) -> list[SearchItem]:
    """The services of ``result``'s page in rank order, as ``municipality`` shows them; with ``home`` (the
    citizen's municipality) the responsible place of the first ``SEARCH_RESPONSIBILITY_LIMIT`` ones."""
    keys = [hit.key for hit in result.hits]
    services = Service.objects.in_bulk(keys)
    situations: dict[int, LifeSituation] = {}
    for link in (
        Service.life_situations.through.objects.filter(service_id__in=keys)
        .select_related("lifesituation")
        .order_by("lifesituation__position", "lifesituation__name_de")
    ):
        situations.setdefault(link.service_id, link.lifesituation)
    own: dict[int, ServiceOffering] = {}
    if municipality is not None:
        own = {o.service_id: o for o in ServiceOffering.objects.filter(municipality=municipality, service_id__in=keys)}
    items = []
    for rank, key in enumerate(keys):
        service = services.get(key)
        if service is None:  # deleted since the index was built
            continue
        responsible = None
        if home is not None and rank < SEARCH_RESPONSIBILITY_LIMIT:
            responsible = responsibility_for(service, home)
        items.append(SearchItem(service, variant(service, own.get(key)), situations.get(key), responsible))
    return items
