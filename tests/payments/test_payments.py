"""Submitting and paying through the pages, as a citizen logged in with the real OIDC provider:
submit → demo provider → paid / failed / cancelled → the case's payment state; a forged return is
refused; a replayed return changes nothing; other citizens get 404."""

from __future__ import annotations

from decimal import Decimal
from urllib.parse import parse_qs, urlsplit

import pytest
from django.core import mail
from django.test import Client
from django.urls import reverse

from buergerbuero.accounts.models import User
from buergerbuero.applications.constants import CaseEventKind, PaymentState
from buergerbuero.applications.models import Case, CaseEvent
from buergerbuero.core.outbox import dispatch_due
from buergerbuero.core.tenancy import scopes_disabled
from buergerbuero.payments.models import Payment, PaymentStatus
from buergerbuero.tenants.models import Municipality
from tests.applications.factories import online_service
from tests.applications.submit_helpers import ready_draft
from tests.harness.oidc import CitizenLogin, csrf_token

pytestmark = pytest.mark.django_db


def user_of(client: Client) -> User:
    return User.objects.get(pk=client.session["_auth_user_id"])


def submitted(client: Client, municipality: Municipality, *, assurance: int = 2) -> tuple[Case, str]:
    """Submit a complete draft through the page; the case and where the submit redirected to."""
    with scopes_disabled():
        _, form = online_service(municipality, assurance=assurance)
    draft = ready_draft(user_of(client), form, municipality)
    token = csrf_token(client, reverse("accounts:my_office"))
    response = client.post(
        reverse("submission:submit", args=[draft.public_id]), {"csrfmiddlewaretoken": token, "consent": "true"}
    )
    assert response.status_code == 302, response.content
    with scopes_disabled():
        case = Case.objects.get(draft_id=draft.public_id)
    return case, response["Location"]


def pay(client: Client, location: str, action: str) -> str:
    """On the demo provider's page at ``location``, press ``action``; the URL the provider returns to."""
    page = client.get(location)
    assert page.status_code == 200
    assert "no money" in page.content.decode() or "kein Geld" in page.content.decode()
    token = csrf_token(client, location)
    response = client.post(location, {"csrfmiddlewaretoken": token, "action": action})
    assert response.status_code == 302
    return str(response["Location"])


def test_it_sends_the_citizen_from_submit_to_the_demo_provider_and_records_payment(
    citizen_substantial: Client, municipality_a: Municipality
) -> None:
    case, location = submitted(citizen_substantial, municipality_a)
    with scopes_disabled():
        payment = Payment.objects.get(case=case)
    assert location == reverse("payments:demo", args=[payment.public_id])
    assert payment.amount == Decimal("26.00") and payment.status == PaymentStatus.PENDING
    assert case.file_number in citizen_substantial.get(location).content.decode()

    back = pay(citizen_substantial, location, "pay")
    assert urlsplit(back).path == reverse("payments:return", args=[payment.public_id])
    result = citizen_substantial.get(back)
    assert result["Location"] == reverse("payments:result", args=[payment.public_id])
    assert citizen_substantial.get(result["Location"]).status_code == 200
    with scopes_disabled():
        case.refresh_from_db()
        payment.refresh_from_db()
        assert case.payment_state == PaymentState.PAID
        assert payment.status == PaymentStatus.PAID and payment.paid_at is not None
        assert CaseEvent.objects.filter(case=case, kind=CaseEventKind.PAYMENT).count() == 1

    # A replayed return changes nothing: no second event, no second e-mail.
    assert citizen_substantial.get(back).status_code == 302
    with scopes_disabled():
        assert CaseEvent.objects.filter(case=case, kind=CaseEventKind.PAYMENT).count() == 1
    dispatch_due()
    subjects = sorted(message.subject for message in mail.outbox)
    assert len(subjects) == 2  # the confirmation of receipt and the payment confirmation
    assert all(case.file_number in subject for subject in subjects)

    # Paid: starting again is refused with a message, back on the confirmation page.
    token = csrf_token(citizen_substantial, reverse("submission:done", args=[case.public_id]))
    again = citizen_substantial.post(reverse("payments:start", args=[case.public_id]), {"csrfmiddlewaretoken": token})
    assert again["Location"] == reverse("submission:done", args=[case.public_id])
    with scopes_disabled():
        assert Payment.objects.filter(case=case).count() == 1


@pytest.mark.parametrize(("action", "state"), [("fail", PaymentState.FAILED), ("cancel", PaymentState.CANCELLED)])
def test_a_failed_or_cancelled_payment_can_be_tried_again(
    citizen_substantial: Client, municipality_a: Municipality, action: str, state: PaymentState
) -> None:
    case, location = submitted(citizen_substantial, municipality_a)
    back = pay(citizen_substantial, location, action)
    result_url = citizen_substantial.get(back)["Location"]
    page = citizen_substantial.get(result_url).content.decode()
    assert reverse("payments:start", args=[case.public_id]) in page  # "Try again"
    with scopes_disabled():
        case.refresh_from_db()
        assert case.payment_state == state
    token = csrf_token(citizen_substantial, result_url)
    retry = citizen_substantial.post(reverse("payments:start", args=[case.public_id]), {"csrfmiddlewaretoken": token})
    with scopes_disabled():
        second = Payment.objects.filter(case=case).order_by("-id").first()
        assert Payment.objects.filter(case=case).count() == 2
    assert second is not None and retry["Location"] == reverse("payments:demo", args=[second.public_id])
    citizen_substantial.get(citizen_substantial.get(pay(citizen_substantial, retry["Location"], "pay"))["Location"])
    with scopes_disabled():
        case.refresh_from_db()
        assert case.payment_state == PaymentState.PAID


def test_a_forged_return_is_refused(citizen_substantial: Client, municipality_a: Municipality) -> None:
    case, location = submitted(citizen_substantial, municipality_a)
    back = pay(citizen_substantial, location, "fail")
    query = parse_qs(urlsplit(back).query)
    forged = f"{urlsplit(back).path}?status=paid&ref={query['ref'][0]}&sig={query['sig'][0]}"
    assert citizen_substantial.get(forged).status_code == 400
    unsigned = f"{urlsplit(back).path}?status=paid&ref={query['ref'][0]}"
    assert citizen_substantial.get(unsigned).status_code == 400
    with scopes_disabled():
        case.refresh_from_db()
        assert case.payment_state == PaymentState.OPEN
        assert not CaseEvent.objects.filter(case=case, kind=CaseEventKind.PAYMENT).exists()


def test_the_done_page_and_receipt_are_the_owners_only(
    citizen_substantial: Client, citizen_login: CitizenLogin, municipality_a: Municipality
) -> None:
    case, _ = submitted(citizen_substantial, municipality_a)
    done = citizen_substantial.get(reverse("submission:done", args=[case.public_id]))
    assert done.status_code == 200 and case.file_number in done.content.decode()
    receipt = citizen_substantial.get(reverse("submission:receipt", args=[case.public_id]))
    assert receipt.status_code == 200 and receipt["Content-Type"] == "application/pdf"
    assert receipt.content.startswith(b"%PDF")

    other = citizen_login("other-citizen-sub")
    for name in ("submission:done", "submission:receipt"):
        assert other.get(reverse(name, args=[case.public_id])).status_code == 404
    with scopes_disabled():
        payment = Payment.objects.get(case=case)
    assert other.get(reverse("payments:demo", args=[payment.public_id])).status_code == 404
    assert other.get(reverse("payments:result", args=[payment.public_id])).status_code == 404
    assert Client().get(reverse("submission:done", args=[case.public_id])).status_code == 302  # to the login


def test_submitting_needs_the_services_level_of_assurance(citizen_low: Client, municipality_a: Municipality) -> None:
    with scopes_disabled():
        _, form = online_service(municipality_a, assurance=2)
    draft = ready_draft(user_of(citizen_low), form, municipality_a)
    token = csrf_token(citizen_low, reverse("accounts:my_office"))
    response = citizen_low.post(
        reverse("submission:submit", args=[draft.public_id]), {"csrfmiddlewaretoken": token, "consent": "true"}
    )
    assert response.status_code == 403
    with scopes_disabled():
        assert not Case.objects.exists()


def test_a_free_application_goes_straight_to_the_confirmation(
    citizen_substantial: Client, municipality_a: Municipality
) -> None:
    with scopes_disabled():
        _, form = online_service(municipality_a, fee={"kind": "free"})
    draft = ready_draft(user_of(citizen_substantial), form, municipality_a)
    token = csrf_token(citizen_substantial, reverse("accounts:my_office"))
    url = reverse("submission:submit", args=[draft.public_id])
    without_consent = citizen_substantial.post(url, {"csrfmiddlewaretoken": token})
    assert without_consent["Location"] == reverse("application_forms:summary", args=[draft.public_id])
    with scopes_disabled():
        assert not Case.objects.exists()
    first = citizen_substantial.post(url, {"csrfmiddlewaretoken": token, "consent": "true"})
    second = citizen_substantial.post(url, {"csrfmiddlewaretoken": token, "consent": "true"})  # a double click
    with scopes_disabled():
        case = Case.objects.get()
    assert first["Location"] == second["Location"] == reverse("submission:done", args=[case.public_id])
    assert citizen_substantial.get(url).status_code == 405
