"""A municipality's offerings: its admins choose and adapt the catalogue services; other towns see nothing."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from buergerbuero.accounts.models import User
from buergerbuero.catalog.models import OfferingHours, Service, ServiceOffering
from buergerbuero.catalog.variants import variant
from buergerbuero.core.models import AuditEntry
from buergerbuero.core.tenancy import scopes_disabled
from buergerbuero.tenants.models import Municipality, Office
from tests.catalog.factories import ServiceFactory, ServiceOfferingFactory
from tests.catalog.html_forms import form_data
from tests.harness.staff import StaffClient


@pytest.fixture
def service(db: None) -> Service:
    return ServiceFactory(
        slug="gewerbeanmeldung",
        name_de="Gewerbe anmelden",
        summary_de="Wer ein Gewerbe beginnt, meldet es an.",
        walk_in=False,
        fee={"kind": "fixed", "amount": "26.00"},
    )


@pytest.fixture
def offering_a(service: Service, municipality_a: Municipality, office_a: Office) -> ServiceOffering:
    with scopes_disabled():
        return ServiceOfferingFactory(municipality=municipality_a, service=service, offices=[office_a])


@pytest.fixture
def offering_b(service: Service, municipality_b: Municipality, office_b: Office) -> ServiceOffering:
    with scopes_disabled():
        return ServiceOfferingFactory(municipality=municipality_b, service=service, offices=[office_b])


def edit_url(municipality: Municipality, service: Service) -> str:
    return reverse("catalog_backoffice:offering_edit", args=[municipality.slug, service.slug])


def list_url(municipality: Municipality) -> str:
    return reverse("catalog_backoffice:offerings", args=[municipality.slug])


def opened_form(client: Client, municipality: Municipality, service: Service) -> dict[str, Any]:
    page = client.get(edit_url(municipality, service))
    assert page.status_code == 200
    return form_data(page, "offering-form")


def test_it_edits_the_own_offering_and_the_citizen_page_shows_the_override(
    staff_client: StaffClient,
    admin_a: User,
    municipality_a: Municipality,
    offering_a: ServiceOffering,
    offering_b: ServiceOffering,
    service: Service,
) -> None:
    client = staff_client(admin_a)
    data = opened_form(client, municipality_a, service)
    data.update(
        name_de="Gewerbe anmelden in Kaarst",
        walk_in="on",
        fee='{"kind": "fixed", "amount": "20.00"}',
        contact_email="gewerbe@kaarst.example",
        **{"hours-0-weekday": "1", "hours-0-opens": "08:00", "hours-0-closes": "12:00"},
    )
    response = client.post(edit_url(municipality_a, service), data)
    assert response.status_code == 302, response.content.decode()[:3000]

    with scopes_disabled():
        offering = ServiceOffering.objects.get(pk=offering_a.pk)
        shown = variant(service, offering, "de")
        hours = [str(h) for h in OfferingHours.objects.filter(offering=offering)]
        entry = AuditEntry.objects.get(action="catalog.offering.update")
        untouched = ServiceOffering.objects.get(pk=offering_b.pk)
    assert shown.name == "Gewerbe anmelden in Kaarst"
    assert shown.summary == "Wer ein Gewerbe beginnt, meldet es an."  # inherited from the catalogue
    assert shown.walk_in is True
    assert shown.fee == {"kind": "fixed", "amount": "20.00"}
    assert len(hours) == 1
    assert entry.municipality == municipality_a
    assert entry.actor == admin_a
    assert {"name_de", "walk_in", "fee", "contact_email", "hours"} <= set(entry.changes)
    assert untouched.name_de == "" and untouched.fee is None

    page = Client().get(reverse("catalog:municipality:service", args=[municipality_a.slug, service.slug]))
    assert page.status_code == 200
    assert "Gewerbe anmelden in Kaarst" in page.content.decode()


def test_it_shows_the_municipality_admin_of_a_nothing_of_b(
    staff_client: StaffClient,
    admin_a: User,
    municipality_b: Municipality,
    offering_b: ServiceOffering,
    service: Service,
) -> None:
    client = staff_client(admin_a)
    assert client.get(list_url(municipality_b)).status_code == 404
    assert client.get(edit_url(municipality_b, service)).status_code == 404
    response = client.post(edit_url(municipality_b, service), {"name_de": "Gekapert"})
    assert response.status_code == 404
    assert client.post(list_url(municipality_b), {"service": service.pk, "action": "withdraw"}).status_code == 404
    with scopes_disabled():
        offering = ServiceOffering.objects.get(pk=offering_b.pk)
    assert offering.name_de == ""


def test_it_shows_a_clerk_a_404(
    staff_client: StaffClient, clerk_a: User, municipality_a: Municipality, offering_a: ServiceOffering
) -> None:
    client = staff_client(clerk_a)
    assert client.get(list_url(municipality_a)).status_code == 404
    assert client.get(edit_url(municipality_a, offering_a.service)).status_code == 404


def test_it_offers_and_withdraws_a_service_from_the_list(
    staff_client: StaffClient, admin_a: User, municipality_a: Municipality, office_a: Office, service: Service
) -> None:
    client = staff_client(admin_a)
    page = client.get(list_url(municipality_a))
    assert page.status_code == 200
    assert page.context["rows"][0]["offering"] is None

    response = client.post(list_url(municipality_a), {"service": service.pk, "action": "offer", "query": "q=gew"})
    assert response.status_code == 302
    assert response["Location"] == f"{list_url(municipality_a)}?q=gew#service-{service.pk}"
    with scopes_disabled():
        offering = ServiceOffering.objects.get(municipality=municipality_a, service=service)
        assert list(offering.offices.all()) == [office_a]
    assert "Bürgerbüro Kaarst" in client.get(list_url(municipality_a)).content.decode()

    client.post(list_url(municipality_a), {"service": service.pk, "action": "withdraw"})
    with scopes_disabled():
        assert not ServiceOffering.objects.filter(municipality=municipality_a).exists()
        actions = list(AuditEntry.objects.filter(municipality=municipality_a).values_list("action", flat=True))
    assert sorted(actions) == ["catalog.offering.create", "catalog.offering.delete"]


def test_it_offers_only_the_municipality_s_own_offices(
    staff_client: StaffClient,
    admin_a: User,
    municipality_a: Municipality,
    offering_a: ServiceOffering,
    office_b: Office,
    service: Service,
) -> None:
    client = staff_client(admin_a)
    data = opened_form(client, municipality_a, service)
    data["offices"] = [str(office_b.pk)]
    response = client.post(edit_url(municipality_a, service), data)
    assert response.status_code == 200
    assert response.context["form"].errors["offices"]
    with scopes_disabled():
        assert list(ServiceOffering.objects.get(pk=offering_a.pk).offices.values_list("municipality", flat=True)) == [
            municipality_a.pk
        ]


def test_it_keeps_the_input_when_the_fee_or_the_hours_are_invalid(
    staff_client: StaffClient, admin_a: User, municipality_a: Municipality, offering_a: ServiceOffering
) -> None:
    client = staff_client(admin_a)
    service = offering_a.service
    data = opened_form(client, municipality_a, service)
    data.update(
        name_de="Mein Text",
        fee='{"kind": "fixed", "amount": "-3"}',
        **{"hours-0-weekday": "1", "hours-0-opens": "12:00", "hours-0-closes": "08:00"},
    )
    response = client.post(edit_url(municipality_a, service), data)
    assert response.status_code == 200
    assert response.context["form"].errors["fee"]
    assert response.context["hours"].forms[0].errors["closes"]
    html = response.content.decode()
    assert 'value="Mein Text"' in html
    assert "&quot;-3&quot;" in html


def test_it_refuses_a_stale_offering_form(
    staff_client: StaffClient, admin_a: User, municipality_a: Municipality, offering_a: ServiceOffering
) -> None:
    client = staff_client(admin_a)
    service = offering_a.service
    stale = opened_form(client, municipality_a, service)
    fresh = opened_form(client, municipality_a, service)
    fresh["note_de"] = "Bitte vorher anrufen."
    assert client.post(edit_url(municipality_a, service), fresh).status_code == 302
    stale["note_de"] = "Andere Notiz"
    response = client.post(edit_url(municipality_a, service), stale)
    assert response.status_code == 409
    assert "Andere Notiz" in response.content.decode()
    with scopes_disabled():
        assert ServiceOffering.objects.get(pk=offering_a.pk).note_de == "Bitte vorher anrufen."
