"""The catalogue feed: its change log, its cursors and the records it publishes.

Change capture: :func:`record_change` replaces the ``CatalogChange`` row of one
record (kind, public ID) with a new row, so the record moves to the end of the
feed with a new, higher ``seq``; a deletion leaves a tombstone (``deleted=True``).
``catalog.signals`` calls it for every write of a published record.

Late commits: a reader resumes after the highest ``seq`` it has seen, so a change
must never become visible with a *lower* ``seq`` than one already visible. On
PostgreSQL two transactions could take sequence values 10 and 11 and commit in the
order 11, 10; a reader between the two commits would skip 10 for ever. So every
transaction that writes the log first takes one transaction-scoped advisory lock
(:func:`_lock_feed`), held until it commits or rolls back: feed writers run one
after the other, a ``seq`` is drawn only once every earlier writer has finished,
and ``seq`` order is commit order. The catalogue is written rarely (editors,
imports), so serialising those writes costs nothing users notice. SQLite already
lets only one writer in at a time (``BEGIN IMMEDIATE``), so there is nothing to do.

Published records: the municipalities, offices, services and offerings of this
installation. Rows imported from another installation's feed (``catalog.feed_import``)
are not published again, so two portals that import each other cannot loop.

Serialisation: :func:`items_for` turns log rows into feed items with the *current*
record as ``data``; the record format is ``FEED_VERSION`` 1 (see docs/catalog-feed.md).
"""

from __future__ import annotations

import base64
import binascii
import uuid
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any

from django.db import connection, models, transaction
from django.db.models import Prefetch
from django.utils.translation import gettext_lazy as _

from buergerbuero.core.tenancy import scopes_disabled
from buergerbuero.tenants.models import Municipality, Office, OpeningHours

from .constants import FEED_VERSION, FeedKind
from .models import CatalogChange, ImportedRecord, OfferingHours, Service, ServiceOffering
from .services import OFFERING_FIELDS, REQUIREMENT_FIELDS, SERVICE_FIELDS

#: A published service: what staff edit plus its LeiKa key.
PUBLISHED_SERVICE_FIELDS = ("leika_key", *SERVICE_FIELDS)

__all__ = [
    "InvalidCursor",
    "backfill",
    "capture_suppressed",
    "changes_after",
    "decode_cursor",
    "encode_cursor",
    "is_published",
    "items_for",
    "record_change",
]

#: Key of the PostgreSQL advisory lock that serialises writers of the change log ("catalog" in hex-speak).
FEED_LOCK_KEY = 0x6361_7461_6C6F_67
MAX_LIMIT = 500

_suppressed: ContextVar[bool] = ContextVar("buergerbuero_feed_capture_suppressed", default=False)

#: Builds the absolute URL of a service's page at this installation, from its slug.
ServiceUrl = Callable[[str], str]


class InvalidCursor(ValueError):
    """A feed cursor that this installation did not hand out."""

    def __init__(self) -> None:
        super().__init__(str(_("The cursor is not valid. Start again without a cursor.")))


# --- change capture --------------------------------------------------------------------


@contextmanager
def capture_suppressed() -> Iterator[None]:
    """Write without publishing: the feed importer's writes of imported rows."""
    token = _suppressed.set(True)
    try:
        yield
    finally:
        _suppressed.reset(token)


def _lock_feed() -> None:
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [FEED_LOCK_KEY])


def record_change(kind: str, object_id: uuid.UUID, *, deleted: bool = False) -> None:
    """Move the record to the end of the feed (or leave its tombstone), in the caller's transaction."""
    if _suppressed.get():
        return
    with transaction.atomic():
        _lock_feed()
        CatalogChange.objects.filter(kind=kind, object_id=object_id).delete()
        CatalogChange.objects.create(kind=kind, object_id=object_id, deleted=deleted)


def is_published(kind: str, instance: models.Model) -> bool:
    """Whether this installation publishes ``instance``: yes, unless it was imported from another feed."""
    if kind == FeedKind.SERVICE:
        return not getattr(instance, "origin_url", "")
    # Offices and offerings are only ever created by the importer; municipalities get a record
    # only when the importer created them (a matched local one stays ours).
    return not ImportedRecord.objects.filter(kind=kind, local_id=instance.pk).exists()


def backfill() -> int:
    """Give every published record without a log row one; for data written with ``bulk_create``/``update``."""
    added = 0
    with scopes_disabled(), transaction.atomic():
        _lock_feed()
        logged = set(CatalogChange.objects.values_list("kind", "object_id"))
        sources: list[tuple[str, Iterable[models.Model]]] = [
            (FeedKind.MUNICIPALITY, Municipality.objects.all()),
            (FeedKind.OFFICE, Office.objects.all()),
            (FeedKind.SERVICE, Service.objects.filter(origin_url="")),
            (FeedKind.OFFERING, ServiceOffering.objects.all()),
        ]
        for kind, rows in sources:
            imported = set(ImportedRecord.objects.filter(kind=kind).values_list("local_id", flat=True))
            for row in rows:
                public_id = row.public_id  # type: ignore[attr-defined]
                if (kind, public_id) in logged or (kind != FeedKind.SERVICE and row.pk in imported):
                    continue
                CatalogChange.objects.create(kind=kind, object_id=public_id)
                added += 1
    return added


# --- cursors ----------------------------------------------------------------------------


def encode_cursor(seq: int) -> str:
    return base64.urlsafe_b64encode(f"v{FEED_VERSION}:{seq}".encode()).decode().rstrip("=")


def decode_cursor(cursor: str | None) -> int:
    """The ``seq`` after which to continue; no cursor means from the start."""
    if not cursor:
        return 0
    try:
        text = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
        prefix, _sep, number = text.partition(":")
        if prefix != f"v{FEED_VERSION}" or not number.isdigit() or len(number) > 19:
            raise InvalidCursor
        return int(number)
    except (binascii.Error, UnicodeDecodeError, ValueError):
        raise InvalidCursor from None


def changes_after(seq: int, limit: int) -> tuple[list[CatalogChange], bool]:
    """At most ``limit`` log rows after ``seq`` in ``seq`` order, and whether more follow."""
    rows = list(CatalogChange.objects.filter(seq__gt=seq).order_by("seq")[: limit + 1])
    return rows[:limit], len(rows) > limit


# --- serialisation ------------------------------------------------------------------------


def _hours(intervals: Iterable[OpeningHours | OfferingHours]) -> list[dict[str, Any]]:
    return [
        {"weekday": h.weekday, "opens": h.opens.strftime("%H:%M"), "closes": h.closes.strftime("%H:%M")}
        for h in sorted(intervals, key=lambda h: (h.weekday, h.opens))
    ]


def _decimal(value: Any) -> str | None:
    return None if value is None else str(value)


def municipality_data(municipality: Municipality) -> dict[str, Any]:
    return {
        "ags": municipality.ags,
        "ars": municipality.ars,
        "kind": municipality.kind,
        "name": municipality.name,
        "official_name": municipality.official_name,
        "slug": municipality.slug,
        "primary_color": municipality.primary_color,
        "tagline": municipality.tagline,
        "website": municipality.website,
        "contact_email": municipality.contact_email,
        "contact_phone": municipality.contact_phone,
        "latitude": _decimal(municipality.latitude),
        "longitude": _decimal(municipality.longitude),
    }


def office_data(office: Office) -> dict[str, Any]:
    return {
        "municipality": str(office.municipality.public_id),
        "municipality_ags": office.municipality.ags,
        "name": office.name,
        "slug": office.slug,
        "street": office.street,
        "house_number": office.house_number,
        "postcode": office.postcode,
        "city": office.city,
        "latitude": _decimal(office.latitude),
        "longitude": _decimal(office.longitude),
        "phone": office.phone,
        "email": office.email,
        "accessibility": office.accessibility,
        "opening_hours": _hours(office.opening_hours.all()),
    }


def service_data(service: Service, url: str) -> dict[str, Any]:
    data = {field: getattr(service, field) for field in PUBLISHED_SERVICE_FIELDS}
    data.update(
        slug=service.slug,
        url=url,
        requirements=[{field: getattr(r, field) for field in REQUIREMENT_FIELDS} for r in service.requirements.all()],
        categories=[{"slug": c.slug, "name_de": c.name_de, "name_en": c.name_en} for c in service.categories.all()],
        life_situations=[
            {"slug": s.slug, "name_de": s.name_de, "name_en": s.name_en} for s in service.life_situations.all()
        ],
    )
    return data


def offering_data(offering: ServiceOffering) -> dict[str, Any]:
    data = {field: getattr(offering, field) for field in OFFERING_FIELDS}
    data.update(
        municipality=str(offering.municipality.public_id),
        municipality_ags=offering.municipality.ags,
        service=str(offering.service.public_id),
        offices=sorted(str(office.public_id) for office in offering.offices.all()),
        serves=sorted(
            ({"public_id": str(m.public_id), "ags": m.ags} for m in offering.serves.all()), key=lambda m: m["ags"]
        ),
        hours=_hours(offering.hours.all()),
    )
    return data


def _records(kind: str, ids: set[uuid.UUID]) -> dict[uuid.UUID, Any]:
    """The current rows of ``kind`` with these public IDs, loaded with what their data needs."""
    queryset: models.QuerySet[Any]
    if kind == FeedKind.MUNICIPALITY:
        queryset = Municipality.objects.all()
    elif kind == FeedKind.OFFICE:
        queryset = Office.objects.select_related("municipality").prefetch_related(
            Prefetch("opening_hours", queryset=OpeningHours.objects.all())
        )
    elif kind == FeedKind.SERVICE:
        queryset = Service.objects.filter(origin_url="").prefetch_related(
            "requirements", "categories", "life_situations"
        )
    else:
        queryset = ServiceOffering.objects.select_related("municipality", "service").prefetch_related(
            "offices", "serves", Prefetch("hours", queryset=OfferingHours.objects.all())
        )
    return {row.public_id: row for row in queryset.filter(public_id__in=ids)}


def record_data(kind: str, record: Any, service_url: ServiceUrl) -> dict[str, Any]:
    if kind == FeedKind.MUNICIPALITY:
        return municipality_data(record)
    if kind == FeedKind.OFFICE:
        return office_data(record)
    if kind == FeedKind.SERVICE:
        return service_data(record, service_url(record.slug))
    return offering_data(record)


def items_for(changes: list[CatalogChange], service_url: ServiceUrl) -> list[dict[str, Any]]:
    """Feed items for these log rows, each with the current record (none for a tombstone)."""
    with scopes_disabled():
        wanted: dict[str, set[uuid.UUID]] = {}
        for change in changes:
            if not change.deleted:
                wanted.setdefault(change.kind, set()).add(change.object_id)
        records = {kind: _records(kind, ids) for kind, ids in wanted.items()}
        items = []
        for change in changes:
            record = None if change.deleted else records[change.kind].get(change.object_id)
            items.append(
                {
                    "seq": change.seq,
                    "kind": change.kind,
                    "id": str(change.object_id),
                    # A row without its record can only be a record deleted since; say so.
                    "deleted": record is None,
                    "changed_at": change.changed_at.isoformat(),
                    "data": None if record is None else record_data(change.kind, record, service_url),
                }
            )
        return items


def record_item(kind: str, object_id: uuid.UUID, service_url: ServiceUrl) -> dict[str, Any] | None:
    """The feed item of one published record, or ``None`` if there is no such record."""
    change = CatalogChange.objects.filter(kind=kind, object_id=object_id, deleted=False).first()
    if change is None:
        return None
    item = items_for([change], service_url)[0]
    return None if item["deleted"] else item
