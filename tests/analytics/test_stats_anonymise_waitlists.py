"""Waitlist and lottery entries lose their personal data ANONYMISE_APPOINTMENTS_AFTER_DAYS (90) after their last
relevance; what they were (office, services, states, the appointment won) stays."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from django.db.models import Count

from buergerbuero.analytics.services.anonymise import ANONYMISED_KEY_PREFIX, anonymise_personal_data
from buergerbuero.appointments.constants import LotteryEntryState, LotteryState, WaitlistState
from buergerbuero.appointments.models import LotteryEntry, LotteryRound, WaitlistEntry
from buergerbuero.core.models import AuditEntry
from buergerbuero.core.tenancy import scopes_disabled
from buergerbuero.tenants.models import Office
from tests.analytics.stats_data import BERLIN
from tests.catalog.factories import ServiceFactory

pytestmark = pytest.mark.django_db

NOW = dt.datetime(2027, 3, 15, 3, 0, tzinfo=BERLIN)
OLD = NOW - dt.timedelta(days=120)  # made before the 90-day limit
RECENT = NOW - dt.timedelta(days=30)


def waitlist_entry(office: Office, key: str, state: str, *, created: dt.datetime, **fields: object) -> WaitlistEntry:
    entry = WaitlistEntry.objects.create(
        office=office,
        name=f"Person {key}",
        email=f"{key}@example.org",
        person_key=f"{key:0>64}",
        manage_token_hash=f"token-{key}",
        state=state,
        **fields,
    )
    WaitlistEntry.objects.filter(pk=entry.pk).update(created_at=created)  # auto_now_add
    entry.services.add(ServiceFactory())
    return entry


def lottery_round(office: Office, *, closes: dt.datetime, slots_until: dt.date) -> LotteryRound:
    return LotteryRound.objects.create(
        office=office,
        opens_at=closes - dt.timedelta(days=14),
        closes_at=closes,
        slots_from=closes.date() + dt.timedelta(days=1),
        slots_until=slots_until,
        state=LotteryState.DRAWN,
        seed="42",
        drawn_at=closes,
    )


def lottery_entries(round_: LotteryRound, states: list[str]) -> list[LotteryEntry]:
    entries = []
    for number, state in enumerate(states):
        entry = LotteryEntry.objects.create(
            round=round_,
            name=f"Losperson {number}",
            email=f"los{number}@example.org",
            person_key=f"{round_.pk}{number}".rjust(64, "f"),
            manage_token_hash=f"los-token-{number}",
            state=state,
            preferred_weekdays=[0, 2],
        )
        LotteryEntry.objects.filter(pk=entry.pk).update(created_at=round_.opens_at)
        entries.append(entry)
    return entries


def personal(entry: WaitlistEntry | LotteryEntry) -> tuple[str, str, str]:
    entry.refresh_from_db()
    return (entry.name, entry.email, entry.manage_token_hash)


def test_waitlist_entries_are_anonymised_after_their_last_relevance(
    office_a: Office, clock: time_machine.Coordinates
) -> None:
    with scopes_disabled():
        booked = waitlist_entry(office_a, "a", WaitlistState.BOOKED, created=OLD, offer_expires_at=OLD)
        cancelled = waitlist_entry(office_a, "b", WaitlistState.CANCELLED, created=OLD)
        # still waiting, no end: relevant however old
        waiting = waitlist_entry(office_a, "c", WaitlistState.WAITING, created=OLD)
        # still "waiting", but the last wished day passed long ago: dead
        lapsed = waitlist_entry(
            office_a, "d", WaitlistState.WAITING, created=OLD, until_date=(OLD + dt.timedelta(days=20)).date()
        )
        # closed, but its wished days ended only 60 days ago
        young_end = waitlist_entry(
            office_a, "e", WaitlistState.EXPIRED, created=OLD, until_date=(NOW - dt.timedelta(days=60)).date()
        )
        # an offer that expired 30 days ago
        young_offer = waitlist_entry(office_a, "f", WaitlistState.EXPIRED, created=OLD, offer_expires_at=RECENT)
        recent = waitlist_entry(office_a, "g", WaitlistState.CANCELLED, created=RECENT)
        states_before = dict(WaitlistEntry.objects.values_list("state").annotate(n=Count("pk")).order_by())

    result = anonymise_personal_data(now=NOW)

    assert result.waitlist_entries == 3
    with scopes_disabled():
        for entry in (booked, cancelled, lapsed):
            assert personal(entry) == ("", "", "")
            assert entry.person_key == ""
            assert entry.services.count() == 1 and entry.office_id == office_a.pk
        assert booked.state == WaitlistState.BOOKED and lapsed.until_date is not None
        for entry in (waiting, young_end, young_offer, recent):
            assert personal(entry)[0].startswith("Person ")
            assert entry.person_key != ""
        assert dict(WaitlistEntry.objects.values_list("state").annotate(n=Count("pk")).order_by()) == states_before
        audit = AuditEntry.objects.get(action="analytics.personal_data.anonymised")
        assert audit.changes["waitlist_entries"] == 3 and audit.changes["lottery_entries"] == 0

    assert anonymise_personal_data(now=NOW).changed == 0  # idempotent


def test_lottery_entries_are_anonymised_after_their_round(office_a: Office, clock: time_machine.Coordinates) -> None:
    states = [LotteryEntryState.WON, LotteryEntryState.WON, LotteryEntryState.LOST, LotteryEntryState.WITHDRAWN]
    with scopes_disabled():
        # closed 150 days ago, its appointments ended 100 days ago: past
        past = lottery_round(
            office_a, closes=NOW - dt.timedelta(days=150), slots_until=(NOW - dt.timedelta(days=100)).date()
        )
        # closed 150 days ago too, but its appointments ran until 50 days ago: still relevant
        long_round = lottery_round(
            office_a, closes=NOW - dt.timedelta(days=150), slots_until=(NOW - dt.timedelta(days=50)).date()
        )
        old_entries = lottery_entries(past, states)
        kept_entries = lottery_entries(long_round, states[:2])

    result = anonymise_personal_data(now=NOW)

    assert result.lottery_entries == 4
    with scopes_disabled():
        for entry in old_entries:
            assert personal(entry) == ("", "", "")
            assert entry.person_key == f"{ANONYMISED_KEY_PREFIX}{entry.pk}"  # unique per round, says nothing
            assert entry.round_id == past.pk and entry.preferred_weekdays == [0, 2]
        assert [entry.state for entry in old_entries] == states  # who won and lost: kept
        assert LotteryEntry.objects.filter(round=past).count() == 4
        for entry in kept_entries:
            assert personal(entry)[0].startswith("Losperson")

    assert anonymise_personal_data(now=NOW).changed == 0  # idempotent: the prefix marks them as done
