"""The release lottery: for scarce services, requests for a range of days are collected over an entry
window and the times are then drawn at random among everyone who entered.

While a round is ``OPEN`` its days cannot be booked normally (``blocked_days``, used by the booking
core and the selectors). ``draw_due`` (periodic) draws every round whose window has closed: it records
a seed, shuffles the entries with ``random.Random(seed)`` (so anyone with the seed can check the
order), opens the days and books, entry by entry in drawn order, the earliest free time on the
entrant's preferred weekdays (else any day of the round). Each entry is settled in its own
transaction and books with an idempotency key of its own, so a draw that was interrupted resumes
where it stopped and a second run changes nothing. See docs/appointments-waitlist-lottery.md.
"""

from __future__ import annotations

import random
import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from urllib.parse import urlencode

from django.db import IntegrityError, transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from buergerbuero.accounts.models import User
from buergerbuero.catalog.models import Service
from buergerbuero.core.audit import log_action
from buergerbuero.core.links import absolute_url
from buergerbuero.core.tenancy import scopes_disabled, tenant_scope
from buergerbuero.notifications.email import queue_email
from buergerbuero.tenants.models import Office

from .. import setup_cache
from ..constants import BookingChannel, LotteryEntryState, LotteryState
from ..models import LotteryEntry, LotteryRound
from .booking import BookingError, SlotTaken, book, hash_token, person_key

__all__ = [
    "EntryRefused",
    "LotteryEntered",
    "RoundCounts",
    "blocked_days",
    "cancel_round",
    "draw_due",
    "draw_order",
    "draw_round",
    "enter",
    "entry_by_token",
    "is_accepting_entries",
    "round_counts",
    "withdraw",
]


class EntryRefused(Exception):
    """An entry was not accepted; ``code`` is stable, ``message`` is for people."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


@dataclass(frozen=True)
class LotteryEntered:
    """A new entry and the secret of its withdraw link (shown and mailed once, stored hashed)."""

    entry: LotteryEntry
    token: str


@dataclass(frozen=True)
class RoundCounts:
    entered: int
    won: int
    lost: int


# -- reads ----------------------------------------------------------------------------------------


def blocked_days(office: Office, services: Sequence[Service], first: date, last: date) -> frozenset[date]:
    """The days ``first``..``last`` that an open lottery round of ``office`` holds back for any of
    ``services``: they are drawn, not booked. One query, kept per process until rounds change
    (``setup_cache``)."""
    service_ids = sorted({service.pk for service in services})
    if not service_ids or last < first:
        return frozenset()
    key = ("lottery-days", office.pk, first, last, *service_ids)
    return setup_cache.remembered(key, lambda: _blocked_days(office, service_ids, first, last))


def _blocked_days(office: Office, service_ids: Sequence[int], first: date, last: date) -> frozenset[date]:
    with scopes_disabled():  # offices and their rounds are public; callers run in either scope
        spans = set(
            LotteryRound.objects.filter(
                office=office,
                state=LotteryState.OPEN,
                services__in=service_ids,
                slots_from__lte=last,
                slots_until__gte=first,
            ).values_list("slots_from", "slots_until")
        )
    days: set[date] = set()
    for start, end in spans:
        day = max(start, first)
        while day <= min(end, last):
            days.add(day)
            day += timedelta(days=1)
    return frozenset(days)


def is_accepting_entries(lottery: LotteryRound, *, now: datetime) -> bool:
    return lottery.state == LotteryState.OPEN and lottery.opens_at <= now < lottery.closes_at


def round_counts(lottery: LotteryRound) -> RoundCounts:
    """How many took part and, after the draw, how many won or lost (no names)."""
    states = list(lottery.entries.exclude(state=LotteryEntryState.WITHDRAWN).values_list("state", flat=True))
    return RoundCounts(
        entered=len(states),
        won=states.count(LotteryEntryState.WON),
        lost=states.count(LotteryEntryState.LOST),
    )


def entry_by_token(token: str) -> LotteryEntry | None:
    """The entry of a withdraw link, or ``None`` (the token is the key; no scope needed)."""
    if not token:
        return None
    with scopes_disabled():
        return (
            LotteryEntry.objects.select_related("round", "round__office", "round__office__municipality")
            .filter(manage_token_hash=hash_token(token))
            .first()
        )


def draw_order(seed: str, entry_ids: Sequence[int]) -> list[int]:
    """The drawn order of ``entry_ids``: sorted, then shuffled with ``random.Random(seed)``. Pure, so
    anyone with the recorded seed and the list of entries can reproduce a draw."""
    order = sorted(entry_ids)
    # Not for secrecy: the seed comes from ``secrets``; a seeded generator makes the order reproducible.
    random.Random(seed).shuffle(order)  # noqa: S311
    return order


# -- entering and withdrawing ---------------------------------------------------------------------


def enter(
    lottery: LotteryRound,
    *,
    name: str,
    email: str,
    preferred_weekdays: Sequence[int] = (),
    now: datetime | None = None,
) -> LotteryEntered:
    """Enter ``lottery`` once per person (by e-mail). A person who withdrew may enter again.

    Raises ``EntryRefused`` (``closed``, ``duplicate``)."""
    now = now or timezone.now()
    key = person_key(email)
    token = secrets.token_urlsafe(24)
    weekdays = sorted({int(day) for day in preferred_weekdays if 0 <= int(day) <= 6})
    try:
        with transaction.atomic():
            locked = LotteryRound.objects.select_for_update().get(pk=lottery.pk)
            if not is_accepting_entries(locked, now=now):
                raise EntryRefused("closed", _("This lottery does not take entries now."))
            earlier = LotteryEntry.objects.select_for_update().filter(round=locked, person_key=key).first()
            if earlier is not None and earlier.state != LotteryEntryState.WITHDRAWN:
                raise EntryRefused("duplicate", _("This e-mail address has already entered this lottery."))
            entry = earlier or LotteryEntry(round=locked, person_key=key)
            entry.name, entry.email = name.strip(), email.strip()
            entry.preferred_weekdays = weekdays
            entry.state = LotteryEntryState.ENTERED
            entry.manage_token_hash = hash_token(token)
            entry.save()
            _notify(entry, "entered", token=token)
    except IntegrityError as error:  # the same person entered concurrently
        raise EntryRefused("duplicate", _("This e-mail address has already entered this lottery.")) from error
    return LotteryEntered(entry=entry, token=token)


def withdraw(entry: LotteryEntry, *, now: datetime | None = None) -> LotteryEntry:
    """Take an entry out of its round; only before the draw. Withdrawing twice is a no-op."""
    now = now or timezone.now()
    with transaction.atomic():
        locked = LotteryEntry.objects.select_for_update().select_related("round").get(pk=entry.pk)
        if locked.state != LotteryEntryState.ENTERED or locked.round.state != LotteryState.OPEN:
            return locked
        locked.state = LotteryEntryState.WITHDRAWN
        locked.save(update_fields=["state"])
        return locked


def cancel_round(lottery: LotteryRound, *, actor: User | None) -> bool:
    """Call off an open round: its days become bookable normally, entrants are told. ``False`` if it
    was no longer open."""
    with transaction.atomic():
        if not LotteryRound.objects.filter(pk=lottery.pk, state=LotteryState.OPEN).update(state=LotteryState.CANCELLED):
            return False
        setup_cache.changed()  # its days are bookable again (an update sends no signal)
        lottery.refresh_from_db()
        log_action(
            actor=actor,
            action="appointments.lotteryround.cancelled",
            obj=lottery,
            municipality=lottery.office.municipality,
        )
        for entry in lottery.entries.filter(state=LotteryEntryState.ENTERED):
            _notify(entry, "cancelled")
    return True


# -- drawing ----------------------------------------------------------------------------------------


def draw_due(now: datetime | None = None) -> int:
    """Draw every open round whose entry window has closed, and finish any draw that was
    interrupted. Returns how many entries were settled (0 when there was nothing to do)."""
    now = now or timezone.now()
    with scopes_disabled():  # Kreis-wide: find the rounds, then work on each in its own scope
        closed = LotteryRound.objects.filter(closes_at__lte=now, state=LotteryState.OPEN)
        interrupted = LotteryRound.objects.filter(state=LotteryState.DRAWN, entries__state=LotteryEntryState.ENTERED)
        due = {
            *closed.values_list("pk", "office__municipality_id"),
            *interrupted.values_list("pk", "office__municipality_id"),
        }
    settled = 0
    for pk, municipality_id in sorted(due):
        with tenant_scope([municipality_id]):
            settled += draw_round(LotteryRound.objects.select_related("office__municipality").get(pk=pk), now=now)
    return settled


def draw_round(lottery: LotteryRound, *, now: datetime | None = None) -> int:
    """Draw ``lottery`` (if its window has closed) and book its entries in drawn order. Returns how
    many entries were settled now; a drawn round with every entry settled gives 0."""
    now = now or timezone.now()
    with transaction.atomic():
        seed = secrets.token_hex(16)
        claimed = LotteryRound.objects.filter(pk=lottery.pk, state=LotteryState.OPEN, closes_at__lte=now).update(
            state=LotteryState.DRAWN, seed=seed, drawn_at=now
        )
        lottery.refresh_from_db()
        if claimed:
            setup_cache.changed()  # its days are no longer held back (an update sends no signal)
            log_action(
                actor=None,
                action="appointments.lotteryround.drawn",
                obj=lottery,
                municipality=lottery.office.municipality,
                changes={"seed": seed, "entries": round_counts(lottery).entered},
            )
    if lottery.state != LotteryState.DRAWN:
        return 0
    services = list(lottery.services.order_by("slug"))
    ids = lottery.entries.exclude(state=LotteryEntryState.WITHDRAWN).values_list("pk", flat=True)
    finder = _FreeTimes(lottery, services, now=now)
    settled = won = 0
    for pk in draw_order(lottery.seed, list(ids)):
        outcome = _settle(pk, lottery, services, finder, now=now)
        if outcome is not None:
            settled += 1
            won += outcome == LotteryEntryState.WON
    if settled:
        with transaction.atomic():
            log_action(
                actor=None,
                action="appointments.lotteryround.assigned",
                obj=lottery,
                municipality=lottery.office.municipality,
                changes={"settled": settled, "won": won, "lost": settled - won},
            )
    return settled


class _FreeTimes:
    """The free starts of a round's days, read once per day and read again after a booking there."""

    def __init__(self, lottery: LotteryRound, services: Sequence[Service], *, now: datetime) -> None:
        self.lottery = lottery
        self.services = services
        self.now = now
        self._starts: dict[date, list[datetime]] = {}

    def candidates(self, weekdays: Sequence[int]) -> list[datetime]:
        """Free starts on ``weekdays`` (every day when empty), earliest first."""
        found = []
        day = self.lottery.slots_from
        while day <= self.lottery.slots_until:
            if not weekdays or day.weekday() in weekdays:
                found.extend(self._day(day))
            day += timedelta(days=1)
        return found

    def forget(self, starts_at: datetime) -> None:
        self._starts.pop(timezone.localtime(starts_at).date(), None)

    def _day(self, day: date) -> list[datetime]:
        if day not in self._starts:
            from ..selectors import free_slots  # the selectors import this module (blocked_days)

            slots = free_slots(self.lottery.office, self.services, day, now=self.now)
            self._starts[day] = [slot.starts_at for slot in slots]
        return self._starts[day]


def _settle(
    pk: int, lottery: LotteryRound, services: Sequence[Service], finder: _FreeTimes, *, now: datetime
) -> str | None:
    """Book the earliest fitting time for one entry (WON) or tell them they were not drawn (LOST).
    ``None`` if the entry was settled before (another run) or withdrawn."""
    entry = LotteryEntry.objects.filter(pk=pk, state=LotteryEntryState.ENTERED).first()
    if entry is None:
        return None
    preferred = sorted({int(day) for day in entry.preferred_weekdays or []})
    attempts = finder.candidates(preferred) if preferred else []
    attempts += [start for start in finder.candidates([]) if start not in attempts]
    for starts_at in attempts:
        try:
            with transaction.atomic():
                locked = LotteryEntry.objects.select_for_update().get(pk=pk)
                if locked.state != LotteryEntryState.ENTERED:
                    return None
                reservation = book(
                    lottery.office,
                    services,
                    starts_at,
                    name=locked.name,
                    email=locked.email,
                    channel=BookingChannel.LOTTERY,
                    idempotency_key=f"lottery-entry:{locked.pk}",
                    now=now,
                )
                locked.state = LotteryEntryState.WON
                locked.appointment = reservation.appointment
                locked.save(update_fields=["state", "appointment"])
            finder.forget(starts_at)
            return LotteryEntryState.WON
        except SlotTaken:
            finder.forget(starts_at)  # taken meanwhile (a concurrent booking): try the next time
        except BookingError:
            break  # the person may not book this now (cap, no-shows): no other time helps
    with transaction.atomic():
        locked = LotteryEntry.objects.select_for_update().get(pk=pk)
        if locked.state != LotteryEntryState.ENTERED:
            return None
        locked.state = LotteryEntryState.LOST
        locked.save(update_fields=["state"])
        _notify(locked, "lost")
    return LotteryEntryState.LOST


# -- e-mail --------------------------------------------------------------------------------------------


def _notify(entry: LotteryEntry, kind: str, *, token: str | None = None) -> None:
    """Queue ``lottery_<kind>`` (entered, lost, cancelled) to the entrant, once per entry and kind."""
    lottery = entry.round
    services = list(lottery.services.order_by("slug"))
    with translation.override("de"):
        context = {
            "entry": entry,
            "round": lottery,
            "office": lottery.office,
            "services": services,
            "round_url": absolute_url(reverse("appointments:lottery", args=[lottery.pk])),
            "withdraw_url": absolute_url(reverse("appointments:lottery_entry", args=[token])) if token else "",
            "waitlist_url": absolute_url(reverse("appointments:waitlist"))
            + "?"
            + urlencode({"buero": str(lottery.office.public_id), "leistungen": ",".join(s.slug for s in services)}),
        }
        subject = render_to_string(f"appointments/email/lottery_{kind}_subject.txt", context).strip()
        body = render_to_string(f"appointments/email/lottery_{kind}.txt", context)
    # A re-entry after withdrawing gets a new link, so its confirmation is keyed by the token.
    dedupe = f"lottery-{kind}:{entry.pk}" + (f":{hash_token(token)[:16]}" if token else "")
    queue_email([entry.email], subject, body, dedupe_key=dedupe)
