"""Imports another installation's catalogue feed: its services, offerings and offices become local rows.

Each :class:`FeedSource` is read page by page from its saved cursor; every item is
applied idempotently by (source, kind, remote ID) through :class:`ImportedRecord`:

- municipality: matched to a local municipality by AGS (left as it is: it is ours),
  else created in this installation's Kreis and updated by later items;
- office, service, offering: upserted; a service gets ``origin_url`` (its page at
  the origin, where citizens apply) and a slug suffix when its slug is taken here;
- tombstone: the local row is deleted.

A page and its cursor commit in one transaction, so an interrupted sync resumes
after the last whole page. The feed is ordered by last change, not by dependency:
an offering may come before the service it names (the service changed later). The
importer then fetches the missing record from the origin's record endpoint first.
Imported rows are written with change capture suppressed and are never published
in this installation's own feed, so two portals importing each other cannot loop.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

import httpx
from django.conf import settings
from django.db import IntegrityError, models, transaction
from django.utils import timezone
from django.utils.text import slugify
from django.utils.translation import gettext as _

from buergerbuero.core.tenancy import scopes_disabled
from buergerbuero.tenants.models import Municipality, Office, OpeningHours
from buergerbuero.tenants.selectors import current_district

from .constants import FEED_VERSION, FeedKind
from .feed import PUBLISHED_SERVICE_FIELDS, capture_suppressed
from .models import (
    Category,
    DocumentRequirement,
    FeedSource,
    ImportedRecord,
    LifeSituation,
    OfferingHours,
    Service,
    ServiceOffering,
)
from .services import OFFERING_FIELDS

__all__ = ["FeedSyncError", "SyncResult", "source_for_url", "sync_all", "sync_source"]

Progress = Callable[[str], None]

_OFFICE_FIELDS = [
    "name",
    "street",
    "house_number",
    "postcode",
    "city",
    "latitude",
    "longitude",
    "phone",
    "email",
    "accessibility",
]
_MUNICIPALITY_FIELDS = [
    "name",
    "official_name",
    "kind",
    "primary_color",
    "tagline",
    "website",
    "contact_email",
    "contact_phone",
    "latitude",
    "longitude",
]


class FeedSyncError(Exception):
    """The feed could not be read or applied; the message is for the operator."""


@dataclass
class SyncResult:
    pages: int = 0
    applied: int = 0
    deleted: int = 0
    skipped: int = 0
    unchanged: int = 0
    notes: list[str] = field(default_factory=list)


def _check_url(url: str) -> str:
    parts = urlsplit(url)
    if parts.scheme not in {"http", "https"} or not parts.netloc:
        raise FeedSyncError(_("Only http and https URLs can be imported: %(url)s") % {"url": url})
    return url.rstrip("/")


def source_for_url(*, url: str, name: str = "") -> FeedSource:
    """The feed source with this base URL, created (named ``name`` or after its host) if new."""
    base = _check_url(url)
    source, created = FeedSource.objects.get_or_create(url=base, defaults={"name": name or urlsplit(base).netloc})
    if not created and name and source.name != name:
        source.name = name
        source.save(update_fields=["name"])
    return source


def sync_all(*, progress: Progress = lambda message: None, client: httpx.Client | None = None) -> dict[str, str]:
    """Sync every feed source; one failing source does not stop the others. Returns name → outcome."""
    outcome = {}
    for source in FeedSource.objects.order_by("name"):
        try:
            result = sync_source(source, progress=progress, client=client)
            outcome[source.name] = f"ok: {result.applied} applied, {result.deleted} deleted"
        except FeedSyncError as error:
            outcome[source.name] = f"error: {error}"
    return outcome


def sync_source(
    source: FeedSource,
    *,
    limit: int = 100,
    progress: Progress = lambda message: None,
    client: httpx.Client | None = None,
) -> SyncResult:
    """Pull ``source``'s feed from its cursor until ``has_more`` is false, one transaction per page."""
    owned = client is None
    http = client or httpx.Client(timeout=settings.CATALOG_FEED_TIMEOUT_SECONDS, follow_redirects=False)
    result = SyncResult()
    try:
        importer = _Importer(source, http, result)
        while True:
            page = importer.fetch_page(limit)
            with transaction.atomic(), scopes_disabled(), capture_suppressed():
                for item in page["items"]:
                    importer.apply(item)
                source.cursor = page["next_cursor"]
                source.save(update_fields=["cursor"])
            result.pages += 1
            progress(
                f"{source.name}: page {result.pages}, {len(page['items'])} item(s) "
                f"({result.applied} applied, {result.deleted} deleted, {result.skipped} skipped)"
            )
            if not page["has_more"]:
                break
    except FeedSyncError as error:
        FeedSource.objects.filter(pk=source.pk).update(last_error=f"{timezone.now():%Y-%m-%d %H:%M} {error}")
        progress(f"{source.name}: {error}")
        raise
    finally:
        if owned:
            http.close()
    source.last_synced_at = timezone.now()
    source.last_error = ""
    source.save(update_fields=["last_synced_at", "last_error"])
    return result


class _Importer:
    def __init__(self, source: FeedSource, http: httpx.Client, result: SyncResult) -> None:
        self.source = source
        self.base = _check_url(source.url)
        self.http = http
        self.result = result

    # --- HTTP -------------------------------------------------------------------------

    def _get(self, path: str, params: dict[str, Any] | None = None) -> httpx.Response:
        url = f"{self.base}/api/feed/v{FEED_VERSION}/{path}"
        try:
            return self.http.get(url, params=params, headers={"Accept": "application/json"})
        except httpx.HTTPError as error:
            raise FeedSyncError(_("Could not reach %(url)s: %(error)s") % {"url": url, "error": error}) from error

    def fetch_page(self, limit: int) -> dict[str, Any]:
        params: dict[str, Any] = {"limit": limit}
        if self.source.cursor:
            params["cursor"] = self.source.cursor
        response = self._get("catalog", params)
        page = self._json(response)
        if not isinstance(page, dict) or page.get("version") != FEED_VERSION or not isinstance(page.get("items"), list):
            raise FeedSyncError(_("%(url)s is not a catalogue feed of version 1.") % {"url": response.url})
        if page["has_more"] and page["next_cursor"] == self.source.cursor:
            raise FeedSyncError(_("The feed does not advance past its cursor."))
        return page

    def fetch_record(self, kind: str, remote_id: str) -> dict[str, Any] | None:
        response = self._get(f"catalog/{kind}/{remote_id}")
        if response.status_code == 404:
            return None
        item = self._json(response)
        return item if isinstance(item, dict) else None

    def _json(self, response: httpx.Response) -> Any:
        if response.status_code != 200:
            detail = response.text[:200]
            raise FeedSyncError(
                _("%(url)s answered %(status)s: %(detail)s")
                % {"url": response.url, "status": response.status_code, "detail": detail}
            )
        try:
            return response.json()
        except ValueError as error:
            raise FeedSyncError(_("%(url)s did not answer JSON.") % {"url": response.url}) from error

    # --- the mapping remote ID → local row -------------------------------------------------

    def _local(self, kind: str, remote_id: str, model: type[models.Model]) -> Any:
        record = ImportedRecord.objects.filter(source=self.source, kind=kind, remote_id=remote_id).first()
        if record is None:
            return None
        row = model._base_manager.filter(pk=record.local_id).first()
        if row is None:  # deleted here since (e.g. with its service); import it again
            record.delete()
        return row

    def _remember(self, kind: str, remote_id: str, row: models.Model) -> None:
        ImportedRecord.objects.update_or_create(
            source=self.source, kind=kind, remote_id=remote_id, defaults={"local_id": row.pk}
        )

    def _resolve(self, kind: str, remote_id: str, model: type[models.Model]) -> Any:
        """The local row of a record an item refers to; fetched from the origin if not imported yet."""
        row = self._local(kind, remote_id, model)
        if row is None:
            item = self.fetch_record(kind, remote_id)
            if item is not None and not item.get("deleted"):
                row = self._upsert(kind, remote_id, item["data"])
        return row

    def _municipality(self, remote_id: str, ags: str) -> Municipality | None:
        found = Municipality.objects.filter(ags=ags).first()
        resolved: Municipality | None = found or self._resolve(FeedKind.MUNICIPALITY, remote_id, Municipality)
        return resolved

    # --- items -------------------------------------------------------------------------------

    def apply(self, item: dict[str, Any]) -> None:
        kind, remote_id = item.get("kind"), str(item.get("id"))
        if kind not in FeedKind.values:
            self.result.skipped += 1
            self.result.notes.append(f"unknown kind {kind!r}")
            return
        try:
            if item.get("deleted"):
                self._delete(kind, remote_id)
                return
            row = self._upsert(kind, remote_id, item["data"])
        except (KeyError, TypeError, ValueError, IntegrityError) as error:
            raise FeedSyncError(
                _("Item %(seq)s (%(kind)s %(id)s) could not be applied: %(error)r")
                % {"seq": item.get("seq"), "kind": kind, "id": remote_id, "error": error}
            ) from error
        if row is None:
            self.result.skipped += 1

    def _delete(self, kind: str, remote_id: str) -> None:
        record = ImportedRecord.objects.filter(source=self.source, kind=kind, remote_id=remote_id).first()
        if record is None:
            return
        model = _MODELS[kind]
        deleted, _by_model = model._base_manager.filter(pk=record.local_id).delete()
        record.delete()
        if deleted:
            self.result.deleted += 1

    def _upsert(self, kind: str, remote_id: str, data: dict[str, Any]) -> models.Model | None:
        upsert = {
            FeedKind.MUNICIPALITY: self._upsert_municipality,
            FeedKind.OFFICE: self._upsert_office,
            FeedKind.SERVICE: self._upsert_service,
            FeedKind.OFFERING: self._upsert_offering,
        }[FeedKind(kind)]
        return upsert(remote_id, data)

    def _save(self, row: models.Model, values: dict[str, Any], *, created: bool) -> bool:
        """Save ``row`` with ``values`` if it is new or any value differs; whether it did."""
        changed = _assign(row, values) or created
        if changed:
            row.save()
        return changed

    def _tally(self, changed: bool) -> None:
        if changed:
            self.result.applied += 1
        else:
            self.result.unchanged += 1

    def _upsert_municipality(self, remote_id: str, data: dict[str, Any]) -> Municipality | None:
        municipality: Municipality | None = self._local(FeedKind.MUNICIPALITY, remote_id, Municipality)
        values = {name: data[name] for name in _MUNICIPALITY_FIELDS}
        if municipality is None:
            local = Municipality.objects.filter(ags=data["ags"]).first()
            if local is not None:  # one of ours: offerings and offices are attached to it, nothing else
                self._tally(False)
                return local
            district = current_district()
            if district is None:
                raise FeedSyncError(_("This installation has no Kreis to add municipalities to."))
            municipality = Municipality(
                district=district,
                ags=data["ags"],
                ars=data["ars"],
                slug=_free_slug(Municipality._base_manager.all(), data["slug"], 50),
            )
            self._tally(self._save(municipality, values, created=True))
            self._remember(FeedKind.MUNICIPALITY, remote_id, municipality)
            return municipality
        self._tally(self._save(municipality, values, created=False))
        return municipality

    def _upsert_office(self, remote_id: str, data: dict[str, Any]) -> Office | None:
        municipality = self._municipality(data["municipality"], data["municipality_ags"])
        if municipality is None:
            return None
        office: Office | None = self._local(FeedKind.OFFICE, remote_id, Office)
        created = office is None
        if office is None or office.municipality_id != municipality.pk:
            taken = Office._base_manager.filter(municipality=municipality)
            if office is not None:
                taken = taken.exclude(pk=office.pk)
            office = office or Office(municipality=municipality)
            office.municipality = municipality
            office.slug = _free_slug(taken, data["slug"], 50)
        changed = self._save(office, {name: data[name] for name in _OFFICE_FIELDS}, created=created)
        changed |= _replace_hours(office.opening_hours, OpeningHours, "office", office, data["opening_hours"])
        self._tally(changed)
        self._remember(FeedKind.OFFICE, remote_id, office)
        return office

    def _upsert_service(self, remote_id: str, data: dict[str, Any]) -> Service:
        service: Service | None = self._local(FeedKind.SERVICE, remote_id, Service)
        created = service is None
        values = {name: data[name] for name in PUBLISHED_SERVICE_FIELDS}
        values["origin_url"] = self._origin_url(data)
        wanted_slug = data["slug"]
        if service is None or not (service.slug == wanted_slug or service.slug.startswith(f"{wanted_slug}-")):
            others = Service.objects.exclude(pk=service.pk) if service is not None else Service.objects.all()
            values["slug"] = _free_slug(others, wanted_slug, 120)
        service = service or Service()
        changed = self._save(service, values, created=created)
        changed |= _set_groups(service.categories, Category, data["categories"])
        changed |= _set_groups(service.life_situations, LifeSituation, data["life_situations"])
        changed |= _replace_requirements(service, data["requirements"])
        self._tally(changed)
        self._remember(FeedKind.SERVICE, remote_id, service)
        return service

    def _origin_url(self, data: dict[str, Any]) -> str:
        url = str(data.get("url") or "")
        if urlsplit(url).scheme in {"http", "https"}:
            return url
        return f"{self.base}/leistungen/{data['slug']}/"

    def _upsert_offering(self, remote_id: str, data: dict[str, Any]) -> ServiceOffering | None:
        municipality = self._municipality(data["municipality"], data["municipality_ags"])
        service = self._resolve(FeedKind.SERVICE, data["service"], Service)
        if municipality is None or service is None:
            self.result.notes.append(f"offering {remote_id}: its municipality or service is gone at the origin")
            return None
        offices = [self._resolve(FeedKind.OFFICE, office_id, Office) for office_id in data["offices"]]
        serves = [self._municipality(served["public_id"], served["ags"]) for served in data["serves"]]
        offering: ServiceOffering | None = self._local(FeedKind.OFFERING, remote_id, ServiceOffering)
        created = offering is None
        offering = offering or ServiceOffering()
        values = {name: data[name] for name in OFFERING_FIELDS}
        values.update(municipality=municipality, service=service)
        changed = self._save(offering, values, created=created)
        changed |= _set_members(offering.offices, [o for o in offices if o is not None])
        changed |= _set_members(offering.serves, [m for m in serves if m is not None])
        changed |= _replace_hours(offering.hours, OfferingHours, "offering", offering, data["hours"])
        self._tally(changed)
        self._remember(FeedKind.OFFERING, remote_id, offering)
        return offering


_MODELS: dict[str, type[models.Model]] = {
    FeedKind.MUNICIPALITY: Municipality,
    FeedKind.OFFICE: Office,
    FeedKind.SERVICE: Service,
    FeedKind.OFFERING: ServiceOffering,
}


def _assign(row: models.Model, values: dict[str, Any]) -> bool:
    """Set ``values`` on ``row``; whether any differed (compared as the database would store them)."""
    changed = False
    for name, value in values.items():
        model_field = row._meta.get_field(name)
        if isinstance(model_field, models.ForeignKey):
            if getattr(row, model_field.attname) != value.pk:
                setattr(row, name, value)
                changed = True
            continue
        new = model_field.to_python(value) if isinstance(model_field, models.Field) else value
        if getattr(row, name) != new:
            setattr(row, name, new)
            changed = True
    return changed


def _free_slug(taken: models.QuerySet[Any], slug: str, max_length: int) -> str:
    """``slug``, or ``slug-2``, ``slug-3``… if a row of ``taken`` has it."""
    base = slugify(slug)[: max_length - 4] or "eintrag"
    candidate, number = base, 1
    while taken.filter(slug=candidate).exists():
        number += 1
        candidate = f"{base}-{number}"
    return candidate


def _time(text: str) -> dt.time:
    return dt.time.fromisoformat(text)


def _replace_hours(manager: Any, model: Any, owner: str, row: models.Model, hours: list[Any]) -> bool:
    wanted = sorted((int(h["weekday"]), _time(h["opens"]), _time(h["closes"])) for h in hours)
    if sorted(manager.values_list("weekday", "opens", "closes")) == wanted:
        return False
    manager.all().delete()
    model.objects.bulk_create(model(**{owner: row}, weekday=w, opens=o, closes=c) for w, o, c in wanted)
    return True


def _set_groups(manager: Any, model: type[Category] | type[LifeSituation], groups: list[dict[str, Any]]) -> bool:
    """Link categories or life situations by slug, creating the ones this installation lacks."""
    members = []
    for group in groups:
        member, _created = model.objects.get_or_create(
            slug=group["slug"], defaults={"name_de": group["name_de"], "name_en": group.get("name_en", "")}
        )
        members.append(member)
    return _set_members(manager, members)


def _set_members(manager: Any, members: Sequence[models.Model]) -> bool:
    if set(manager.values_list("pk", flat=True)) == {m.pk for m in members}:
        return False
    manager.set(members)
    return True


def _replace_requirements(service: Service, requirements: list[dict[str, Any]]) -> bool:
    keys = ["position", "name_de", "name_en", "note_de", "note_en", "condition"]
    current = [{key: getattr(r, key) for key in keys} for r in service.requirements.order_by("position", "id")]
    wanted = [{key: r.get(key, "" if key != "condition" else None) for key in keys} for r in requirements]
    if current == wanted:
        return False
    service.requirements.all().delete()
    DocumentRequirement.objects.bulk_create(DocumentRequirement(service=service, **r) for r in wanted)
    return True
