"""Reminders with a one-click "still coming?", and releasing appointments whose reminder went unanswered.

The clock stands at Tue 17 Nov 2026 09:30 (Berlin); the appointment is on Wed 18 Nov at 10:00.
"""

from __future__ import annotations

import contextvars
import datetime as dt
import re
from collections.abc import Iterator
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core import mail
from django.test import Client

from buergerbuero.appointments import tasks
from buergerbuero.appointments.constants import AppointmentState
from buergerbuero.appointments.models import Appointment, CapacityCell, ServiceGroup
from buergerbuero.appointments.services import attendance
from buergerbuero.appointments.services.booking import book
from buergerbuero.appointments.tasks import release_unanswered as release_task
from buergerbuero.appointments.tasks import send_reminders as reminders_task
from buergerbuero.core.models import AuditEntry
from buergerbuero.core.outbox import dispatch_due
from buergerbuero.core.tenancy import current_scope
from buergerbuero.tenants.models import Office
from tests.appointments.factories import bookable_office

BERLIN = ZoneInfo("Europe/Berlin")
NOW = dt.datetime(2026, 11, 17, 9, 30, tzinfo=BERLIN)
STARTS = dt.datetime(2026, 11, 18, 10, 0, tzinfo=BERLIN)

pytestmark = pytest.mark.usefixtures("kreis_scope")


def at(day: int, hour: int, minute: int = 0) -> dt.datetime:
    return dt.datetime(2026, 11, day, hour, minute, tzinfo=BERLIN)


def booked(office: Office, starts_at: dt.datetime = STARTS, email: str = "anna@example.org") -> Appointment:
    group = ServiceGroup.objects.filter(office=office).first() or bookable_office(office, now=NOW)
    return book(office, list(group.services.all()), starts_at, name="Anna Muster", email=email, now=NOW).appointment


def sent_mails(now: dt.datetime, containing: str) -> list[mail.EmailMultiAlternatives]:
    """The mails the outbox sends at ``now`` whose text contains ``containing``."""
    mail.outbox.clear()
    dispatch_due(now=now)
    return [m for m in mail.outbox if containing in m.body]  # type: ignore[misc]


def links(message: mail.EmailMessage) -> dict[str, str]:
    found = re.findall(r"(http://\S+/termine/erinnerung/(\S+)/(kommen|absagen)/)", message.body)
    return {kind: url.replace("http://127.0.0.1:8000", "") for url, _, kind in found}


@pytest.fixture(autouse=True)
def frozen() -> Iterator[time_machine.Coordinates]:
    """The wall clock (outbox, links, views) stands at ``NOW`` unless a test moves it."""
    with time_machine.travel(NOW, tick=False) as traveller:
        yield traveller


# -- reminders ----------------------------------------------------------------------------------


def test_it_queues_one_reminder_within_the_offices_reminder_hours(office_a: Office) -> None:
    appointment = booked(office_a)

    assert attendance.send_due_reminders(at(17, 9, 59)) == 0  # 24 h 1 min before
    assert attendance.send_due_reminders(at(17, 10)) == 1
    assert attendance.send_due_reminders(at(17, 10, 5)) == 0

    appointment.refresh_from_db()
    assert appointment.reminder_sent_at == at(17, 10)
    [reminder] = sent_mails(at(17, 10), "/termine/erinnerung/")
    assert reminder.to == ["anna@example.org"]
    assert appointment.code in reminder.body
    assert "10:00" in reminder.body and office_a.name in reminder.body and office_a.street in reminder.body
    [service] = appointment.services.all()
    assert f"/kaarst/leistungen/{service.slug}/checkliste/" in reminder.body
    assert set(links(reminder)) == {"kommen", "absagen"}
    html = reminder.alternatives[0][0]
    assert f"/kaarst/leistungen/{service.slug}/checkliste/" in str(html)


def test_it_follows_each_offices_reminder_hours_and_skips_what_needs_no_reminder(
    office_a: Office, office_b: Office
) -> None:
    at_a = booked(office_a)
    group_b = bookable_office(office_b, now=NOW, reminder_hours=48)
    at_b = book(office_b, list(group_b.services.all()), STARTS, name="Ben", email="ben@example.org", now=NOW)
    without_email = booked(office_a, at(18, 11), email="")
    cancelled = booked(office_a, at(18, 11, 30), email="carla@example.org")
    cancelled.state = AppointmentState.CANCELLED
    cancelled.save(update_fields=["state"])
    no_reminders = booked(office_a, at(18, 13), email="dora@example.org")

    assert attendance.send_due_reminders(NOW) == 1  # office B reminds 48 h before

    at_b.appointment.refresh_from_db()
    assert at_b.appointment.reminder_sent_at == NOW
    office_a.booking_policy.reminder_hours = 0
    office_a.booking_policy.save()
    assert attendance.send_due_reminders(at(18, 9)) == 0  # 0 hours: this office sends none
    for appointment in (at_a, without_email, cancelled, no_reminders):
        appointment.refresh_from_db()
        assert appointment.reminder_sent_at is None


def test_it_runs_as_a_task_kreis_wide(office_a: Office, frozen: time_machine.Coordinates) -> None:
    booked(office_a)
    frozen.move_to(at(17, 12))
    assert reminders_task.call() == 1
    assert reminders_task.call() == 0


# -- answering: GET shows, POST acts ---------------------------------------------------------------


def reminded(office: Office) -> tuple[Appointment, dict[str, str]]:
    appointment = booked(office)
    attendance.send_due_reminders(at(17, 12))
    [reminder] = sent_mails(at(17, 12), "/termine/erinnerung/")
    return appointment, links(reminder)


def test_it_shows_one_button_and_confirms_only_on_post(office_a: Office, frozen: time_machine.Coordinates) -> None:
    appointment, urls = reminded(office_a)
    client = Client(HTTP_ACCEPT_LANGUAGE="en")

    page = client.get(urls["kommen"])
    assert page.status_code == 200
    text = page.content.decode()
    assert text.count('<form method="post" id="attendance-form"') == 1
    assert 'id="attendance-confirm"' in text and appointment.code in text
    assert "no-store" in page["Cache-Control"]
    appointment.refresh_from_db()
    assert appointment.attendance_confirmed_at is None  # a scanner's GET changes nothing

    frozen.move_to(at(17, 13))
    answered = client.post(urls["kommen"])
    assert answered.status_code == 302 and answered["Location"] == urls["kommen"]
    appointment.refresh_from_db()
    assert appointment.attendance_confirmed_at == at(17, 13)
    assert appointment.state == AppointmentState.BOOKED
    again = client.get(urls["kommen"]).content.decode()
    assert 'data-state="confirmed"' in again and 'id="attendance-confirm"' not in again

    frozen.move_to(at(17, 14))
    client.post(urls["kommen"])
    appointment.refresh_from_db()
    assert appointment.attendance_confirmed_at == at(17, 13)  # the first answer stays


def test_it_cancels_through_the_cancel_link_only_on_post(office_a: Office, frozen: time_machine.Coordinates) -> None:
    appointment, urls = reminded(office_a)
    client = Client(HTTP_ACCEPT_LANGUAGE="en")

    page = client.get(urls["absagen"]).content.decode()
    assert 'id="attendance-cancel"' in page
    appointment.refresh_from_db()
    assert appointment.state == AppointmentState.BOOKED

    frozen.move_to(at(17, 13))
    client.post(urls["absagen"])
    appointment.refresh_from_db()
    assert appointment.state == AppointmentState.CANCELLED
    assert appointment.returns_at is not None and appointment.returns_at > at(17, 13)
    assert 'data-state="cancelled"' in client.get(urls["absagen"]).content.decode()
    # Confirming a cancelled appointment is refused; the page says it is no longer booked.
    client.post(urls["kommen"])
    appointment.refresh_from_db()
    assert appointment.attendance_confirmed_at is None
    assert 'data-state="cancelled"' in client.get(urls["kommen"]).content.decode()


def test_it_refuses_forged_swapped_and_outdated_links(office_a: Office, frozen: time_machine.Coordinates) -> None:
    appointment, urls = reminded(office_a)
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    confirm_token = urls["kommen"].split("/")[3]

    swapped = f"/termine/erinnerung/{confirm_token}/absagen/"
    assert client.get(swapped).status_code == 404
    assert client.post(swapped).status_code == 404
    forged = urls["kommen"].replace(confirm_token, confirm_token[:-2] + "xx")
    assert client.get(forged).status_code == 404
    assert client.get("/termine/erinnerung/nonsense/kommen/").status_code == 404
    appointment.refresh_from_db()
    assert appointment.state == AppointmentState.BOOKED

    frozen.move_to(appointment.ends_at)  # the link expires when the appointment ends
    assert client.get(urls["kommen"]).status_code == 404
    assert 'id="attendance-invalid"' in client.get(urls["absagen"]).content.decode()


# -- releasing unanswered appointments -------------------------------------------------------------


def releasing(office: Office) -> None:
    bookable_office(office, now=NOW, release_unconfirmed=True, confirm_deadline_hours=4)


def booked_cells(appointment: Appointment) -> list[int]:
    return list(
        CapacityCell.objects.filter(
            group=appointment.group, starts_at__gte=appointment.starts_at, starts_at__lt=appointment.ends_at
        ).values_list("booked", flat=True)
    )


def test_it_releases_an_unanswered_appointment_at_the_deadline_and_gives_its_time_back(office_a: Office) -> None:
    releasing(office_a)
    appointment = booked(office_a)
    assert attendance.send_due_reminders(at(17, 10)) == 1
    assert booked_cells(appointment) == [1, 1]

    assert attendance.release_unanswered(at(18, 5, 59)) == 0
    assert attendance.release_unanswered(at(18, 6)) == 1
    assert attendance.release_unanswered(at(18, 6, 5)) == 0

    appointment.refresh_from_db()
    assert appointment.state == AppointmentState.RELEASED
    assert appointment.returns_at == at(18, 6)
    assert appointment.capacity_returned_at == at(18, 6)
    assert booked_cells(appointment) == [0, 0]
    assert AuditEntry.objects.filter(action="appointments.appointment.released", object_id=str(appointment.pk)).exists()
    [service] = appointment.services.all()
    [released] = sent_mails(at(18, 6), f"http://127.0.0.1:8000/termine/?leistung={service.slug}")
    assert released.to == ["anna@example.org"] and appointment.code in released.subject


def test_it_keeps_confirmed_appointments_and_those_of_offices_that_do_not_release(
    office_a: Office, office_b: Office, frozen: time_machine.Coordinates
) -> None:
    releasing(office_a)
    confirmed, urls = reminded(office_a)
    Client().post(urls["kommen"])
    group_b = bookable_office(office_b, now=NOW)  # release_unconfirmed is off by default
    at_b = book(office_b, list(group_b.services.all()), STARTS, name="Ben", email="ben@example.org", now=NOW)
    attendance.send_due_reminders(at(17, 12))

    assert attendance.release_unanswered(at(18, 7)) == 0
    confirmed.refresh_from_db()
    at_b.appointment.refresh_from_db()
    assert confirmed.state == at_b.appointment.state == AppointmentState.BOOKED


def test_it_never_releases_when_the_reminder_came_after_the_deadline(office_a: Office) -> None:
    releasing(office_a)
    appointment = booked(office_a)
    assert attendance.send_due_reminders(at(18, 6, 30)) == 1  # the scheduler was down until after 06:00

    assert attendance.release_unanswered(at(18, 7)) == 0
    appointment.refresh_from_db()
    assert appointment.state == AppointmentState.BOOKED


def test_it_releases_as_a_task(office_a: Office, frozen: time_machine.Coordinates) -> None:
    releasing(office_a)
    booked(office_a)
    frozen.move_to(at(17, 12))
    assert reminders_task.call() == 1
    frozen.move_to(at(18, 6))
    assert release_task.call() == 1


def test_it_runs_every_periodic_appointments_task_without_a_tenant_scope(office_a: Office) -> None:
    booked(office_a)
    periodic = [
        tasks.return_capacity,
        tasks.send_reminders,
        tasks.release_unanswered,
        tasks.expire_waitlist_offers,
        tasks.draw_lotteries,
    ]

    def as_the_worker() -> list[int]:
        assert current_scope() is None  # as in db_worker: each task opens its own Kreis-wide scope
        return [task.call() for task in periodic]

    assert contextvars.Context().run(as_the_worker) == [0, 0, 0, 0, 0]
