"""Per-process copies of the booking setup (appointments/setup_cache.py): reused while nothing changes,
dropped at once in the process that saved a change, and in every other process as soon as the new
generation is committed to the shared cache."""

from __future__ import annotations

from collections.abc import Callable

import pytest
import time_machine
from django.core.cache import cache
from django.db import transaction
from django.test import Client
from pytest_django import Settings

from buergerbuero.appointments import setup_cache
from buergerbuero.appointments.models import BookingPolicy, ServiceGroup
from buergerbuero.core.tenancy import scopes_disabled
from buergerbuero.tenants.models import Office
from tests.appointments.factories import bookable_office
from tests.catalog.factories import ServiceFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def group(office_a: Office, clock: time_machine.Coordinates) -> ServiceGroup:
    return bookable_office(office_a, services=[ServiceFactory(slug="personalausweis")], counters=1)


def counting(value: object) -> tuple[Callable[[], object], list[int]]:
    calls: list[int] = []

    def load() -> object:
        calls.append(1)
        return value

    return load, calls


def test_a_copy_is_reused_until_another_process_starts_a_new_generation() -> None:
    load, calls = counting("copy")
    assert setup_cache.remembered(("thing",), load) == "copy"
    assert setup_cache.remembered(("thing",), load) == "copy"
    assert len(calls) == 1

    cache.set(setup_cache.GENERATION_KEY, "committed-by-another-process", timeout=None)
    assert setup_cache.remembered(("thing",), load) == "copy"
    assert len(calls) == 2


def test_nothing_found_is_not_kept() -> None:
    load, calls = counting(None)
    setup_cache.remembered(("missing",), load)
    setup_cache.remembered(("missing",), load)
    assert len(calls) == 2


@pytest.mark.django_db(transaction=True)
def test_a_saved_change_drops_the_copies_here_and_starts_a_generation_on_commit(
    group: ServiceGroup, office_a: Office
) -> None:
    load, calls = counting("copy")
    setup_cache.remembered(("thing",), load)
    before = cache.get(setup_cache.GENERATION_KEY)

    with transaction.atomic(), scopes_disabled():
        policy = BookingPolicy.objects.get(office=office_a)
        policy.hold_minutes = 5
        policy.save()
        assert cache.get(setup_cache.GENERATION_KEY) == before  # other processes: not before the commit
        setup_cache.remembered(("thing",), load)  # this process: at once …
        setup_cache.remembered(("thing",), load)  # … and no copy of what may still roll back
        assert len(calls) == 3

    assert cache.get(setup_cache.GENERATION_KEY) != before
    setup_cache.remembered(("thing",), load)
    setup_cache.remembered(("thing",), load)
    assert len(calls) == 4


@pytest.mark.django_db(transaction=True)
def test_a_rolled_back_change_leaves_no_copy_behind(group: ServiceGroup, office_a: Office) -> None:
    with pytest.raises(RuntimeError), transaction.atomic(), scopes_disabled():
        policy = BookingPolicy.objects.get(office=office_a)
        policy.is_active = False
        policy.save()
        setup_cache.remembered(
            ("policy-active", office_a.pk), lambda: BookingPolicy.objects.get(office=office_a).is_active
        )
        raise RuntimeError

    with scopes_disabled():
        active = setup_cache.remembered(
            ("policy-active", office_a.pk), lambda: BookingPolicy.objects.get(office=office_a).is_active
        )
    assert active is True


def test_the_api_sees_a_policy_change_at_once(group: ServiceGroup, office_a: Office, client: Client) -> None:
    path = f"/api/appointments/offices/{office_a.public_id}/days"
    assert client.get(path, {"services": "personalausweis"}).status_code == 200

    with scopes_disabled():
        policy = BookingPolicy.objects.get(office=office_a)
        policy.is_active = False
        policy.save()

    refused = client.get(path, {"services": "personalausweis"}, HTTP_ACCEPT_LANGUAGE="en")
    assert refused.status_code == 422 and refused.json()["code"] == "booking_closed"


def test_the_copies_can_be_switched_off(settings: Settings) -> None:
    settings.APPOINTMENTS_SETUP_CACHE = False
    load, calls = counting("copy")
    setup_cache.remembered(("thing",), load)
    setup_cache.remembered(("thing",), load)
    assert len(calls) == 2


def test_another_process_is_looked_for_at_most_every_check_interval(settings: Settings) -> None:
    settings.APPOINTMENTS_SETUP_CHECK_SECONDS = 3600
    load, calls = counting("copy")
    setup_cache.remembered(("thing",), load)
    cache.set(setup_cache.GENERATION_KEY, "committed-by-another-process", timeout=None)
    setup_cache.remembered(("thing",), load)
    assert len(calls) == 1  # not looked for yet

    settings.APPOINTMENTS_SETUP_CHECK_SECONDS = 0
    setup_cache.remembered(("thing",), load)
    assert len(calls) == 2


@pytest.mark.django_db(transaction=True)  # autocommit: the save commits and its generation is written
def test_without_a_shared_cache_every_lookup_loads_and_a_save_still_succeeds(
    group: ServiceGroup, office_a: Office, settings: Settings
) -> None:
    settings.CACHES = {
        "default": {"BACKEND": "django.core.cache.backends.db.DatabaseCache", "LOCATION": "no_such_table"}
    }
    load, calls = counting("copy")
    setup_cache.remembered(("thing",), load)
    setup_cache.remembered(("thing",), load)
    assert len(calls) == 2

    with scopes_disabled():
        policy = BookingPolicy.objects.get(office=office_a)
        policy.hold_minutes = 7
        policy.save()  # its commit cannot write a new generation: logged, not raised
        assert BookingPolicy.objects.get(office=office_a).hold_minutes == 7
