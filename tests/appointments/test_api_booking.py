"""The public appointments API, writing: holds and their confirmation, one-step booking with
idempotency, the proof-of-work, taken times with alternatives, clear refusals, the manage link
(read, cancel, move) and rate limits. Challenges are solved for real (``altcha_helpers``)."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

import pytest
import time_machine
from django.test import Client
from django.utils import timezone

from buergerbuero.appointments import selectors
from buergerbuero.appointments.constants import AppointmentState, BookingChannel
from buergerbuero.appointments.models import Appointment, ServiceGroup
from buergerbuero.appointments.services import booking
from buergerbuero.core.outbox import dispatch_due
from buergerbuero.core.tenancy import scopes_disabled
from buergerbuero.tenants.models import Office
from tests.appointments.altcha_helpers import solved
from tests.appointments.factories import bookable_office
from tests.catalog.factories import ServiceFactory

pytestmark = pytest.mark.django_db

BERLIN = timezone.get_current_timezone()
EIGHT = dt.datetime(2026, 11, 18, 8, 0, tzinfo=BERLIN)  # Wednesday, the first bookable time


@pytest.fixture(autouse=True)
def easy_challenges(settings: Any) -> None:
    settings.ALTCHA_MAX_NUMBER = 500


@pytest.fixture
def group(office_a: Office, clock: time_machine.Coordinates) -> ServiceGroup:
    """One counter booking identity cards in 10 minutes."""
    return bookable_office(office_a, services=[ServiceFactory(slug="personalausweis")], counters=1)


def challenge(client: Client) -> str:
    return solved(client.get("/api/appointments/challenge").json())


def post(client: Client, path: str, body: dict[str, Any]) -> tuple[int, dict[str, Any]]:
    response = client.post(
        f"/api/appointments{path}", json.dumps(body), content_type="application/json", HTTP_ACCEPT_LANGUAGE="en"
    )
    return response.status_code, response.json()


def booking_body(client: Client, office: Office, start: dt.datetime = EIGHT, **extra: Any) -> dict[str, Any]:
    return {
        "office": str(office.public_id),
        "services": ["personalausweis"],
        "start": start.isoformat(),
        "name": "Erika Mustermann",
        "email": "erika@example.org",
        "altcha": challenge(client),
        **extra,
    }


def test_it_holds_a_time_and_confirms_it_once(group: ServiceGroup, client: Client, office_a: Office) -> None:
    status, hold = post(
        client,
        "/holds",
        {"office": str(office_a.public_id), "services": ["personalausweis"], "start": EIGHT.isoformat(),
         "altcha": challenge(client)},
    )  # fmt: skip
    assert status == 201
    assert hold["start"] == "2026-11-18T08:00:00+01:00" and hold["end"] == "2026-11-18T08:10:00+01:00"
    assert hold["expires_at"] == "2026-11-17T09:40:00+01:00"  # ten minutes after the fixed clock
    assert EIGHT not in [
        slot.starts_at for slot in selectors.free_slots(office_a, list(group.services.all()), EIGHT.date())
    ]

    contact = {"token": hold["token"], "name": "Erika Mustermann", "email": "erika@example.org"}
    first_status, first = post(client, f"/holds/{hold['id']}/confirm", contact)
    again_status, again = post(client, f"/holds/{hold['id']}/confirm", contact)

    assert (first_status, again_status) == (201, 200)
    assert first == again
    assert first["id"] == hold["id"] and first["state"] == "booked" and first["code"].startswith("T-")
    assert first["manage_url"] == f"http://testserver/termine/verwalten/{hold['id']}/{hold['token']}/"
    with scopes_disabled():
        appointment = Appointment.objects.get()
    assert appointment.channel == BookingChannel.API and appointment.email == "erika@example.org"
    dispatch_due()
    from django.core import mail

    assert [message.to for message in mail.outbox] == [["erika@example.org"]]  # one e-mail for two confirms


def test_it_refuses_a_hold_without_a_valid_solution(group: ServiceGroup, client: Client, office_a: Office) -> None:
    body = {"office": str(office_a.public_id), "services": ["personalausweis"], "start": EIGHT.isoformat()}
    missing = post(client, "/holds", {**body, "altcha": ""})
    garbage = post(client, "/holds", {**body, "altcha": "bm90IGEgc29sdXRpb24="})
    solution = challenge(client)
    assert post(client, "/holds", {**body, "altcha": solution})[0] == 201
    replayed = post(client, "/holds", {**body, "start": "2026-11-18T08:10:00+01:00", "altcha": solution})

    assert [(status, answer["code"]) for status, answer in (missing, garbage, replayed)] == [
        (400, "altcha_invalid"),
        (403, "altcha_invalid"),
        (403, "altcha_invalid"),
    ]


def test_it_books_in_one_step_and_answers_a_repeat_with_the_same_booking(
    group: ServiceGroup, client: Client, office_a: Office
) -> None:
    body = booking_body(client, office_a, idempotency_key="app-4711")
    status, booked = post(client, "/bookings", body)
    # A retry after a lost answer sends the same body; its solution is used up, the key answers.
    repeat_status, repeat = post(client, "/bookings", body)

    assert status == 201 and booked["state"] == "booked" and booked["token"]
    assert repeat_status == 200
    assert repeat == {**booked, "token": "", "manage_url": ""}
    with scopes_disabled():
        assert Appointment.objects.count() == 1


def test_it_answers_a_taken_time_with_the_nearest_free_ones(
    group: ServiceGroup, client: Client, office_a: Office
) -> None:
    assert post(client, "/bookings", booking_body(client, office_a))[0] == 201

    status, answer = post(client, "/bookings", booking_body(client, office_a, email="max@example.org"))

    assert status == 409
    assert answer["code"] == "slot_taken" and "just been taken" in answer["message"]
    starts = [dt.datetime.fromisoformat(slot["start"]) for slot in answer["alternatives"]]
    assert starts and EIGHT not in starts
    assert starts[0] == EIGHT + dt.timedelta(minutes=10)  # the next free start on the single counter
    assert all(start.date() == EIGHT.date() for start in starts)


@pytest.mark.parametrize(
    ("change", "status", "code"),
    [
        ({"start": "2026-11-18T08:02:00+01:00"}, 422, "invalid_start"),  # off the 5-minute grid
        ({"start": "2026-11-18T12:30:00+01:00"}, 422, "invalid_start"),  # lunch break
        ({"start": "2026-11-17T14:00:00+01:00"}, 422, "outside_window"),  # today
        ({"start": "18.11.2026 08:00"}, 422, "invalid_start"),
        ({"services": ["zauberei"]}, 422, "unknown_service"),
        ({"services": []}, 422, "no_service"),
        ({"office": "00000000-0000-0000-0000-000000000000"}, 404, "office_not_found"),
        ({"email": "erika-at-example.org"}, 422, "invalid_email"),
        ({"name": "  "}, 422, "invalid_name"),
        ({"idempotency_key": "x" * 65}, 422, "invalid_idempotency_key"),
    ],
)
def test_it_refuses_what_cannot_be_booked_with_a_code(
    group: ServiceGroup, client: Client, office_a: Office, change: dict[str, Any], status: int, code: str
) -> None:
    answer_status, answer = post(client, "/bookings", {**booking_body(client, office_a), **change})
    assert (answer_status, answer["code"]) == (status, code)
    assert answer["message"]


def test_it_takes_a_time_without_offset_as_berlin_time(group: ServiceGroup, client: Client, office_a: Office) -> None:
    status, booked = post(client, "/bookings", {**booking_body(client, office_a), "start": "2026-11-18T08:00:00"})
    assert status == 201 and booked["start"] == "2026-11-18T08:00:00+01:00"


def test_it_refuses_a_second_open_appointment_per_person_and_service(
    office_a: Office, client: Client, clock: time_machine.Coordinates
) -> None:
    bookable_office(office_a, services=[ServiceFactory(slug="personalausweis")], counters=2)
    assert post(client, "/bookings", booking_body(client, office_a))[0] == 201
    later = EIGHT + dt.timedelta(hours=1)
    status, answer = post(client, "/bookings", booking_body(client, office_a, start=later, email="Erika@Example.org"))
    assert (status, answer["code"]) == (422, "cap_reached")


def test_it_refuses_to_confirm_an_expired_hold(
    group: ServiceGroup, client: Client, office_a: Office, clock: time_machine.Coordinates
) -> None:
    body = booking_body(client, office_a)
    _, hold = post(client, "/holds", {k: body[k] for k in ("office", "services", "start", "altcha")})
    clock.shift(dt.timedelta(minutes=11))
    status, answer = post(
        client, f"/holds/{hold['id']}/confirm", {"token": hold["token"], "name": "E", "email": "e@example.org"}
    )
    wrong = post(client, f"/holds/{hold['id']}/confirm", {"token": "nope", "name": "E", "email": "e@example.org"})
    assert (status, answer["code"]) == (422, "hold_expired")
    assert (wrong[0], wrong[1]["code"]) == (404, "not_found")


def test_it_shows_cancels_and_moves_a_booking_by_its_manage_token(
    group: ServiceGroup, client: Client, office_a: Office
) -> None:
    _, booked = post(client, "/bookings", booking_body(client, office_a))
    url = f"/api/appointments/bookings/{booked['id']}"

    shown = client.get(url, {"token": booked["token"]}).json()
    assert shown["state"] == "booked" and shown["services"] == ["personalausweis"]
    assert shown["office"]["id"] == str(office_a.public_id)
    assert client.get(url, {"token": "wrong"}).status_code == 404
    assert client.get("/api/appointments/bookings/not-a-uuid", {"token": booked["token"]}).status_code == 404

    nine = EIGHT + dt.timedelta(hours=1)
    status, moved = post(
        client, f"/bookings/{booked['id']}/move", {"token": booked["token"], "start": nine.isoformat()}
    )
    assert status == 201
    assert moved["id"] != booked["id"] and moved["token"] != booked["token"]
    assert moved["start"] == "2026-11-18T09:00:00+01:00" and moved["state"] == "booked"
    assert client.get(url, {"token": booked["token"]}).json()["state"] == "cancelled"

    status, cancelled = post(client, f"/bookings/{moved['id']}/cancel", {"token": moved["token"]})
    again_status, again = post(client, f"/bookings/{moved['id']}/cancel", {"token": moved["token"]})
    assert (status, cancelled["state"]) == (200, "cancelled")
    assert (again_status, again) == (200, cancelled)
    services = list(group.services.all())
    assert nine not in [s.starts_at for s in selectors.free_slots(office_a, services, nine.date())]  # return delay
    with scopes_disabled():
        booking.return_due_capacity(now=timezone.now() + dt.timedelta(minutes=16))
    assert nine in [s.starts_at for s in selectors.free_slots(office_a, services, nine.date())]


def test_it_refuses_to_move_onto_a_taken_time_and_changes_nothing(
    group: ServiceGroup, client: Client, office_a: Office
) -> None:
    _, mine = post(client, "/bookings", booking_body(client, office_a))
    nine = EIGHT + dt.timedelta(hours=1)
    assert post(client, "/bookings", booking_body(client, office_a, start=nine, email="max@example.org"))[0] == 201

    status, answer = post(client, f"/bookings/{mine['id']}/move", {"token": mine["token"], "start": nine.isoformat()})

    assert (status, answer["code"]) == (409, "slot_taken")
    assert answer["alternatives"]
    with scopes_disabled():
        assert Appointment.objects.get(public_id=mine["id"]).state == AppointmentState.BOOKED


def test_it_rate_limits_bookings_per_client(
    group: ServiceGroup, client: Client, office_a: Office, settings: Any
) -> None:
    settings.APPOINTMENTS_RATE_LIMITS = {"book": (1, 300)}
    assert post(client, "/bookings", booking_body(client, office_a))[0] == 201
    response = client.post(
        "/api/appointments/bookings",
        json.dumps(booking_body(client, office_a, start=EIGHT + dt.timedelta(hours=1), email="max@example.org")),
        content_type="application/json",
    )
    assert response.status_code == 429
    assert response.json()["code"] == "rate_limited"
    assert 1 <= int(response["Retry-After"]) <= 300
