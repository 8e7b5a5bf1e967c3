"""Failed deliveries are visible to the municipality's staff, who send them again: the message gets a
fresh round of attempts, keeps its Message-ID, is sent once, and the resend is audited. Clerks and
staff of another municipality see nothing (404)."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from django.core import mail
from django.test import Client
from django.urls import reverse
from pytest_django import Settings

from buergerbuero.accounts.constants import Role
from buergerbuero.accounts.models import User
from buergerbuero.core.models import AuditEntry, OutboxMessage
from buergerbuero.core.outbox import dispatch_due, idempotency_key, resend
from buergerbuero.notifications.email import queue_email
from buergerbuero.tenants.models import Municipality
from tests.accounts.factories import StaffRoleFactory

pytestmark = pytest.mark.django_db

StaffClient = Callable[[User], Client]


@pytest.fixture
def lead_a(municipality_a: Municipality) -> User:
    return StaffRoleFactory(municipality=municipality_a, role=Role.TEAM_LEAD, user__username="lead_a").user


@pytest.fixture
def lead_b(municipality_b: Municipality) -> User:
    return StaffRoleFactory(municipality=municipality_b, role=Role.TEAM_LEAD, user__username="lead_b").user


@pytest.fixture
def failed_mail(municipality_a: Municipality, settings: Settings) -> OutboxMessage:
    """A receipt e-mail of Kaarst that failed for good because the mail server refused it."""
    settings.OUTBOX_MAX_ATTEMPTS = 1
    settings.EMAIL_BACKEND = "tests.core.test_outbox_admin.RefusingBackend"
    message = queue_email(
        ["erika@example.org"],
        "Eingangsbestätigung",
        "Geheimer Inhalt 4711",
        dedupe_key="receipt:32.11/2026/000001",
        municipality=municipality_a,
        label="Eingangsbestätigung 32.11/2026/000001",
    )
    assert message is not None
    assert dispatch_due().failed == 1
    message.refresh_from_db()
    assert message.state == OutboxMessage.State.FAILED
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    return message


class RefusingBackend:
    def __init__(self, **kwargs: object) -> None:
        pass

    def send_messages(self, messages: object) -> int:
        raise ConnectionRefusedError("mail server refused the connection")


def outbox_url(municipality: Municipality, query: str = "") -> str:
    return reverse("outbox_admin:list", kwargs={"municipality_slug": municipality.slug}) + query


def resend_url(message: OutboxMessage) -> str:
    assert message.municipality is not None
    return reverse("outbox_admin:resend", kwargs={"municipality_slug": message.municipality.slug, "pk": message.pk})


def test_it_gives_every_email_a_stable_message_id_derived_from_the_outbox_message(settings: Settings) -> None:
    settings.SITE_URL = "https://buergerbuero.example"
    message = queue_email(["anna@example.org"], "Hallo", "Text", dedupe_key="greeting:1")
    assert message is not None

    dispatch_due()

    key = idempotency_key(message)
    assert key.startswith(f"<outbox-{message.pk}.") and key.endswith("@buergerbuero.example>")
    assert mail.outbox[0].extra_headers["Message-ID"] == key
    assert mail.outbox[0].message()["Message-ID"] == key


def test_it_lists_failed_messages_without_their_content(
    staff_client: StaffClient, lead_a: User, failed_mail: OutboxMessage
) -> None:
    response = staff_client(lead_a).get(outbox_url(failed_mail.municipality))  # type: ignore[arg-type]

    page = response.content.decode()
    assert response.status_code == 200
    assert "Eingangsbestätigung 32.11/2026/000001" in page
    assert "mail server refused the connection" in page
    assert resend_url(failed_mail) in page
    assert "Geheimer Inhalt 4711" not in page and "erika@example.org" not in page


def test_it_resends_a_failed_message_once_with_the_same_message_id(
    staff_client: StaffClient, lead_a: User, failed_mail: OutboxMessage, kreis_scope: None
) -> None:
    client = staff_client(lead_a)

    response = client.post(resend_url(failed_mail))
    again = client.post(resend_url(failed_mail))  # a double click

    assert response.status_code == again.status_code == 302
    failed_mail.refresh_from_db()
    assert failed_mail.state == OutboxMessage.State.PENDING and failed_mail.attempts == 0
    audit = AuditEntry.objects.filter(action="core.outbox.resent")
    assert audit.count() == 1
    entry = audit.get()
    assert entry.actor == lead_a and entry.municipality == failed_mail.municipality
    assert entry.object_id == str(failed_mail.pk)

    assert dispatch_due().sent == 1
    assert dispatch_due().sent == 0
    failed_mail.refresh_from_db()
    assert failed_mail.state == OutboxMessage.State.SENT
    assert len(mail.outbox) == 1
    assert mail.outbox[0].message()["Message-ID"] == idempotency_key(failed_mail)


def test_it_filters_by_state(staff_client: StaffClient, lead_a: User, failed_mail: OutboxMessage) -> None:
    client = staff_client(lead_a)
    resend(failed_mail, actor=lead_a)
    dispatch_due()

    open_page = client.get(outbox_url(failed_mail.municipality, "?status=fehlgeschlagen")).content.decode()  # type: ignore[arg-type]
    sent_page = client.get(outbox_url(failed_mail.municipality, "?status=gesendet")).content.decode()  # type: ignore[arg-type]

    assert "Eingangsbestätigung 32.11/2026/000001" not in open_page
    assert "Eingangsbestätigung 32.11/2026/000001" in sent_page


def test_a_resend_of_a_message_that_is_not_failed_changes_nothing(
    lead_a: User, municipality_a: Municipality, kreis_scope: None
) -> None:
    message = queue_email(["a@example.org"], "Hallo", "Text", municipality=municipality_a)
    assert message is not None

    assert resend(message, actor=lead_a) is False
    message.refresh_from_db()
    assert message.state == OutboxMessage.State.PENDING
    assert not AuditEntry.objects.filter(action="core.outbox.resent").exists()


def test_staff_of_another_municipality_and_clerks_get_404(
    staff_client: StaffClient, lead_b: User, clerk_a: User, failed_mail: OutboxMessage
) -> None:
    for user in (lead_b, clerk_a):
        client = staff_client(user)
        assert client.get(outbox_url(failed_mail.municipality)).status_code == 404  # type: ignore[arg-type]
        assert client.post(resend_url(failed_mail)).status_code == 404
    failed_mail.refresh_from_db()
    assert failed_mail.state == OutboxMessage.State.FAILED


def test_a_message_of_another_municipality_is_not_found_under_this_one(
    staff_client: StaffClient, lead_b: User, failed_mail: OutboxMessage, municipality_b: Municipality
) -> None:
    url = reverse("outbox_admin:resend", kwargs={"municipality_slug": municipality_b.slug, "pk": failed_mail.pk})

    assert staff_client(lead_b).post(url).status_code == 404
    failed_mail.refresh_from_db()
    assert failed_mail.state == OutboxMessage.State.FAILED


def test_the_kreis_admin_sees_and_resends(
    staff_client: StaffClient, kreis_admin: User, failed_mail: OutboxMessage
) -> None:
    client = staff_client(kreis_admin)

    assert client.get(outbox_url(failed_mail.municipality)).status_code == 200  # type: ignore[arg-type]
    assert client.post(resend_url(failed_mail)).status_code == 302
    failed_mail.refresh_from_db()
    assert failed_mail.state == OutboxMessage.State.PENDING
