"""One rule for the citizen pages of an application: the owner only (anybody else: 404), with the login
level the service asks for online (weaker: the step-up page, 403). Checked across the pages that share
``applications.views.access``: receipt, confirmation page, Bescheid, payment start."""

from __future__ import annotations

import pytest
from django.http import Http404
from django.test import Client
from django.urls import reverse

from buergerbuero.accounts.constants import AssuranceLevel
from buergerbuero.accounts.models import User
from buergerbuero.applications.constants import CaseEventKind, PaymentState
from buergerbuero.applications.models import Case, CaseEvent, Draft
from buergerbuero.applications.selectors_forms import draft_of_citizen
from buergerbuero.applications.services import workflow
from buergerbuero.applications.views.access import service_level
from buergerbuero.tenants.models import Municipality
from tests.applications.factories import CaseFactory, CitizenFactory, online_service
from tests.harness.oidc import csrf_token

pytestmark = pytest.mark.django_db


def user_of(client: Client) -> User:
    return User.objects.get(pk=client.session["_auth_user_id"])


@pytest.fixture
def decided_case(citizen_low: Client, municipality_a: Municipality, kreis_scope: None, clerk_a: User) -> Case:
    """A decided case of the ``citizen_low`` user whose service asks for "substantial"."""
    service, form = online_service(municipality_a)
    assert service_level(service) == AssuranceLevel.SUBSTANTIAL
    case: Case = CaseFactory(
        citizen=user_of(citizen_low),
        municipality=municipality_a,
        service=service,
        form=form,
        fee_amount="26.00",
        payment_state=PaymentState.OPEN,
    )
    CaseEvent.objects.create(case=case, kind=CaseEventKind.SUBMITTED, data={"file_number": case.file_number})
    workflow.decide(case=case, actor=clerk_a, approved=True, reasons="")
    return case


@pytest.mark.parametrize("name", ["cases:decision", "submission:receipt", "submission:done"])
def test_a_weaker_login_gets_the_step_up_page_for_the_cases_documents(
    citizen_low: Client, decided_case: Case, name: str
) -> None:
    response = citizen_low.get(reverse(name, kwargs={"case_id": decided_case.public_id}))
    assert response.status_code == 403
    assert 'name="acr_values"' in response.content.decode()
    assert not response.content.startswith(b"%PDF")


@pytest.mark.parametrize("name", ["cases:decision", "submission:receipt", "submission:done", "cases:detail"])
def test_another_citizens_case_is_not_found(citizen_high: Client, decided_case: Case, name: str) -> None:
    assert citizen_high.get(reverse(name, kwargs={"case_id": decided_case.public_id})).status_code == 404


def test_another_citizen_cannot_start_paying_a_case(citizen_high: Client, decided_case: Case) -> None:
    token = csrf_token(citizen_high, "/konto/")
    url = reverse("payments:start", kwargs={"case_id": decided_case.public_id})
    assert citizen_high.post(url, {"csrfmiddlewaretoken": token}).status_code == 404


def test_a_submitted_draft_is_found_only_when_asked_for(municipality_a: Municipality, kreis_scope: None) -> None:
    _, form = online_service(municipality_a)
    citizen = CitizenFactory()
    draft = Draft.objects.create(citizen=citizen, form=form, data={}, step="adresse")
    draft.submitted_at = draft.created_at
    draft.save(update_fields=["submitted_at"])
    with pytest.raises(Http404):
        draft_of_citizen(citizen, draft.public_id)
    assert draft_of_citizen(citizen, draft.public_id, include_submitted=True) == draft
    with pytest.raises(Http404):
        draft_of_citizen(CitizenFactory(), draft.public_id, include_submitted=True)
