"""The short-lived cache of the API's free days and times (appointments/availability_cache.py): a repeat
within the interval is answered from the cache, a booking through the API forgets what it changed, a
booking is always checked against the cells (a stale answer can make a choice fail, never
overbook), refusals are never kept, and after the interval the answer is fresh again."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

import pytest
import time_machine
from django.core.cache import cache
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from pytest_django import Settings

from buergerbuero.appointments.availability_cache import PREFIX
from buergerbuero.appointments.models import CapacityCell, ServiceGroup
from buergerbuero.appointments.services import booking
from buergerbuero.catalog.models import Service
from buergerbuero.core.tenancy import scopes_disabled
from buergerbuero.tenants.models import Office
from tests.appointments.altcha_helpers import solved
from tests.appointments.factories import bookable_office
from tests.catalog.factories import ServiceFactory

pytestmark = pytest.mark.django_db

BERLIN = timezone.get_current_timezone()
WEDNESDAY = dt.date(2026, 11, 18)  # the first bookable day under the fixed clock
EIGHT = dt.datetime.combine(WEDNESDAY, dt.time(8), BERLIN)


@pytest.fixture(autouse=True)
def cached(settings: Settings) -> None:
    settings.APPOINTMENTS_AVAILABILITY_CACHE_SECONDS = 2
    settings.ALTCHA_MAX_NUMBER = 500
    cache.clear()  # the database cache: nothing kept from an earlier test


@pytest.fixture
def group(office_a: Office, clock: time_machine.Coordinates) -> ServiceGroup:
    """One counter booking identity cards in 10 minutes."""
    return bookable_office(office_a, services=[ServiceFactory(slug="personalausweis")], counters=1)


def slots(client: Client, office: Office, language: str = "en") -> tuple[int, dict[str, Any]]:
    response = client.get(
        f"/api/appointments/offices/{office.public_id}/slots",
        {"services": "personalausweis", "date": WEDNESDAY.isoformat()},
        HTTP_ACCEPT_LANGUAGE=language,
    )
    return response.status_code, response.json()


def starts(answer: dict[str, Any]) -> list[dt.datetime]:
    return [dt.datetime.fromisoformat(slot["start"]) for slot in answer["slots"]]


def book(client: Client, office: Office, email: str) -> tuple[int, dict[str, Any]]:
    body = {
        "office": str(office.public_id),
        "services": ["personalausweis"],
        "start": EIGHT.isoformat(),
        "name": "Erika Mustermann",
        "email": email,
        "altcha": solved(client.get("/api/appointments/challenge").json()),
    }
    response = client.post("/api/appointments/bookings", json.dumps(body), content_type="application/json")
    return response.status_code, response.json()


def test_a_repeat_is_answered_from_the_cache_without_reading_the_database(
    group: ServiceGroup, client: Client, office_a: Office
) -> None:
    status, first = slots(client, office_a)
    with CaptureQueriesContext(connection) as queries:
        again = slots(client, office_a)
    # The database cache is the one read (production: Redis, no query at all); no office, service or cell.
    assert [q["sql"] for q in queries if "appointments_" in q["sql"] or "tenants_" in q["sql"]] == []
    assert (status, first) == again
    assert starts(first)[0] == EIGHT


def test_a_stale_answer_never_lets_a_time_be_booked_twice_and_is_fresh_after_the_interval(
    group: ServiceGroup, client: Client, office_a: Office, clock: time_machine.Coordinates
) -> None:
    _, before = slots(client, office_a)
    with scopes_disabled():  # booked another way than the API (the portal's pages, staff): nothing forgotten
        booking.book(
            office_a, [Service.objects.get(slug="personalausweis")], EIGHT, name="Erika", email="e@example.org"
        )

    _, stale = slots(client, office_a)
    assert EIGHT in starts(stale)  # still shown for up to 2 seconds …
    status, refused = book(client, office_a, "max@example.org")
    assert status == 409  # … but the cells decide
    assert EIGHT not in [dt.datetime.fromisoformat(slot["start"]) for slot in refused["alternatives"]]
    with scopes_disabled():
        assert CapacityCell.objects.get(group=group, starts_at=EIGHT).booked == 1

    clock.shift(dt.timedelta(seconds=3))
    _, fresh = slots(client, office_a)
    overlapping = {EIGHT, EIGHT + dt.timedelta(minutes=5)}  # 10 minutes on a 5-minute grid
    assert starts(fresh) == [start for start in starts(before) if start not in overlapping]


def test_a_booking_through_the_api_forgets_the_times_it_changed(
    group: ServiceGroup, client: Client, office_a: Office
) -> None:
    slots(client, office_a)
    client.get(f"/api/appointments/offices/{office_a.public_id}/days", {"services": "personalausweis"})
    assert book(client, office_a, "erika@example.org")[0] == 201

    # The day's times are gone from the cache; the list of days stays (it changes when a day is full).
    assert [key.split(":")[2] for key in _cache_keys() if key.startswith(PREFIX)] == ["days"]
    assert EIGHT not in starts(slots(client, office_a)[1])  # at once, not after the interval


def test_refusals_are_never_kept_and_speak_the_language_of_each_request(client: Client, office_a: Office) -> None:
    unknown = f"/api/appointments/offices/{office_a.public_id}/days"
    english = client.get(unknown, {"services": "zauberei"}, HTTP_ACCEPT_LANGUAGE="en")
    german = client.get(unknown, {"services": "zauberei"}, HTTP_ACCEPT_LANGUAGE="de")

    assert english.status_code == german.status_code == 422
    assert english.json()["message"] == "There is no service “zauberei”."
    assert german.json()["message"] != english.json()["message"]
    assert not any(key.startswith(PREFIX) for key in _cache_keys())


def test_the_cache_is_off_at_zero_seconds(
    group: ServiceGroup, client: Client, office_a: Office, settings: Settings
) -> None:
    settings.APPOINTMENTS_AVAILABILITY_CACHE_SECONDS = 0
    slots(client, office_a)
    assert book(client, office_a, "erika@example.org")[0] == 201
    assert EIGHT not in starts(slots(client, office_a)[1])
    assert not any(key.startswith(PREFIX) for key in _cache_keys())


def _cache_keys() -> list[str]:
    with connection.cursor() as cursor:
        cursor.execute("SELECT cache_key FROM buergerbuero_cache")
        return [row[0].split(":", 2)[-1] for row in cursor.fetchall()]
