"""The release lottery: entering, the days held back from normal booking, the draw.

Kaarst's office has one counter and a one-hour grid, so a day has seven appointments (08–12 and
13–16). The round collects entries until Wednesday 18 November 09:30 for Thursday 19 and Friday 20
November; the clock stands at Tuesday 17 November 09:30.
"""

from __future__ import annotations

import datetime as dt
import re
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.db.models import Count
from django.test import Client
from django.urls import reverse

from buergerbuero.appointments import fairness, selectors
from buergerbuero.appointments.constants import AppointmentState, BookingChannel, LotteryEntryState, LotteryState
from buergerbuero.appointments.models import Appointment, LotteryEntry, LotteryRound, ServiceGroup
from buergerbuero.appointments.services import booking, lottery
from buergerbuero.catalog.models import Service
from buergerbuero.core.models import AuditEntry, OutboxMessage
from buergerbuero.core.tenancy import scopes_disabled
from buergerbuero.tenants.models import Office
from tests.appointments.altcha_helpers import solved
from tests.appointments.factories import bookable_office
from tests.catalog.factories import ServiceFactory
from tests.harness.clock import FIXED_NOW

pytestmark = pytest.mark.django_db

BERLIN = ZoneInfo("Europe/Berlin")
THURSDAY = dt.date(2026, 11, 19)
FRIDAY = dt.date(2026, 11, 20)
CLOSES = FIXED_NOW + dt.timedelta(days=1)
AFTER_CLOSE = CLOSES + dt.timedelta(minutes=5)
PER_DAY = 7


@pytest.fixture
def passport(db: None) -> Service:
    return ServiceFactory(counter_minutes=60, slug="reisepass")


@pytest.fixture
def kaarst(office_a: Office, passport: Service, clock: time_machine.Coordinates) -> ServiceGroup:
    return bookable_office(office_a, services=[passport], counters=1, grid_minutes=60)


@pytest.fixture
def open_round(kaarst: ServiceGroup, office_a: Office, passport: Service) -> LotteryRound:
    with scopes_disabled():
        created = LotteryRound.objects.create(
            office=office_a,
            opens_at=FIXED_NOW - dt.timedelta(hours=1),
            closes_at=CLOSES,
            slots_from=THURSDAY,
            slots_until=FRIDAY,
        )
        created.services.set([passport])
    return created


def enter(round_: LotteryRound, number: int, weekdays: tuple[int, ...] = ()) -> LotteryEntry:
    with scopes_disabled():
        return lottery.enter(
            round_, name=f"Person {number}", email=f"person{number}@example.org", preferred_weekdays=weekdays
        ).entry


def entries(round_: LotteryRound) -> list[LotteryEntry]:
    with scopes_disabled():
        return list(LotteryEntry.objects.filter(round=round_).select_related("appointment").order_by("pk"))


# -- entering -----------------------------------------------------------------------------------------


@pytest.fixture
def easy_pow(settings: object) -> None:
    settings.ALTCHA_MAX_NUMBER = 500  # type: ignore[attr-defined]


def entry_form(email: str = "max@example.org", **changes: object) -> dict[str, object]:
    data: dict[str, object] = {
        "name": "Max Muster",
        "email": email,
        "preferred_weekdays": ["4"],
        "altcha": solved(fairness.new_challenge()),
    }
    data.update(changes)
    return data


def test_it_takes_an_entry_from_the_round_page_and_mails_a_withdraw_link(
    client: Client, open_round: LotteryRound, easy_pow: None
) -> None:
    url = reverse("appointments:lottery", args=[open_round.pk])
    page = client.get(url, HTTP_ACCEPT_LANGUAGE="en")
    assert page.status_code == 200
    assert b'id="lottery-form"' in page.content
    offered = re.findall(r'name="preferred_weekdays" value="(\d)"', page.content.decode())
    assert offered == ["3", "4"]  # the round's days are a Thursday and a Friday

    response = client.post(url, entry_form())

    assert response.status_code == 302
    (entry,) = entries(open_round)
    assert (entry.state, entry.preferred_weekdays, entry.email) == (LotteryEntryState.ENTERED, [4], "max@example.org")
    mail = OutboxMessage.objects.get(dedupe_key__startswith=f"lottery-entered:{entry.pk}:")
    assert response["Location"] in mail.payload["body"]
    assert b'data-state="entered"' in client.get(response["Location"]).content
    assert b'id="count-entered">1<' in client.get(url).content


def test_it_refuses_a_second_entry_of_the_same_person_with_a_message(
    client: Client, open_round: LotteryRound, easy_pow: None
) -> None:
    url = reverse("appointments:lottery", args=[open_round.pk])
    assert client.post(url, entry_form()).status_code == 302

    again = client.post(url, entry_form(email=" Max@Example.org"), HTTP_ACCEPT_LANGUAGE="en")

    assert again.status_code == 409
    assert "already entered" in again.content.decode()
    assert len(entries(open_round)) == 1


def test_it_refuses_a_form_without_a_solved_security_check(client: Client, open_round: LotteryRound) -> None:
    response = client.post(reverse("appointments:lottery", args=[open_round.pk]), entry_form(altcha="x"))

    assert response.status_code == 400
    assert entries(open_round) == []


def test_it_takes_no_entries_before_the_window_opens_or_after_it_closes(
    open_round: LotteryRound, clock: time_machine.Coordinates
) -> None:
    with scopes_disabled():
        with pytest.raises(lottery.EntryRefused):
            lottery.enter(open_round, name="Early", email="e@example.org", now=FIXED_NOW - dt.timedelta(hours=2))
        with pytest.raises(lottery.EntryRefused):
            lottery.enter(open_round, name="Late", email="l@example.org", now=CLOSES)
    assert entries(open_round) == []


def test_it_lets_a_person_withdraw_before_the_draw_and_enter_again(client: Client, open_round: LotteryRound) -> None:
    with scopes_disabled():
        entered = lottery.enter(open_round, name="Max", email="max@example.org")
    url = reverse("appointments:lottery_entry", args=[entered.token])

    assert client.post(url, {"action": "withdraw"}).status_code == 302

    assert entries(open_round)[0].state == LotteryEntryState.WITHDRAWN
    with scopes_disabled():
        assert lottery.round_counts(open_round).entered == 0
    assert enter(open_round, 0).state == LotteryEntryState.ENTERED
    assert client.get(reverse("appointments:lottery_entry", args=["wrong"])).status_code == 404


# -- the days held back --------------------------------------------------------------------------------


def test_it_refuses_normal_booking_of_the_rounds_days_while_it_is_open(
    open_round: LotteryRound, office_a: Office, passport: Service
) -> None:
    friday_nine = dt.datetime(2026, 11, 20, 9, tzinfo=BERLIN)
    with scopes_disabled(), pytest.raises(booking.BookingError) as refused:
        booking.reserve(office_a, [passport], friday_nine)
    assert refused.value.code == "lottery"
    assert selectors.free_slots(office_a, [passport], FRIDAY) == []
    days = selectors.bookable_days(office_a, [passport])
    assert THURSDAY not in days and FRIDAY not in days
    assert dt.date(2026, 11, 18) in days and dt.date(2026, 11, 23) in days
    (option,) = selectors.earliest_in_kreis([passport])
    assert option.earliest is not None and option.earliest.starts_at.date() == dt.date(2026, 11, 18)

    other = ServiceFactory(counter_minutes=60)
    with scopes_disabled():
        open_round.office.service_groups.get().services.add(other)
        assert booking.reserve(office_a, [other], friday_nine).appointment.state == AppointmentState.HELD


def test_it_makes_the_days_bookable_again_when_the_round_is_called_off(
    open_round: LotteryRound, office_a: Office, passport: Service, admin_a: object
) -> None:
    enter(open_round, 1)
    with scopes_disabled():
        assert lottery.cancel_round(open_round, actor=None)
        assert not lottery.cancel_round(open_round, actor=None)

    assert len(selectors.free_slots(office_a, [passport], FRIDAY)) == PER_DAY
    assert OutboxMessage.objects.filter(dedupe_key__startswith="lottery-cancelled:").count() == 1


# -- the draw -------------------------------------------------------------------------------------------


def test_it_draws_once_the_window_has_closed_and_gives_at_most_the_free_times(
    open_round: LotteryRound, office_a: Office, passport: Service
) -> None:
    for number in range(2 * PER_DAY + 3):
        enter(open_round, number)
    assert lottery.draw_due(CLOSES - dt.timedelta(minutes=1)) == 0  # still open

    assert lottery.draw_due(AFTER_CLOSE) == 2 * PER_DAY + 3

    with scopes_disabled():
        open_round.refresh_from_db()
        won = [e for e in entries(open_round) if e.state == LotteryEntryState.WON]
        lost = [e for e in entries(open_round) if e.state == LotteryEntryState.LOST]
        booked = Appointment.objects.filter(channel=BookingChannel.LOTTERY, state=AppointmentState.BOOKED)
        assert booked.count() == len(won) == 2 * PER_DAY
        assert {e.appointment_id for e in won} == set(booked.values_list("pk", flat=True))
        assert not booked.values("starts_at").annotate(n=Count("pk")).filter(n__gt=1).exists()
        for entry in won:
            assert entry.appointment is not None and entry.appointment.email == entry.email
        audit = AuditEntry.objects.filter(object_id=str(open_round.pk)).values_list("action", "actor")
    assert (open_round.state, len(open_round.seed), open_round.drawn_at) == (LotteryState.DRAWN, 32, AFTER_CLOSE)
    assert len(lost) == 3
    for entry in lost:
        mail = OutboxMessage.objects.get(dedupe_key=f"lottery-lost:{entry.pk}")
        assert f"/termine/warteliste/?buero={office_a.public_id}" in mail.payload["body"]
    assert OutboxMessage.objects.filter(dedupe_key__startswith="appointment-booked:").count() == 2 * PER_DAY
    assert set(audit) == {("appointments.lotteryround.drawn", None), ("appointments.lotteryround.assigned", None)}
    assert len(selectors.free_slots(office_a, [passport], FRIDAY, now=AFTER_CLOSE)) == 0


def test_it_books_in_the_order_the_recorded_seed_reproduces(open_round: LotteryRound) -> None:
    for number in range(PER_DAY * 2 + 5):
        enter(open_round, number)

    lottery.draw_due(AFTER_CLOSE)

    with scopes_disabled():
        open_round.refresh_from_db()
    settled = {entry.pk: entry for entry in entries(open_round)}
    order = lottery.draw_order(open_round.seed, list(settled))
    assert [settled[pk].state for pk in order] == [LotteryEntryState.WON] * (2 * PER_DAY) + [LotteryEntryState.LOST] * 5
    starts = [settled[pk].appointment.starts_at for pk in order[: 2 * PER_DAY]]  # type: ignore[union-attr]
    assert starts == sorted(starts)  # each winner takes the earliest time left
    assert order != sorted(order)
    assert lottery.draw_order(open_round.seed, list(reversed(list(settled)))) == order


def test_it_gives_a_winner_the_earliest_time_on_the_preferred_weekday(open_round: LotteryRound) -> None:
    friday_only = enter(open_round, 1, weekdays=(4,))

    lottery.draw_due(AFTER_CLOSE)

    (entry,) = entries(open_round)
    assert entry.pk == friday_only.pk and entry.appointment is not None
    assert entry.appointment.starts_at == dt.datetime(2026, 11, 20, 8, tzinfo=BERLIN)


def test_it_changes_nothing_when_the_draw_runs_again(open_round: LotteryRound) -> None:
    for number in range(PER_DAY * 2 + 2):
        enter(open_round, number)
    lottery.draw_due(AFTER_CLOSE)
    with scopes_disabled():
        open_round.refresh_from_db()
        before = (open_round.seed, [(e.state, e.appointment_id) for e in entries(open_round)])
    mails = OutboxMessage.objects.count()

    assert lottery.draw_due(AFTER_CLOSE + dt.timedelta(minutes=5)) == 0

    with scopes_disabled():
        open_round.refresh_from_db()
        assert (open_round.seed, [(e.state, e.appointment_id) for e in entries(open_round)]) == before
        assert Appointment.objects.filter(channel=BookingChannel.LOTTERY).count() == 2 * PER_DAY
    assert OutboxMessage.objects.count() == mails


def test_it_finishes_a_draw_that_was_interrupted(open_round: LotteryRound) -> None:
    for number in range(3):
        enter(open_round, number)
    with scopes_disabled():  # as if the process died right after recording the seed
        LotteryRound.objects.filter(pk=open_round.pk).update(state=LotteryState.DRAWN, seed="abc", drawn_at=CLOSES)

    assert lottery.draw_due(AFTER_CLOSE) == 3

    assert {entry.state for entry in entries(open_round)} == {LotteryEntryState.WON}


def test_it_shows_the_counts_but_no_names_after_the_draw(client: Client, open_round: LotteryRound) -> None:
    for number in range(PER_DAY * 2 + 1):
        enter(open_round, number)
    lottery.draw_due(AFTER_CLOSE)

    page = client.get(reverse("appointments:lottery", args=[open_round.pk])).content.decode()

    assert re.search(r'id="count-won">14<', page)
    assert re.search(r'id="count-lost">1<', page)
    assert 'id="lottery-form"' not in page
    assert "Person 1" not in page and "person1@example.org" not in page
