"""``GET /api/services``: the catalogue's services, searched and ranked like the search page;
``GET /api/services/{slug}``: one service, optionally as a municipality shows it;
``GET /api/services/{slug}/checklist``: its document checklist for the questionnaire's answers.

Texts come in the language of the request (``Accept-Language``: de or en; German otherwise).
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from django.http import HttpRequest
from django.urls import reverse
from django.utils.translation import gettext as _
from ninja import Field, Query, Router, Schema
from ninja.responses import Status as HttpStatus

from buergerbuero.tenants.models import Municipality
from buergerbuero.tenants.selectors import municipality_by_slug

from ..checklist import answers_query, parse_answers, questions_of
from ..fees import describe
from ..models import Category, LifeSituation, Service
from ..responsibility import Status
from ..selectors import (
    SEARCH_PAGE_SIZE,
    available_service_ids,
    checklist_for,
    offering_of,
    search_items,
    search_services,
)
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
def list_services(request: HttpRequest, params: Query[SearchParams]) -> HttpStatus[ServiceListOut | dict[str, str]]:
    """Services ranked like the search page: German spelling variants (ä/ae, ß/ss), hyphens and compounds,
    word starts, typos and everyday words (synonyms) are understood. With ``municipality`` only the services
    that municipality lists (those it offers, those another office offers for its residents, Kreis, Land and
    federal ones) in its own variant. Without ``q``: the selection by name. Unknown slugs answer 404."""
    missing = _not_found(params)
    if missing:
        return HttpStatus(404, {"detail": missing})
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
    return HttpStatus(
        200,
        ServiceListOut(
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
        ),
    )


@router.get(
    "/services/{slug}",
    response={200: ServiceDetailOut, 404: ErrorOut},
    summary="One service",
)
def get_service(
    request: HttpRequest, slug: str, municipality: str = ""
) -> HttpStatus[ServiceDetailOut | dict[str, str]]:
    """One service of the catalogue; with ``municipality`` (a slug) as that municipality shows it: its own
    name, texts, fee, channels and contact, and whether it lists the service at all."""
    service = Service.objects.prefetch_related("categories", "life_situations").filter(slug=slug).first()
    if service is None:
        return HttpStatus(404, {"detail": _("There is no service “%(slug)s”.") % {"slug": slug}})
    if municipality and not Municipality.objects.filter(slug=municipality).exists():
        return HttpStatus(404, {"detail": _("There is no municipality “%(slug)s”.") % {"slug": municipality}})
    place = _municipality(municipality)
    shown: ServiceVariant = variant(service)
    listed = True
    if place is not None:
        shown = variant(service, offering_of(place, service))
        listed = service.pk in available_service_ids(place)
    return HttpStatus(
        200,
        ServiceDetailOut(
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
        ),
    )


# --- the document checklist --------------------------------------------------------------------------------


class OptionOut(Schema):
    value: str
    label: str


class QuestionOut(Schema):
    key: str = Field(description="The query parameter that answers it")
    kind: str = Field(description="choice (one of the options' values), number, or boolean (true/false)")
    label: str
    help: str
    options: list[OptionOut]
    min: float | None
    max: float | None


class ChecklistItemOut(Schema):
    name: str
    note: str


class FeeQuoteOut(Schema):
    minimum: str | None = Field(description="EUR as a decimal string; null when the fee is not known")
    maximum: str | None = Field(description="Set for a range, or while answers are missing: the highest fee")
    is_free: bool
    text: str = Field(description="The fee in one line, in the language of the request")
    label: str = Field(description="The fee rule that applied, e.g. 'unter 24 Jahren'")
    note: str


class ChecklistOut(Schema):
    service: str = Field(description="The service's slug")
    name: str
    municipality: str | None = Field(description="The municipality (slug) whose residents' checklist this is")
    authority: str = Field(description="Who is responsible, when a municipality was given")
    complete: bool = Field(description="Whether every question is answered; only then the list and fee are exact")
    questions: list[QuestionOut]
    answers: dict[str, Any] = Field(description="The answers as read (typed)")
    items: list[ChecklistItemOut] = Field(description="The documents to bring, in order")
    fee: FeeQuoteOut
    counter_minutes: int
    processing_time: str
    channels: list[str] = Field(description="Open channels: online, appointment, walk_in, post")
    online_url: str
    online_assurance: int = Field(description="Minimum level of assurance online: 0 none … 3 high")
    note: str = Field(description="The municipality's local note")
    url: str = Field(description="The checklist page with these answers: the link to share")
    pdf_url: str = Field(description="The checklist as PDF")


class AnswerErrorsOut(Schema):
    detail: str
    errors: dict[str, str] = Field(description="A message per question key, in the language of the request")


@router.get(
    "/services/{slug}/checklist",
    response={200: ChecklistOut, 404: ErrorOut, 422: AnswerErrorsOut},
    summary="The document checklist of a service for the questionnaire's answers",
)
def get_checklist(request: HttpRequest, slug: str, municipality: str = "") -> HttpStatus[ChecklistOut | dict[str, Any]]:
    """Answer the service's questions as query parameters (``?age=17&application=first&on_behalf=false``;
    the questions come with every answer). Without all answers the documents listed are those that
    apply so far and the fee is the span of possible fees (``complete: false``). With ``municipality``
    (a slug): the variant of whoever is responsible for its residents. Invalid answers answer 422."""
    service = Service.objects.filter(slug=slug).first()
    if service is None:
        return HttpStatus(404, {"detail": _("There is no service “%(slug)s”.") % {"slug": slug}})
    if municipality and not Municipality.objects.filter(slug=municipality).exists():
        return HttpStatus(404, {"detail": _("There is no municipality “%(slug)s”.") % {"slug": municipality}})
    place = _municipality(municipality)
    answers, errors = parse_answers(service.questions, request.GET)
    if errors:
        return HttpStatus(422, {"detail": _("Some answers are not valid."), "errors": errors})
    checklist, responsibility = checklist_for(service, place, answers)
    if responsibility is not None and responsibility.status == Status.NOT_OFFERED:
        return HttpStatus(
            404, {"detail": _("%(name)s does not offer this service.") % {"name": place.name if place else ""}}
        )
    kwargs = {"service_slug": service.slug}
    prefix = "catalog:"
    if place is not None:
        kwargs["municipality_slug"] = place.slug
        prefix = "catalog:municipality:"
    query = urlencode(answers_query(service.questions, answers))
    suffix = f"?{query}" if query else ""
    fee = checklist.fee
    return HttpStatus(
        200,
        ChecklistOut(
            service=service.slug,
            name=checklist.variant.name,
            municipality=place.slug if place is not None else None,
            authority=responsibility.authority if responsibility is not None else "",
            complete=checklist.complete,
            questions=[
                QuestionOut(
                    key=question.key,
                    kind=question.kind,
                    label=question.label,
                    help=question.help,
                    options=[OptionOut(value=option.value, label=option.label) for option in question.options],
                    min=question.minimum,
                    max=question.maximum,
                )
                for question in questions_of(service.questions)
            ],
            answers=answers,
            items=[ChecklistItemOut(name=item.name, note=item.note) for item in checklist.items],
            fee=FeeQuoteOut(
                minimum=str(fee.minimum) if fee.minimum is not None else None,
                maximum=str(fee.maximum) if fee.maximum is not None else None,
                is_free=fee.is_free,
                text=fee.text,
                label=fee.label,
                note=fee.note,
            ),
            counter_minutes=checklist.counter_minutes,
            processing_time=checklist.processing_time,
            channels=[value for value, _label in checklist.channels],
            online_url=checklist.online_url,
            online_assurance=service.online_assurance,
            note=checklist.note,
            url=request.build_absolute_uri(reverse(prefix + "checklist", kwargs=kwargs) + suffix),
            pdf_url=request.build_absolute_uri(reverse(prefix + "checklist_pdf", kwargs=kwargs) + suffix),
        ),
    )
