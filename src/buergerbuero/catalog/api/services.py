"""``GET /api/services``: the catalogue's services, searched and ranked like the search page;
``GET /api/services/{slug}``: one service, optionally as a municipality shows it.

Texts come in the language of the request (``Accept-Language``: de or en; German otherwise).
"""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import Field, Query, Router, Schema

from buergerbuero.tenants.models import Municipality
from buergerbuero.tenants.selectors import municipality_by_slug

from ..fees import describe
from ..models import Category, LifeSituation, Service
from ..selectors import SEARCH_PAGE_SIZE, available_service_ids, offering_of, search_items, search_services
from ..variants import ServiceVariant, variant
from ..views.search import MAX_QUERY_LENGTH, service_url

router = Router()

MAX_LIMIT = 100


class ErrorOut(Schema):
    detail: str = Field(description="What is wrong with the request, in the language of the request")


class SearchParams(Schema):
    q: str = Field("", max_length=MAX_QUERY_LENGTH, description="Search words; empty lists services by name")
    municipality: str = Field("", description="Slug of a municipality: only the services it lists, in its variant")
    category: str = Field("", description="Slug of a category")
    life_situation: str = Field("", description="Slug of a life situation (Lebenslage)")
    limit: int = Field(SEARCH_PAGE_SIZE, ge=1, le=MAX_LIMIT, description="Page size")
    offset: int = Field(0, ge=0, le=10_000, description="How many results to skip")


class NamedRefOut(Schema):
    slug: str
    name: str


class ServiceSummaryOut(Schema):
    slug: str
    leika_key: str = Field(description="The 14-digit LeiKa key")
    name: str = Field(description="The name (the municipality's own name, when it has one)")
    summary: str
    level: str = Field(description="Responsible level: municipality, district, state or federal")
    channels: list[str] = Field(description="Open channels: online, appointment, walk_in, post")
    url: str = Field(description="The service page (the municipality's, when one was asked for)")
    rank: int = Field(description="1 for the best match, counting from the first result of the whole search")
    match: int = Field(description="How it matched, 6 best: 6 whole name, 5 start of name, 4 name words, "
                       "3 search words or synonym, 2 text, 1 with typos, 0 listed without a query")  # fmt: skip


class ServiceListOut(Schema):
    count: int = Field(description="How many services matched in all")
    limit: int
    offset: int
    suggestion: str | None = Field(description="'Did you mean': the query with typos corrected, when that helps")
    results: list[ServiceSummaryOut]


class ServiceDetailOut(Schema):
    public_id: str
    slug: str
    leika_key: str
    name: str
    summary: str
    procedure: str
    processing_time: str
    legal_basis: str
    level: str
    authority: str = Field(description="For Land or federal services: the responsible authority")
    fee: dict[str, Any] = Field(description="The fee rule (see the catalogue documentation)")
    fee_text: str = Field(description="The fee in one line, e.g. '22,80 € (unter 24 Jahren) oder 37,00 €'")
    channels: list[str]
    online_url: str
    online_assurance: int = Field(description="Minimum level of assurance online: 0 none … 3 high")
    counter_minutes: int
    keywords: list[str]
    categories: list[NamedRefOut]
    life_situations: list[NamedRefOut]
    municipality: str | None = Field(description="The municipality whose variant this is, if one was asked for")
    listed: bool = Field(description="Whether the municipality lists the service (offers it or is served); "
                         "always true for the Kreis catalogue")  # fmt: skip
    note: str = Field(description="The municipality's local note")
    contact_phone: str
    contact_email: str
    origin_url: str = Field(description="Set for services imported from another installation: apply there")
    url: str


def _municipality(slug: str) -> Municipality | None:
    """The municipality of ``slug`` (``None`` for an empty slug); ``Http404`` when there is none."""
    return municipality_by_slug(slug) if slug else None


def _not_found(params: SearchParams) -> str:
    """What is unknown among the slugs of ``params``, or empty."""
    if params.municipality and not Municipality.objects.filter(slug=params.municipality).exists():
        return _("There is no municipality “%(slug)s”.") % {"slug": params.municipality}
    if params.category and not Category.objects.filter(slug=params.category).exists():
        return _("There is no category “%(slug)s”.") % {"slug": params.category}
    if params.life_situation and not LifeSituation.objects.filter(slug=params.life_situation).exists():
        return _("There is no life situation “%(slug)s”.") % {"slug": params.life_situation}
    return ""


@router.get(
    "/services",
    response={200: ServiceListOut, 404: ErrorOut},
    summary="Search the services",
)
def list_services(request: HttpRequest, params: Query[SearchParams]) -> tuple[int, ServiceListOut | dict[str, str]]:
    """Services ranked like the search page: German spelling variants (ä/ae, ß/ss), hyphens and compounds,
    word starts, typos and everyday words (synonyms) are understood. With ``municipality`` only the services
    that municipality lists (those it offers, those another office offers for its residents, Kreis, Land and
    federal ones) in its own variant. Without ``q``: the selection by name. Unknown slugs answer 404."""
    missing = _not_found(params)
    if missing:
        return 404, {"detail": missing}
    municipality = _municipality(params.municipality)
    result = search_services(
        params.q,
        municipality=municipality,
        category=params.category,
        life_situation=params.life_situation,
        limit=params.limit,
        offset=params.offset,
    )
    items = search_items(result, municipality=municipality)
    tiers = {hit.key: hit.tier for hit in result.hits}
    return 200, ServiceListOut(
        count=result.total,
        limit=params.limit,
        offset=params.offset,
        suggestion=result.suggestion,
        results=[
            ServiceSummaryOut(
                slug=item.service.slug,
                leika_key=item.service.leika_key,
                name=item.variant.name,
                summary=item.variant.summary,
                level=item.service.level,
                channels=item.variant.channels,
                url=request.build_absolute_uri(service_url(item.service.slug, municipality)),
                rank=params.offset + number,
                match=tiers[item.service.pk],
            )
            for number, item in enumerate(items, start=1)
        ],
    )


@router.get(
    "/services/{slug}",
    response={200: ServiceDetailOut, 404: ErrorOut},
    summary="One service",
)
def get_service(
    request: HttpRequest, slug: str, municipality: str = ""
) -> tuple[int, ServiceDetailOut | dict[str, str]]:
    """One service of the catalogue; with ``municipality`` (a slug) as that municipality shows it: its own
    name, texts, fee, channels and contact, and whether it lists the service at all."""
    service = Service.objects.prefetch_related("categories", "life_situations").filter(slug=slug).first()
    if service is None:
        return 404, {"detail": _("There is no service “%(slug)s”.") % {"slug": slug}}
    if municipality and not Municipality.objects.filter(slug=municipality).exists():
        return 404, {"detail": _("There is no municipality “%(slug)s”.") % {"slug": municipality}}
    place = _municipality(municipality)
    shown: ServiceVariant = variant(service)
    listed = True
    if place is not None:
        shown = variant(service, offering_of(place, service))
        listed = service.pk in available_service_ids(place)
    return 200, ServiceDetailOut(
        public_id=str(service.public_id),
        slug=service.slug,
        leika_key=service.leika_key,
        name=shown.name,
        summary=shown.summary,
        procedure=shown.procedure,
        processing_time=service.processing_time,
        legal_basis=service.legal_basis,
        level=service.level,
        authority=service.authority,
        fee=shown.fee,
        fee_text=describe(shown.fee),
        channels=shown.channels,
        online_url=shown.online_url,
        online_assurance=service.online_assurance,
        counter_minutes=service.counter_minutes,
        keywords=[word.strip() for word in service.keywords.split(",") if word.strip()],
        categories=[NamedRefOut(slug=c.slug, name=c.name) for c in service.categories.all()],
        life_situations=[NamedRefOut(slug=s.slug, name=s.name) for s in service.life_situations.all()],
        municipality=place.slug if place is not None else None,
        listed=listed,
        note=shown.note,
        contact_phone=shown.contact_phone,
        contact_email=shown.contact_email,
        origin_url=service.origin_url,
        url=request.build_absolute_uri(service_url(service.slug, place)),
    )
