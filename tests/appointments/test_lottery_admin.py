"""Staff create release lotteries in the Django admin (superusers, signed in with their second factor)."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from django.test import Client
from django.urls import reverse

from buergerbuero.accounts.models import User
from buergerbuero.appointments.constants import LotteryState
from buergerbuero.appointments.models import LotteryRound, ServiceGroup
from buergerbuero.catalog.models import Service
from buergerbuero.core.tenancy import scopes_disabled
from buergerbuero.tenants.models import Office
from tests.appointments.factories import bookable_office
from tests.catalog.factories import ServiceFactory
from tests.harness.staff import StaffClient

pytestmark = pytest.mark.django_db


@pytest.fixture
def passport(db: None) -> Service:
    return ServiceFactory(counter_minutes=60)


@pytest.fixture
def kaarst(office_a: Office, passport: Service, clock: time_machine.Coordinates) -> ServiceGroup:
    return bookable_office(office_a, services=[passport], counters=1, grid_minutes=60)


@pytest.fixture
def superuser_client(staff_client: StaffClient, kreis_admin: User) -> Client:
    kreis_admin.is_superuser = True
    kreis_admin.save(update_fields=["is_superuser"])
    return staff_client(kreis_admin)


def round_form(office: Office, service: Service, **changes: str) -> dict[str, object]:
    data: dict[str, object] = {
        "office": str(office.pk),
        "services": [str(service.pk)],
        "opens_at_0": "2026-11-17",
        "opens_at_1": "10:00",
        "closes_at_0": "2026-11-20",
        "closes_at_1": "12:00",
        "slots_from": "2026-11-23",
        "slots_until": "2026-11-27",
        "entries-TOTAL_FORMS": "0",
        "entries-INITIAL_FORMS": "0",
    }
    data.update(changes)
    return data


def test_it_creates_a_round_in_the_admin(
    superuser_client: Client, kaarst: ServiceGroup, office_a: Office, passport: Service
) -> None:
    url = reverse("admin:appointments_lotteryround_add")
    assert superuser_client.get(url).status_code == 200

    response = superuser_client.post(url, round_form(office_a, passport))

    assert response.status_code == 302, response.content.decode()[:3000]
    with scopes_disabled():
        created = LotteryRound.objects.get()
        assert (created.state, list(created.services.all())) == (LotteryState.OPEN, [passport])


def test_it_refuses_a_round_whose_days_start_before_its_entries_close_or_are_not_offered(
    superuser_client: Client, kaarst: ServiceGroup, office_a: Office, passport: Service
) -> None:
    url = reverse("admin:appointments_lotteryround_add")

    early = superuser_client.post(url, round_form(office_a, passport, slots_from="2026-11-20"))
    elsewhere = superuser_client.post(url, round_form(office_a, ServiceFactory()))

    assert early.status_code == 200 and "slots_from" in early.context["adminform"].form.errors
    assert elsewhere.status_code == 200 and "services" in elsewhere.context["adminform"].form.errors
    with scopes_disabled():
        assert not LotteryRound.objects.exists()


def test_it_keeps_the_admin_for_superusers(staff_client: StaffClient, admin_a: User) -> None:
    response = staff_client(admin_a).get(reverse("admin:appointments_lotteryround_changelist"))
    assert response.status_code == 302


def test_it_draws_a_closed_round_from_the_admin_action(
    superuser_client: Client, kaarst: ServiceGroup, office_a: Office, passport: Service
) -> None:
    with scopes_disabled():
        closed = LotteryRound.objects.create(
            office=office_a,
            opens_at=dt.datetime(2026, 11, 16, 9, tzinfo=dt.UTC),
            closes_at=dt.datetime(2026, 11, 17, 8, tzinfo=dt.UTC),
            slots_from=dt.date(2026, 11, 19),
            slots_until=dt.date(2026, 11, 19),
        )
        closed.services.set([passport])

    superuser_client.post(
        reverse("admin:appointments_lotteryround_changelist"),
        {"action": "draw", "_selected_action": [str(closed.pk)]},
    )

    with scopes_disabled():
        closed.refresh_from_db()
    assert closed.state == LotteryState.DRAWN and closed.seed


@pytest.mark.parametrize("model", ["appointment", "waitlistentry", "bookingpolicy", "servicegroup", "lotteryround"])
def test_it_lists_the_appointment_models_in_the_admin(
    superuser_client: Client, kaarst: ServiceGroup, model: str
) -> None:
    assert superuser_client.get(reverse(f"admin:appointments_{model}_changelist")).status_code == 200
