"""The feed importer against the real feed view: idempotent, resumable, dependency-safe, loop-free.

The HTTP client's transport hands each request to Django's test client, so the importer
reads this installation's own feed and imports it as if it came from another portal: the
copies land next to the originals (slug suffix, ``origin_url``) and must never be published.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import httpx
import pytest
from django.test import Client

from buergerbuero.catalog.constants import FeedKind
from buergerbuero.catalog.feed_import import FeedSyncError, source_for_url, sync_source
from buergerbuero.catalog.models import CatalogChange, FeedSource, ImportedRecord, Service, ServiceOffering
from buergerbuero.catalog.tasks import sync_catalog_feeds
from buergerbuero.catalog.versioning import catalog_version
from buergerbuero.tenants.models import Municipality, Office
from tests.catalog.factories import CategoryFactory, DocumentRequirementFactory, ServiceFactory, ServiceOfferingFactory

pytestmark = pytest.mark.django_db

Handler = Callable[[httpx.Request], httpx.Response]


def through_django(fail: Callable[[httpx.Request], bool] = lambda request: False) -> httpx.Client:
    django_client = Client()

    def handle(request: httpx.Request) -> httpx.Response:
        if fail(request):
            raise httpx.ConnectError("connection refused", request=request)
        response = django_client.get(request.url.path, dict(request.url.params))
        return httpx.Response(response.status_code, content=response.content, headers=dict(response.headers))

    return httpx.Client(transport=httpx.MockTransport(handle))


@pytest.fixture
def source() -> FeedSource:
    return source_for_url(url="http://testserver/", name="Nachbarkreis")


@pytest.fixture
def catalogue(kreis_scope: None, municipality_a: Municipality, office_a: Office) -> dict[str, Any]:
    passport = ServiceFactory(slug="reisepass", name_de="Reisepass")
    DocumentRequirementFactory(service=passport, name_de="Lichtbild")
    passport.categories.add(CategoryFactory(slug="ausweise"))
    offering = ServiceOfferingFactory(municipality=municipality_a, service=passport, offices=[office_a])
    return {"passport": passport, "offering": offering}


def copies(kind: str, source: FeedSource) -> list[int]:
    return list(ImportedRecord.objects.filter(source=source, kind=kind).values_list("local_id", flat=True))


def test_it_imports_services_offices_and_offerings_and_publishes_none_of_them(
    kreis_scope: None, source: FeedSource, catalogue: dict[str, Any], municipality_a: Municipality
) -> None:
    version = catalog_version()
    result = sync_source(source, client=through_django(), limit=2)
    assert result.pages == 2 and result.deleted == 0  # four records, two per page

    copy = Service.objects.get(pk=copies(FeedKind.SERVICE, source)[0])
    assert copy.slug == "reisepass-2" and copy.name_de == "Reisepass"
    assert copy.origin_url == "http://testserver/leistungen/reisepass/"
    assert [r.name_de for r in copy.requirements.all()] == ["Lichtbild"]
    assert [c.slug for c in copy.categories.all()] == ["ausweise"]
    office = Office.objects.get(pk=copies(FeedKind.OFFICE, source)[0])
    assert office.municipality == municipality_a and office.slug == "rathaus-2"
    assert office.opening_hours.count() == 10
    offering = ServiceOffering.objects.get(pk=copies(FeedKind.OFFERING, source)[0])
    assert (offering.municipality, offering.service, list(offering.offices.all())) == (municipality_a, copy, [office])
    # Kaarst is ours (same AGS): matched, not copied, not overwritten.
    assert copies(FeedKind.MUNICIPALITY, source) == [] and Municipality.objects.count() == 1

    assert catalog_version() == version, "imported rows must not enter our own feed"
    source.refresh_from_db()
    assert source.last_synced_at is not None and source.last_error == "" and source.cursor


def test_it_changes_nothing_when_synced_again_even_from_the_start(
    kreis_scope: None, source: FeedSource, catalogue: dict[str, Any]
) -> None:
    sync_source(source, client=through_django())
    counts = (Service.objects.count(), Office.objects.count(), ServiceOffering.objects.count())
    again = sync_source(source, client=through_django())
    assert (again.applied, again.deleted) == (0, 0)
    source.cursor = ""
    source.save()
    from_start = sync_source(source, client=through_django())
    assert (from_start.applied, from_start.deleted) == (0, 0) and from_start.unchanged >= 4
    assert (Service.objects.count(), Office.objects.count(), ServiceOffering.objects.count()) == counts


def test_it_follows_changes_and_deletions(kreis_scope: None, source: FeedSource, catalogue: dict[str, Any]) -> None:
    sync_source(source, client=through_django())
    passport: Service = catalogue["passport"]
    passport.summary_de = "Neuer Text."
    passport.save()
    result = sync_source(source, client=through_django())
    assert result.applied == 1
    copy = Service.objects.get(pk=copies(FeedKind.SERVICE, source)[0])
    assert copy.summary_de == "Neuer Text."

    passport.delete()  # its offering goes with it
    result = sync_source(source, client=through_django())
    assert result.deleted == 2
    assert not Service.objects.filter(pk=copy.pk).exists()
    assert copies(FeedKind.SERVICE, source) == [] and copies(FeedKind.OFFERING, source) == []


def test_it_fetches_a_record_that_comes_later_in_the_feed_than_what_refers_to_it(
    kreis_scope: None, source: FeedSource, catalogue: dict[str, Any]
) -> None:
    catalogue["passport"].save()  # the service now comes after its offering
    order = list(CatalogChange.objects.order_by("seq").values_list("kind", flat=True))
    assert order.index(FeedKind.OFFERING) < order.index(FeedKind.SERVICE)
    sync_source(source, client=through_django(), limit=1)
    assert len(copies(FeedKind.SERVICE, source)) == 1 and len(copies(FeedKind.OFFERING, source)) == 1


def test_it_keeps_the_cursor_of_the_last_whole_page_and_resumes_after_a_network_error(
    kreis_scope: None, source: FeedSource, catalogue: dict[str, Any]
) -> None:
    calls = {"n": 0}

    def second_page_fails(request: httpx.Request) -> bool:
        calls["n"] += 1
        return calls["n"] == 2

    with pytest.raises(FeedSyncError, match="ist nicht erreichbar"):
        sync_source(source, client=through_django(second_page_fails), limit=2)
    source.refresh_from_db()
    assert "connection refused" in source.last_error
    first_cursor = source.cursor
    assert first_cursor and len(ImportedRecord.objects.filter(source=source)) >= 1

    sync_source(source, client=through_django(), limit=2)
    source.refresh_from_db()
    assert source.last_error == "" and source.cursor != first_cursor
    assert len(copies(FeedKind.SERVICE, source)) == 1 and len(copies(FeedKind.OFFERING, source)) == 1


def test_it_refuses_urls_that_are_not_http(db: None) -> None:
    for url in ["file:///etc/passwd", "ftp://example.org", "javascript:alert(1)", "example.org"]:
        with pytest.raises(FeedSyncError):
            source_for_url(url=url)


def test_it_records_an_answer_that_is_no_feed(kreis_scope: None, source: FeedSource) -> None:
    client = httpx.Client(transport=httpx.MockTransport(lambda request: httpx.Response(200, json={"hello": 1})))
    with pytest.raises(FeedSyncError, match="ist kein Katalog-Feed"):
        sync_source(source, client=client)
    source.refresh_from_db()
    assert "ist kein Katalog-Feed" in source.last_error and source.cursor == ""


def test_it_syncs_from_a_task_and_records_an_unreachable_source(kreis_scope: None) -> None:
    gone = source_for_url(url="http://127.0.0.1:9", name="Abgeschaltet")
    outcome = sync_catalog_feeds.call(gone.pk)
    assert outcome["Abgeschaltet"].startswith("error: ")
    gone.refresh_from_db()
    assert "ist nicht erreichbar" in gone.last_error and gone.last_synced_at is None
    assert sync_catalog_feeds.call()["Abgeschaltet"].startswith("error: ")
