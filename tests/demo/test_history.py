"""The demo's year of history (``demo/history.py``): Moers-shaped weeks, closed holidays, a rising
online share, anonymous ratings, and a second load that changes nothing.

One demo load for the module, at a June Wednesday with four weeks of history: the window holds
Christi Himmelfahrt (14 May 2026), Pfingstmontag (25 May) and Fronleichnam (4 June).
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterator
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.db import transaction
from django.db.models import Count
from django.test import override_settings
from django.utils import timezone
from pytest_django import DjangoDbBlocker

from buergerbuero.analytics.models import ChecklistUse, Rating, RatingContext, StandardTime, SurveyVote
from buergerbuero.analytics.office_calendar import calendar_for_land
from buergerbuero.applications.models import Case
from buergerbuero.appointments.constants import AppointmentState
from buergerbuero.appointments.models import Appointment
from buergerbuero.core.tenancy import scopes_disabled
from buergerbuero.demo.history import (
    BUILTIN_PATTERN,
    day_level,
    load_case_history,
    load_demo_history,
    moers_pattern,
    online_share,
)
from buergerbuero.demo.loader import load_demo
from buergerbuero.queueing.constants import TicketSource, TicketState
from buergerbuero.queueing.models import Ticket
from buergerbuero.tenants.models import District

NOW = dt.datetime(2026, 6, 10, 10, 15, tzinfo=ZoneInfo("Europe/Berlin"))
DAYS = 28
KEEP_NAMES_DAYS = 14
HOLIDAYS = (dt.date(2026, 5, 14), dt.date(2026, 5, 25), dt.date(2026, 6, 4))

pytestmark = pytest.mark.django_db


@pytest.fixture(scope="module")
def demo_with_history(django_db_setup: None, django_db_blocker: DjangoDbBlocker) -> Iterator[District]:
    with (
        django_db_blocker.unblock(),
        time_machine.travel(NOW, tick=True),
        override_settings(DEMO_HISTORY_DAYS=DAYS, ANONYMISE_APPOINTMENTS_AFTER_DAYS=KEEP_NAMES_DAYS),
        scopes_disabled(),
        transaction.atomic(),
    ):
        yield load_demo()
        transaction.set_rollback(True)


def _past_tickets() -> list[tuple[int, dt.datetime]]:
    today = NOW.date()
    return [
        (office, timezone.localtime(arrived))
        for office, arrived in Ticket.objects.filter(day__lt=today).values_list("office_id", "arrived_at")
    ]


def test_it_writes_every_past_open_day_with_the_moers_weekly_pattern(demo_with_history: District) -> None:
    tickets = _past_tickets()
    days = {arrived.date() for _office, arrived in tickets}
    assert min(days) == NOW.date() - dt.timedelta(days=DAYS)
    # Arrivals per office and hour: Monday and Tuesday mornings are busier than Friday late morning.
    per_hour: dict[tuple[int, int], int] = defaultdict(int)
    day_count: dict[int, set[dt.date]] = defaultdict(set)
    for _office, arrived in tickets:
        per_hour[(arrived.weekday(), arrived.hour)] += 1
        day_count[arrived.weekday()].add(arrived.date())

    def rate(weekday: int, hours: range) -> float:
        return sum(per_hour[(weekday, h)] for h in hours) / len(hours) / len(day_count[weekday])

    friday_late = rate(4, range(11, 12))
    assert rate(0, range(8, 10)) > 1.2 * friday_late
    assert rate(1, range(8, 10)) > 1.2 * friday_late


def test_it_keeps_the_offices_closed_on_public_holidays(demo_with_history: District) -> None:
    tickets = Ticket.objects.filter(day__in=HOLIDAYS)
    assert not tickets.exists()
    assert not Appointment.objects.filter(starts_at__date__in=HOLIDAYS).exists()
    # The days around them are open.
    assert Ticket.objects.filter(day=dt.date(2026, 5, 26)).exists()


def test_it_checks_in_appointments_and_marks_about_eight_percent_no_shows(demo_with_history: District) -> None:
    past = Appointment.objects.filter(starts_at__lt=NOW - dt.timedelta(days=1), code__startswith="V-")
    states = dict(past.values_list("state").annotate(n=Count("pk")))
    no_show = states[AppointmentState.NO_SHOW] / sum(states.values())
    assert 0.05 < no_show < 0.11
    checked_in = Ticket.objects.filter(source=TicketSource.APPOINTMENT, day__lt=NOW.date())
    assert checked_in.exists()
    assert checked_in.filter(appointment__isnull=True).count() == 0
    assert {t.appointment.state for t in checked_in.select_related("appointment")[:200]} == {AppointmentState.COMPLETED}
    # The history's explicit ids leave the id sequence behind them: a new booking gets a fresh id.
    template = past.first()
    assert template is not None
    fresh = Appointment.objects.create(
        code="T-NEW001", office=template.office, group=template.group, starts_at=NOW, ends_at=NOW,
        state=AppointmentState.BOOKED,
    )  # fmt: skip
    assert fresh.pk > max(past.values_list("pk", flat=True))
    # Waits are realistic: median under half an hour, service times a few minutes.
    waits = sorted(
        (t.called_at - t.arrived_at).total_seconds() / 60 for t in Ticket.objects.filter(day__lt=NOW.date())[:5000]
    )
    assert 0 <= waits[len(waits) // 2] < 30


def test_the_online_share_rises_and_the_online_applications_follow_it(demo_with_history: District) -> None:
    first, last = dt.date(2025, 6, 10), dt.date(2026, 6, 9)
    assert online_share(dt.date(2025, 7, 1), first, last) < online_share(dt.date(2026, 5, 1), first, last)
    # Online applications per on-site visit of the same town and service are share / (1 - share): about
    # 0.14 in the window's first month (12 %) and 0.8 in its last (45 %).
    cases = Case.objects.filter(citizen__username__startswith="demo-history-citizen-")
    pairs = set(cases.values_list("municipality_id", "service_id"))
    assert pairs
    online: dict[int, int] = defaultdict(int)
    for submitted in cases.values_list("submitted_at", flat=True):
        online[timezone.localdate(submitted).month] += 1
    on_site: dict[int, int] = defaultdict(int)
    done = Ticket.objects.filter(day__lt=NOW.date(), state=TicketState.DONE)
    for municipality, service, day in done.values_list("office__municipality_id", "service_id", "day"):
        if (municipality, service) in pairs:
            on_site[day.month] += 1
    may, june = online[5] / on_site[5], online[6] / on_site[6]
    assert 0.07 < may < 0.25 and 0.5 < june < 1.2, (may, june)
    assert load_case_history(first=first, now=NOW, visits={}) == 0  # once
    # Cases are decided after days, not months; the youngest are still open.
    spans = sorted((c.decided_at - c.submitted_at).days for c in cases.filter(decided_at__isnull=False) if c.decided_at)
    assert spans and spans[len(spans) // 2] < 30
    assert cases.filter(decided_at__isnull=True).exists()
    assert not cases.filter(decided_at__gt=NOW).exists()


def test_ratings_hold_no_personal_data(demo_with_history: District) -> None:
    ratings = Rating.objects.all()
    assert ratings.filter(context=RatingContext.VISIT).exists()
    assert {f.name for f in Rating._meta.concrete_fields} == {
        "id", "municipality", "office", "service", "context", "stars", "comment", "day",
    }  # fmt: skip
    stars = list(ratings.values_list("stars", flat=True))
    assert sum(1 for s in stars if s >= 4) / len(stars) > 0.7
    names = set(Ticket.objects.values_list("clerk__last_name", flat=True)) | set(
        Appointment.objects.exclude(name="").values_list("name", flat=True)
    )
    for comment in ratings.exclude(comment="").values_list("comment", flat=True):
        assert "@" not in comment
        assert not any(name and name in comment for name in names)
    assert SurveyVote.objects.values("service").annotate(n=Count("pk")).order_by("-n").first() is not None
    assert ChecklistUse.objects.exists() and StandardTime.objects.exists()


def test_it_keeps_names_only_on_recent_appointments(demo_with_history: District) -> None:
    history = Appointment.objects.filter(code__startswith="V-")
    boundary = NOW.date() - dt.timedelta(days=KEEP_NAMES_DAYS)
    old = [a for a in history if timezone.localdate(a.starts_at) < boundary]
    recent = [a for a in history if timezone.localdate(a.starts_at) >= boundary]
    assert old and recent
    assert all(not (a.name or a.email or a.person_key) for a in old)
    assert all(a.name and a.email for a in recent)


def test_it_changes_nothing_when_loaded_again(demo_with_history: District) -> None:
    def counts() -> tuple[int, ...]:
        return (
            Ticket.objects.count(),
            Appointment.objects.count(),
            Case.objects.count(),
            Rating.objects.count(),
            SurveyVote.objects.count(),
            ChecklistUse.objects.count(),
            StandardTime.objects.count(),
        )

    before = counts()
    with time_machine.travel(NOW, tick=False):
        load_demo_history(days=DAYS)
    assert counts() == before


def test_the_pattern_comes_from_the_moers_file_and_has_a_fallback(tmp_path: object) -> None:
    pattern = moers_pattern()
    assert pattern.hour(0, 8) > pattern.hour(4, 12)
    assert pattern.weekday_level[0] > pattern.weekday_level[4]
    from pathlib import Path

    assert moers_pattern(Path("/nonexistent/moers.csv")) is BUILTIN_PATTERN
    calendar = calendar_for_land("NW", [2026])
    # Month start is busier than mid-month on the same weekday, the school summer holidays quieter.
    assert day_level(pattern, calendar, dt.date(2026, 6, 1)) > day_level(pattern, calendar, dt.date(2026, 6, 15))
