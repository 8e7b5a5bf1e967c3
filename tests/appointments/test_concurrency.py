"""300 people, 20 times: booking stays exact under real concurrency, on SQLite and on PostgreSQL.

Each test releases its attempts together (``threading.Barrier``) from a pool of worker threads, each
with its own database connection (closed at the end). The office has exactly the times the test
names: one counter, one short opening on Wednesday 18 November 2026, a 10-minute service on a
10-minute grid, no walk-in share, a one-week window. Run on PostgreSQL with ``DATABASE_URL`` set.
"""

from __future__ import annotations

import datetime as dt
import itertools
import json
import queue
import random
import threading
from collections import Counter as Tally
from collections.abc import Callable, Iterator, Sequence
from typing import Any, TypeVar

import pytest
import time_machine
from django.db import connection
from django.db.models import Q, Sum
from django.test import Client
from django.utils import timezone

from buergerbuero.appointments import selectors
from buergerbuero.appointments.constants import ACTIVE_STATES, AppointmentState
from buergerbuero.appointments.models import Appointment, CapacityCell, ServiceGroup
from buergerbuero.appointments.services import booking
from buergerbuero.catalog.models import Service
from buergerbuero.core.models import OutboxMessage
from buergerbuero.core.tenancy import scopes_disabled
from buergerbuero.tenants.models import Office, OpeningHours
from tests.appointments.altcha_helpers import solved
from tests.appointments.factories import bookable_office
from tests.catalog.factories import ServiceFactory

pytestmark = pytest.mark.django_db(transaction=True)

T = TypeVar("T")
BERLIN = timezone.get_current_timezone()
WEDNESDAY = dt.date(2026, 11, 18)
FIRST = dt.datetime.combine(WEDNESDAY, dt.time(8), BERLIN)
GRID = dt.timedelta(minutes=10)


def worker_count() -> int:
    """40 threads, fewer if PostgreSQL allows fewer connections (half of them, others need some too)."""
    if connection.vendor != "postgresql":
        return 40
    with connection.cursor() as cursor:
        cursor.execute("SHOW max_connections")
        (limit,) = cursor.fetchone()
    return max(4, min(40, int(limit) // 2))


def storm(tasks: Sequence[Callable[[], T]]) -> list[T]:
    """Run ``tasks`` on a pool of threads that all start at the same moment; results in task order.
    A task's exception fails the test (``SlotTaken`` is an answer, so tasks catch it themselves)."""
    workers = min(worker_count(), len(tasks))
    start = threading.Barrier(workers)
    todo: queue.Queue[int] = queue.Queue()
    for index in range(len(tasks)):
        todo.put(index)
    results: dict[int, T] = {}
    errors: list[BaseException] = []

    def work() -> None:
        try:
            with scopes_disabled():
                start.wait(timeout=60)
                while True:
                    try:
                        index = todo.get_nowait()
                    except queue.Empty:
                        return
                    try:
                        results[index] = tasks[index]()
                    finally:
                        connection.close()  # like a request: give the pooled connection back after each task
        except BaseException as error:  # reported in the main thread
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=work, name=f"storm-{n}") for n in range(workers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not any(thread.is_alive() for thread in threads), "a worker hung"
    if errors:
        raise errors[0]
    return [results[index] for index in range(len(tasks))]


@pytest.fixture
def frozen(clock: time_machine.Coordinates) -> Iterator[time_machine.Coordinates]:
    """The fixed clock (Tuesday 17 November 2026, 09:30), in every thread."""
    yield clock


def scarce_office(office: Office, slots: int) -> tuple[ServiceGroup, list[Service]]:
    """``office`` with exactly ``slots`` bookable times: Wednesday from 08:00, one counter."""
    closes = (FIRST + slots * GRID).time()
    with scopes_disabled():
        OpeningHours.objects.filter(office=office).delete()
        OpeningHours.objects.create(office=office, weekday=WEDNESDAY.weekday(), opens=dt.time(8), closes=closes)
    service = ServiceFactory(slug="personalausweis", counter_minutes=10)
    group = bookable_office(office, services=[service], counters=1, grid_minutes=10, weeks_ahead=1)
    with scopes_disabled():
        assert CapacityCell.objects.filter(group=group).aggregate(total=Sum("bookable"))["total"] == slots
    return group, [service]


def starts(slots: int) -> list[dt.datetime]:
    return [FIRST + n * GRID for n in range(slots)]


def assert_exact(group: ServiceGroup, booked: int) -> None:
    """No cell over its capacity, every cell's count equals the appointments in it, no two appointments
    overlap on the single counter, and exactly ``booked`` appointments exist, each confirmed once."""
    with scopes_disabled():
        cells = list(CapacityCell.objects.filter(group=group).order_by("starts_at"))
        appointments = list(Appointment.objects.filter(group=group, state__in=ACTIVE_STATES).order_by("starts_at"))
        emails = OutboxMessage.objects.count()  # confirmations: nothing else is sent here
    assert len(appointments) == booked
    assert all(a.state == AppointmentState.BOOKED for a in appointments)
    assert all(cell.booked <= cell.bookable for cell in cells)
    for cell in cells:
        inside = [a for a in appointments if a.starts_at < cell.ends_at and a.ends_at > cell.starts_at]
        assert cell.booked == len(inside), cell
    for earlier, later in itertools.pairwise(appointments):
        assert earlier.ends_at <= later.starts_at, (earlier, later)
    assert emails == booked


def book_one(office: Office, services: list[Service], start: dt.datetime, person: int) -> tuple[str, Any]:
    """One attempt: ``("booked", appointment pk)`` or ``("taken", alternatives offered then)``."""
    try:
        reservation = booking.book(office, services, start, name=f"Person {person}", email=f"p{person}@example.org")
    except booking.SlotTaken:
        return "taken", [slot.starts_at for slot in selectors.alternatives(office, services, start)]
    return "booked", reservation.appointment.pk


def test_it_books_exactly_20_of_300_random_attempts(office_a: Office, frozen: object) -> None:
    group, services = scarce_office(office_a, 20)
    times = starts(20)
    picks = times + [random.Random(5).choice(times) for _ in range(280)]  # every time wanted at least once
    random.Random(7).shuffle(picks)

    results = storm([lambda n=n, start=start: book_one(office_a, services, start, n) for n, start in enumerate(picks)])

    outcomes = Tally(kind for kind, _ in results)
    assert outcomes == {"booked": 20, "taken": 280}
    for (kind, alternatives), wanted in zip(results, picks, strict=True):
        if kind == "taken":
            assert wanted not in alternatives  # a full time is never offered again
            assert set(alternatives) <= set(times)
    assert_exact(group, booked=20)
    assert selectors.alternatives(office_a, services, FIRST) == []  # sold out: nothing left to offer
    assert selectors.free_slots(office_a, services, WEDNESDAY) == []


def test_it_books_exactly_20_when_300_people_all_want_the_first_time(office_a: Office, frozen: object) -> None:
    """Everyone asks for 08:00 and, when it is taken, for the first alternative offered, until booked or
    sold out — what a client of the API does."""
    group, services = scarce_office(office_a, 20)

    def citizen(person: int) -> tuple[str, int]:
        start: dt.datetime | None = FIRST
        tries = 0
        while start is not None:
            tries += 1
            kind, answer = book_one(office_a, services, start, person)
            if kind == "booked":
                return "booked", tries
            start = answer[0] if answer else None
        return "sold_out", tries

    results = storm([lambda n=n: citizen(n) for n in range(300)])

    assert Tally(kind for kind, _ in results) == {"booked": 20, "sold_out": 280}
    assert_exact(group, booked=20)
    with scopes_disabled():
        booked = sorted(Appointment.objects.filter(group=group).values_list("starts_at", flat=True))
    assert booked == starts(20)


def test_it_confirms_a_hold_once_however_often_it_is_confirmed_at_once(office_a: Office, frozen: object) -> None:
    group, services = scarce_office(office_a, 2)
    with scopes_disabled():
        hold = booking.reserve(office_a, services, FIRST)

    def confirm() -> int:
        appointment = booking.confirm(
            Appointment.objects.get(pk=hold.appointment.pk), name="Erika", email="erika@example.org", token=hold.token
        )
        return appointment.pk

    results = storm([confirm for _ in range(10)])

    assert set(results) == {hold.appointment.pk}
    assert_exact(group, booked=1)


def test_it_books_once_for_one_idempotency_key_sent_ten_times_at_once(office_a: Office, frozen: object) -> None:
    group, services = scarce_office(office_a, 2)

    def book() -> int:
        reservation = booking.book(
            office_a, services, FIRST, name="Erika", email="erika@example.org", idempotency_key="retry-42"
        )
        return reservation.appointment.pk

    results = storm([book for _ in range(10)])

    assert len(set(results)) == 1
    assert_exact(group, booked=1)


def test_it_books_exactly_5_of_60_attempts_through_the_api(office_a: Office, frozen: object, settings: Any) -> None:
    settings.ALTCHA_MAX_NUMBER = 500
    group, _services = scarce_office(office_a, 5)
    times = starts(5)
    picks = times + [random.Random(11).choice(times) for _ in range(55)]
    random.Random(13).shuffle(picks)
    client = Client()
    solutions = [solved(client.get("/api/appointments/challenge").json()) for _ in picks]

    def attempt(person: int, start: dt.datetime, solution: str) -> tuple[int, dict[str, Any]]:
        body = {
            "office": str(office_a.public_id),
            "services": ["personalausweis"],
            "start": start.isoformat(),
            "name": f"Person {person}",
            "email": f"p{person}@example.org",
            "altcha": solution,
        }
        response = Client(REMOTE_ADDR=f"192.0.2.{person + 1}").post(
            "/api/appointments/bookings", json.dumps(body), content_type="application/json"
        )
        return response.status_code, response.json()

    results = storm(
        [
            lambda n=n, start=start, solution=solution: attempt(n, start, solution)
            for n, (start, solution) in enumerate(zip(picks, solutions, strict=True))
        ]
    )

    assert Tally(status for status, _ in results) == {201: 5, 409: 55}
    for (status, body), wanted in zip(results, picks, strict=True):
        if status == 409:
            assert body["code"] == "slot_taken"
            offered = [dt.datetime.fromisoformat(slot["start"]) for slot in body["alternatives"]]
            assert wanted not in offered and set(offered) <= set(times)
    assert_exact(group, booked=5)
    with scopes_disabled():
        assert not Appointment.objects.filter(~Q(state=AppointmentState.BOOKED)).exists()
