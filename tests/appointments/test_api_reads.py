"""The public appointments API, reading: bookable services, offices with their earliest time, free days
and times, the challenge, clear refusals of bad input, and the OpenAPI description."""

from __future__ import annotations

import datetime as dt
import json
import uuid

import pytest
from django.test import Client
from django.utils import timezone

from buergerbuero.appointments.models import ServiceGroup
from buergerbuero.core.tenancy import scopes_disabled
from buergerbuero.tenants.models import Office
from tests.appointments.factories import bookable_office
from tests.catalog.factories import ServiceFactory
from tests.tenants.factories import OfficeFactory

pytestmark = pytest.mark.django_db

WEDNESDAY = dt.date(2026, 11, 18)  # the day after the fixed clock's Tuesday, the first bookable day
BERLIN = timezone.get_current_timezone()


@pytest.fixture
def passport(office_a: Office, office_b: Office, clock: object) -> ServiceGroup:
    """Kaarst books passports (2 counters, 10 minutes); Jüchen too, but is fully closed until Friday."""
    service = ServiceFactory(slug="personalausweis", name_de="Personalausweis", name_en="Identity card")
    bookable_office(office_b, services=[service], counters=1, first_day_offset=3)
    return bookable_office(office_a, services=[service], counters=2)


def get(client: Client, path: str, **params: str) -> tuple[int, object]:
    response = client.get(f"/api/appointments{path}", params, HTTP_ACCEPT_LANGUAGE="en")
    return response.status_code, response.json()


def test_it_lists_the_bookable_services_in_the_request_language(passport: ServiceGroup, client: Client) -> None:
    ServiceFactory(slug="hundesteuer")  # in the catalogue, but no office books it
    english = client.get("/api/appointments/services", HTTP_ACCEPT_LANGUAGE="en").json()
    german = client.get("/api/appointments/services", HTTP_ACCEPT_LANGUAGE="de").json()
    assert english == [
        {"slug": "personalausweis", "name": "Identity card", "minutes": 10, "leika_key": "99115003000000"}
    ]
    assert german[0]["name"] == "Personalausweis"


def test_it_lists_offices_earliest_first(passport: ServiceGroup, client: Client, office_a: Office) -> None:
    status, offices = get(client, "/offices", services="personalausweis")
    assert status == 200
    assert isinstance(offices, list)
    assert [(o["name"], o["municipality"]) for o in offices] == [
        ("Bürgerbüro Kaarst", "Kaarst"),
        ("Bürgerbüro Jüchen", "Jüchen"),
    ]
    kaarst, juechen = offices
    assert kaarst["id"] == str(office_a.public_id)
    assert kaarst["address"] == "Rathausplatz 1, 41564 Kaarst"
    assert dt.datetime.fromisoformat(kaarst["earliest"]) == dt.datetime.combine(WEDNESDAY, dt.time(8), BERLIN)
    assert dt.datetime.fromisoformat(juechen["earliest"]).date() == dt.date(2026, 11, 20)  # from Friday


def test_it_lists_the_days_of_the_booking_window(passport: ServiceGroup, client: Client, office_a: Office) -> None:
    status, body = get(client, f"/offices/{office_a.public_id}/days", services="personalausweis")
    assert status == 200
    assert isinstance(body, dict)
    days = [dt.date.fromisoformat(day) for day in body["days"]]
    assert body["office"] == str(office_a.public_id) and body["services"] == ["personalausweis"]
    assert days[0] == WEDNESDAY
    assert days[-1] == dt.date(2027, 1, 12)  # eight weeks from the Tuesday
    assert all(day.weekday() < 5 for day in days)
    assert dt.date(2026, 12, 25) not in days  # Christmas


def test_it_lists_the_free_times_of_a_day(passport: ServiceGroup, client: Client, office_a: Office) -> None:
    status, body = get(
        client, f"/offices/{office_a.public_id}/slots", services="personalausweis", date=WEDNESDAY.isoformat()
    )
    assert status == 200
    assert isinstance(body, dict)
    assert body["minutes"] == 10 and body["date"] == "2026-11-18"
    starts = [dt.datetime.fromisoformat(slot["start"]) for slot in body["slots"]]
    assert starts[0] == dt.datetime.combine(WEDNESDAY, dt.time(8), BERLIN)
    assert body["slots"][0]["end"] == "2026-11-18T08:10:00+01:00"
    assert dt.datetime.combine(WEDNESDAY, dt.time(11, 55), BERLIN) not in starts  # would run past the break
    assert len(starts) == 47 + 35  # 08:00–11:50 and 13:00–15:50 every 5 minutes


def test_it_offers_no_times_outside_the_booking_window(
    passport: ServiceGroup, client: Client, office_a: Office
) -> None:
    _, today = get(client, f"/offices/{office_a.public_id}/slots", services="personalausweis", date="2026-11-17")
    _, far = get(client, f"/offices/{office_a.public_id}/slots", services="personalausweis", date="2027-06-01")
    assert isinstance(today, dict) and isinstance(far, dict)
    assert today["slots"] == [] and far["slots"] == []


@pytest.mark.parametrize(
    ("path", "params", "status", "code"),
    [
        ("/offices", {}, 422, "no_service"),
        ("/offices", {"services": "personalausweis,zauberei"}, 422, "unknown_service"),
        ("/offices/{office}/days", {"services": "zauberei"}, 422, "unknown_service"),
        ("/offices/{unknown}/days", {"services": "personalausweis"}, 404, "office_not_found"),
        ("/offices/not-a-uuid/days", {"services": "personalausweis"}, 404, "office_not_found"),
        ("/offices/{office}/slots", {"services": "personalausweis", "date": "18.11.2026"}, 422, "invalid_date"),
        ("/offices/{office}/slots", {"services": "personalausweis"}, 422, "invalid_date"),
    ],
)
def test_it_refuses_bad_input_with_a_code_and_a_message(
    passport: ServiceGroup,
    client: Client,
    office_a: Office,
    path: str,
    params: dict[str, str],
    status: int,
    code: str,
) -> None:
    url = path.format(office=office_a.public_id, unknown=uuid.uuid4())
    answer, body = get(client, url, **params)
    assert answer == status
    assert isinstance(body, dict)
    assert body["code"] == code
    assert body["message"]


def test_it_says_when_an_office_does_not_serve_the_services_together(
    passport: ServiceGroup, client: Client, office_a: Office
) -> None:
    bookable_office(office_a, services=[ServiceFactory(slug="fuehrerschein")], key="kfz")
    status, body = get(client, f"/offices/{office_a.public_id}/days", services="personalausweis,fuehrerschein")
    assert status == 422
    assert isinstance(body, dict) and body["code"] == "not_offered"


def test_it_says_when_an_office_takes_no_bookings(passport: ServiceGroup, client: Client, office_a: Office) -> None:
    with scopes_disabled():
        other = OfficeFactory(municipality=office_a.municipality)
    status, body = get(client, f"/offices/{other.public_id}/slots", services="personalausweis", date="2026-11-18")
    assert status == 422
    assert isinstance(body, dict) and body["code"] == "booking_closed"


def test_it_hands_out_a_fresh_challenge_that_is_not_cached(client: Client) -> None:
    response = client.get("/api/appointments/challenge")
    again = client.get("/api/appointments/challenge").json()
    challenge = response.json()
    assert response.status_code == 200 and response["Cache-Control"] == "no-store"
    assert set(challenge) == {"algorithm", "challenge", "maxnumber", "salt", "signature"}
    assert challenge["challenge"] != again["challenge"]


def test_it_rate_limits_availability_with_retry_after(
    passport: ServiceGroup, client: Client, office_a: Office, settings: object
) -> None:
    settings.APPOINTMENTS_RATE_LIMITS = {"availability": (2, 60)}  # type: ignore[attr-defined]
    url = f"/offices/{office_a.public_id}/days"
    assert get(client, url, services="personalausweis")[0] == 200
    assert get(client, url, services="personalausweis")[0] == 200
    response = client.get(f"/api/appointments{url}", {"services": "personalausweis"}, HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 429
    body = response.json()
    assert body["code"] == "rate_limited" and 1 <= body["retry_after"] <= 60
    assert response["Retry-After"] == str(body["retry_after"])
    assert "Too many requests" in body["message"]
    other_client = client.get(f"/api/appointments{url}", {"services": "personalausweis"}, REMOTE_ADDR="192.0.2.7")
    assert other_client.status_code == 200  # the limit is per client


def test_it_is_described_in_the_openapi_schema(client: Client) -> None:
    schema = client.get("/api/openapi.json").json()
    paths = schema["paths"]
    expected = {
        "/api/appointments/services": ("get", {"200"}),
        "/api/appointments/offices": ("get", {"200", "422", "429"}),
        "/api/appointments/offices/{office_id}/days": ("get", {"200", "404", "422", "429"}),
        "/api/appointments/offices/{office_id}/slots": ("get", {"200", "404", "422", "429"}),
        "/api/appointments/challenge": ("get", {"200"}),
        "/api/appointments/holds": ("post", {"201", "400", "403", "404", "409", "422", "429"}),
        "/api/appointments/holds/{hold_id}/confirm": ("post", {"200", "201", "404", "422", "429"}),
        "/api/appointments/bookings": ("post", {"200", "201", "400", "403", "409", "422", "429"}),
        "/api/appointments/bookings/{booking_id}": ("get", {"200", "404"}),
        "/api/appointments/bookings/{booking_id}/cancel": ("post", {"200", "404", "429"}),
        "/api/appointments/bookings/{booking_id}/move": ("post", {"201", "404", "409", "422", "429"}),
    }
    for path, (method, codes) in expected.items():
        operation = paths[path][method]
        assert codes <= set(operation["responses"]), path
        assert operation["summary"] and operation["description"], path
        assert operation["tags"] == ["appointments"]
    taken = json.dumps(paths["/api/appointments/bookings"]["post"]["responses"]["409"])
    assert "SlotTakenOut" in taken
    assert "alternatives" in schema["components"]["schemas"]["SlotTakenOut"]["properties"]
    assert schema["components"]["schemas"]["ErrorOut"]["properties"]["code"]["description"]
