"""Change capture: every write of a published record moves it to the end of the feed's change log."""

from __future__ import annotations

import datetime as dt
import threading
import time

import pytest
from django.db import connection, transaction

from buergerbuero.catalog.constants import FeedKind
from buergerbuero.catalog.feed import backfill, record_change
from buergerbuero.catalog.models import CatalogChange, OfferingHours, Service
from buergerbuero.catalog.versioning import catalog_version
from buergerbuero.core.tenancy import scopes_disabled, tenant_scope
from buergerbuero.tenants.models import Municipality, Office, OpeningHours
from tests.catalog.factories import (
    CategoryFactory,
    DocumentRequirementFactory,
    LifeSituationFactory,
    ServiceFactory,
    ServiceOfferingFactory,
)
from tests.tenants.factories import OfficeFactory

pytestmark = pytest.mark.django_db


def seq_of(kind: str, record: object) -> int:
    change = CatalogChange.objects.get(kind=kind, object_id=record.public_id)  # type: ignore[attr-defined]
    assert not change.deleted
    return change.seq


def test_it_moves_a_service_to_the_end_on_every_change_of_it_or_its_parts() -> None:
    service = ServiceFactory()
    seqs = [seq_of(FeedKind.SERVICE, service)]
    requirement = DocumentRequirementFactory(service=service)
    seqs.append(seq_of(FeedKind.SERVICE, service))
    category = CategoryFactory()
    service.categories.add(category)
    seqs.append(seq_of(FeedKind.SERVICE, service))
    situation = LifeSituationFactory()
    situation.services.add(service)  # the reverse side of the link
    seqs.append(seq_of(FeedKind.SERVICE, service))
    category.name_de = "Neuer Name"
    category.save()
    seqs.append(seq_of(FeedKind.SERVICE, service))
    situation.services.clear()
    seqs.append(seq_of(FeedKind.SERVICE, service))
    requirement.delete()
    seqs.append(seq_of(FeedKind.SERVICE, service))
    category.delete()  # removes the link without an m2m signal
    seqs.append(seq_of(FeedKind.SERVICE, service))

    assert seqs == sorted(seqs) and len(set(seqs)) == len(seqs)
    assert CatalogChange.objects.filter(object_id=service.public_id).count() == 1
    assert catalog_version() == seqs[-1]


def test_it_leaves_one_tombstone_for_a_deleted_service() -> None:
    service = ServiceFactory()
    DocumentRequirementFactory(service=service)
    public_id = service.public_id
    service.delete()
    change = CatalogChange.objects.get(object_id=public_id)
    assert change.kind == FeedKind.SERVICE and change.deleted


def test_it_moves_an_office_when_its_opening_hours_change_even_inside_a_tenant_scope(
    municipality_a: Municipality,
) -> None:
    with scopes_disabled():
        office = OfficeFactory(municipality=municipality_a)
    before = seq_of(FeedKind.OFFICE, office)
    with tenant_scope([municipality_a]):
        OpeningHours.objects.create(office=office, weekday=5, opens=dt.time(9), closes=dt.time(12))
    after_add = seq_of(FeedKind.OFFICE, office)
    with tenant_scope([municipality_a]):
        OpeningHours.objects.filter(office=office, weekday=5).delete()
    assert before < after_add < seq_of(FeedKind.OFFICE, office)


def test_it_moves_an_offering_on_its_links_and_hours_and_when_a_linked_office_goes(
    kreis_scope: None, municipality_a: Municipality, municipality_b: Municipality, office_a: Office
) -> None:
    offering = ServiceOfferingFactory(municipality=municipality_a, offices=[office_a])
    seqs = [seq_of(FeedKind.OFFERING, offering)]
    offering.serves.add(municipality_b)
    seqs.append(seq_of(FeedKind.OFFERING, offering))
    hours = OfferingHours.objects.create(offering=offering, weekday=0, opens=dt.time(8), closes=dt.time(12))
    seqs.append(seq_of(FeedKind.OFFERING, offering))
    hours.delete()
    seqs.append(seq_of(FeedKind.OFFERING, offering))
    offering.name_de = "Örtlicher Name"
    offering.save()
    seqs.append(seq_of(FeedKind.OFFERING, offering))
    office_public_id = office_a.public_id
    office_a.delete()
    seqs.append(seq_of(FeedKind.OFFERING, offering))
    assert seqs == sorted(seqs) and len(set(seqs)) == len(seqs)
    assert CatalogChange.objects.get(object_id=office_public_id).deleted

    offering_id = offering.public_id
    municipality_b.delete()  # served, so the offering's data changes
    assert CatalogChange.objects.get(object_id=offering_id).seq > seqs[-1]
    offering.delete()
    assert CatalogChange.objects.get(object_id=offering_id).deleted


def test_it_logs_municipalities_and_their_deletion_cascade(kreis_scope: None, municipality_a: Municipality) -> None:
    office = OfficeFactory(municipality=municipality_a)
    offering = ServiceOfferingFactory(municipality=municipality_a, offices=[office])
    municipality_a.tagline = "Neu"
    municipality_a.save()
    assert seq_of(FeedKind.MUNICIPALITY, municipality_a) > seq_of(FeedKind.OFFERING, offering)
    ids = [municipality_a.public_id, office.public_id, offering.public_id]
    municipality_a.delete()
    assert set(CatalogChange.objects.filter(object_id__in=ids).values_list("deleted", flat=True)) == {True}


def test_it_writes_nothing_when_the_write_rolls_back() -> None:
    with pytest.raises(RuntimeError), transaction.atomic():
        ServiceFactory()
        raise RuntimeError("rollback")
    assert not CatalogChange.objects.exists()
    assert catalog_version() == 0


def test_it_does_not_publish_imported_services() -> None:
    ServiceFactory(origin_url="https://buergerbuero.example.org/leistungen/x/")
    assert not CatalogChange.objects.exists()


def test_it_backfills_rows_written_around_the_signals(kreis_scope: None, office_a: Office) -> None:
    Service.objects.bulk_create([Service(slug="bulk", leika_key="99115003000000", name_de="Bulk", summary_de="x")])
    CatalogChange.objects.all().delete()
    added = backfill()
    assert added == 3  # the district's municipality, its office, the bulk service
    assert backfill() == 0


@pytest.mark.django_db(transaction=True)
def test_it_lets_no_writer_commit_a_lower_seq_after_a_reader_saw_a_higher_one() -> None:
    """A second writer waits for the first to commit, so seq order is commit order (PostgreSQL lock, SQLite)."""
    first_recorded, release_first = threading.Event(), threading.Event()
    second_done = threading.Event()
    errors: list[BaseException] = []

    def first_writer() -> None:
        try:
            with transaction.atomic():
                record_change(FeedKind.SERVICE, ServiceFactory.build().public_id)
                first_recorded.set()
                release_first.wait(10)
        except BaseException as error:  # surfaced below
            errors.append(error)
        finally:
            connection.close()

    def second_writer() -> None:
        try:
            first_recorded.wait(10)
            with transaction.atomic():
                record_change(FeedKind.SERVICE, ServiceFactory.build().public_id)
            second_done.set()
        except BaseException as error:
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=first_writer), threading.Thread(target=second_writer)]
    for thread in threads:
        thread.start()
    assert first_recorded.wait(10)
    time.sleep(0.5)
    # The reader sees nothing yet: the first writer holds its row uncommitted, the second waits for it.
    assert not second_done.is_set()
    assert list(CatalogChange.objects.values_list("seq", flat=True)) == []
    release_first.set()
    for thread in threads:
        thread.join(15)
    assert not errors
    seqs = list(CatalogChange.objects.order_by("seq").values_list("seq", flat=True))
    assert len(seqs) == 2
