"""The catalogue feed: every change of the published catalogue, in order, page by page, for other portals.

``GET /api/feed/v1/catalog?cursor=<opaque>&limit=100`` returns the records changed
after the cursor, oldest change first, each with its current data (or as a
tombstone); follow ``next_cursor`` while ``has_more`` is true, and keep the last
``next_cursor`` to ask for what changed since. The format is described in
docs/catalog-feed.md.
"""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

from django.http import HttpRequest, HttpResponse
from django.urls import reverse
from django.utils.translation import gettext
from ninja import Query, Router, Schema
from ninja.responses import Status

from buergerbuero.tenants.selectors import current_district

from ..constants import FEED_VERSION, FeedKind
from ..feed import MAX_LIMIT, InvalidCursor, ServiceUrl, changes_after, decode_cursor, encode_cursor, items_for
from ..feed import record_item as feed_record_item
from ..versioning import catalog_version

router = Router(tags=["catalogue feed"])

#: Readers may cache a page but must ask again before reusing it; the ETag makes asking cheap.
CACHE_CONTROL = "public, max-age=0, must-revalidate"


class FeedSourceOut(Schema):
    name: str
    url: str
    district_ars: str


class FeedItemOut(Schema):
    seq: int
    kind: FeedKind
    id: uuid.UUID
    deleted: bool
    changed_at: dt.datetime
    data: dict[str, Any] | None  #: the full current record; none for a deleted record


class FeedPageOut(Schema):
    version: int
    source: FeedSourceOut
    items: list[FeedItemOut]
    next_cursor: str
    has_more: bool


class FeedErrorOut(Schema):
    detail: str


class FeedQuery(Schema):
    cursor: str | None = None
    limit: int = 100


def _service_url(request: HttpRequest) -> ServiceUrl:
    def url(slug: str) -> str:
        return request.build_absolute_uri(reverse("catalog:service", kwargs={"service_slug": slug}))

    return url


def _source(request: HttpRequest) -> dict[str, str]:
    district = current_district()
    return {
        "name": district.name if district is not None else "Bürgerbüro",
        "url": request.build_absolute_uri("/").rstrip("/"),
        "district_ars": district.ars if district is not None else "",
    }


@router.get(
    f"/feed/v{FEED_VERSION}/catalog",
    response={200: FeedPageOut, 304: None, 400: FeedErrorOut},
    summary="Catalogue feed: changes since a cursor",
)
def catalog_feed(request: HttpRequest, response: HttpResponse, query: Query[FeedQuery]) -> Any:
    """Records of the published catalogue (municipalities, offices, services, offerings) changed after
    ``cursor``, ordered by ``seq``. Without a cursor the feed starts at the beginning and so lists the
    whole catalogue once. ``limit`` is 1 to 500. An unknown cursor answers 400. Records imported from
    another installation's feed are not published again."""
    try:
        after = decode_cursor(query.cursor)
    except InvalidCursor as error:
        return Status(400, {"detail": str(error)})
    if not 1 <= query.limit <= MAX_LIMIT:
        return Status(400, {"detail": gettext("The limit must be between 1 and %(max)d.") % {"max": MAX_LIMIT}})
    etag = f'W/"feed-{FEED_VERSION}-{catalog_version()}-{after}-{query.limit}"'
    if etag in request.headers.get("If-None-Match", ""):
        not_modified = HttpResponse(status=304)
        not_modified["ETag"] = etag
        not_modified["Cache-Control"] = CACHE_CONTROL
        return not_modified
    changes, has_more = changes_after(after, query.limit)
    response["ETag"] = etag
    response["Cache-Control"] = CACHE_CONTROL
    return {
        "version": FEED_VERSION,
        "source": _source(request),
        "items": items_for(changes, _service_url(request)),
        "next_cursor": encode_cursor(changes[-1].seq if changes else after),
        "has_more": has_more,
    }


@router.get(
    f"/feed/v{FEED_VERSION}/catalog/{{kind}}/{{record_id}}",
    response={200: FeedItemOut, 404: FeedErrorOut},
    summary="Catalogue feed: one record",
)
def catalog_feed_record(request: HttpRequest, kind: FeedKind, record_id: uuid.UUID) -> Any:
    """The current feed item of one published record, e.g. a service an offering refers to that a
    reader has not seen yet (the feed orders by last change, not by dependency)."""
    item = feed_record_item(kind, record_id, _service_url(request))
    if item is None:
        return Status(404, {"detail": gettext("This record is not in the catalogue feed.")})
    return item
