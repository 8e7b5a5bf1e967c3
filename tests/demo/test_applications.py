"""The demo's online applications: forms, file plan and cases, loaded once for the module (see conftest)."""

from __future__ import annotations

import time
from collections import Counter

import pytest
from django.utils import timezone

from buergerbuero.accounts.models import User
from buergerbuero.applications import formdef
from buergerbuero.applications.constants import CaseState, Decision, Direction, FormStatus, PaymentState
from buergerbuero.applications.hashing import canonical_sha512
from buergerbuero.applications.models import (
    Attachment,
    Case,
    CaseEvent,
    FileNumberCounter,
    FilePlanEntry,
    FormDefinition,
    MailboxMessage,
)
from buergerbuero.catalog.models import ServiceOffering
from buergerbuero.catalog.variants import variant
from buergerbuero.core.tenancy import scopes_disabled
from buergerbuero.demo.applications import CASE_COUNT, load_demo_applications
from buergerbuero.payments.models import Payment
from buergerbuero.tenants.models import District

ONLINE = (
    "gewerbe-anmeldung",
    "gewerbe-ummeldung",
    "gewerbe-abmeldung",
    "meldebescheinigung",
    "bewohnerparkausweis",
    "hundesteuer-anmeldung",
    "wohnsitzanmeldung",
)

pytestmark = pytest.mark.django_db


def _counts() -> dict[str, int]:
    with scopes_disabled():
        return {
            "forms": FormDefinition.objects.count(),
            "entries": FilePlanEntry.objects.count(),
            "counters": sum(FileNumberCounter.objects.values_list("last_value", flat=True)),
            "cases": Case.objects.count(),
            "events": CaseEvent.objects.count(),
            "messages": MailboxMessage.objects.count(),
            "attachments": Attachment.objects.count(),
            "payments": Payment.objects.count(),
            "users": User.objects.count(),
        }


def test_it_publishes_a_form_for_each_of_the_seven_online_services(demo_during_opening: District) -> None:
    published = FormDefinition.objects.filter(status=FormStatus.PUBLISHED)
    assert sorted(published.values_list("service__slug", flat=True)) == sorted(ONLINE)
    for form in published:
        formdef.parse_definition(form.definition)


def test_it_takes_trade_online_only_in_some_towns_and_the_other_four_everywhere(demo_during_opening: District) -> None:
    online: dict[str, set[str]] = {}
    for offering in ServiceOffering.objects.filter(service__slug__in=ONLINE).select_related("service", "municipality"):
        if variant(offering.service, offering).online_application:
            online.setdefault(offering.service.slug, set()).add(offering.municipality.slug)
    assert online["gewerbe-anmeldung"] == {"dormagen", "kaarst", "meerbusch", "neuss"}
    assert online["gewerbe-abmeldung"] == online["gewerbe-anmeldung"]
    towns = {"dormagen", "grevenbroich", "juechen", "kaarst", "korschenbroich", "meerbusch", "neuss", "rommerskirchen"}
    assert online["meldebescheinigung"] == online["wohnsitzanmeldung"] == online["hundesteuer-anmeldung"] == towns
    assert online["bewohnerparkausweis"] == towns - {"rommerskirchen"}


def test_it_files_the_services_in_the_kreis_file_plan(demo_during_opening: District) -> None:
    entries = {e.code: e for e in FilePlanEntry.objects.filter(plan__district=demo_during_opening)}
    assert set(entries["32.11"].services.values_list("slug", flat=True)) >= {"gewerbe-anmeldung", "gewerbe-abmeldung"}
    assert entries["20.31"].services.filter(slug="hundesteuer-anmeldung").exists()
    assert entries["32.20"].services.filter(slug="wohnsitzanmeldung").exists()


def test_it_creates_about_300_cases_across_towns_services_and_states(demo_during_opening: District) -> None:
    with scopes_disabled():
        cases = list(Case.objects.select_related("service", "municipality", "form"))
        assert len(cases) >= CASE_COUNT
        states = Counter(case.state for case in cases)
        assert all(states[state] >= 10 for state in CaseState.values), states
        assert len({case.municipality.slug for case in cases}) == 8
        assert {case.service.slug for case in cases} == set(ONLINE)
        for case in cases:
            assert case.data_sha512 == canonical_sha512(case.data)
            assert case.file_number.startswith(("32.11/", "32.20/", "32.31/", "20.31/"))
            if case.state in (CaseState.DECIDED, CaseState.CLOSED):
                assert case.decision in (Decision.APPROVED, Decision.REJECTED) and case.decision_text
        assert len({case.file_number for case in cases}) == len(cases)
        open_cases = [c for c in cases if c.state in (CaseState.RECEIVED, CaseState.IN_REVIEW)]
        assert any(c.due_at is not None and c.due_at < timezone.now() for c in open_cases)
        assert any(c.payment_state == PaymentState.PAID for c in cases)
        assert Payment.objects.filter(case__state=CaseState.CLOSED).exists()
        waiting = [c for c in cases if c.state == CaseState.WAITING]
        assert all(c.messages.filter(direction=Direction.TO_CITIZEN).exists() for c in waiting)
        assert MailboxMessage.objects.filter(direction=Direction.FROM_CITIZEN).exists()


def test_its_cases_hold_data_the_forms_accept(demo_during_opening: District) -> None:
    """Every generated case of the four non-trade services is complete by its own form's validation."""
    with scopes_disabled():
        for case in Case.objects.exclude(service__slug__startswith="gewerbe").select_related("form"):
            spec = formdef.parse_definition(case.form.definition)
            assert formdef.validate_all(spec, case.data) == {}, (case.service.slug, case.data)
            for public_id in (v for v in formdef.get_value(case.data, "nachweise.wohnungsgeberbestaetigung") or []):
                assert Attachment.objects.filter(public_id=public_id, case=case).exists()


def test_the_demo_citizens_find_their_own_cases(demo_during_opening: District) -> None:
    with scopes_disabled():
        erika = User.objects.get(oidc_subject="erika.mustermann")
        assert {c.service.slug for c in Case.objects.filter(citizen=erika)} == {
            "meldebescheinigung",
            "hundesteuer-anmeldung",
        }
        assert Case.objects.filter(citizen__oidc_subject="jonas.schmitz").exists()
        assert Case.objects.get(citizen__oidc_subject="fatma.yilmaz").service.slug == "wohnsitzanmeldung"


def test_it_loads_fast_and_a_second_load_changes_nothing(demo_during_opening: District) -> None:
    before = _counts()
    started = time.monotonic()
    with scopes_disabled():
        load_demo_applications()
    assert time.monotonic() - started < 10
    assert _counts() == before
