"""GET /api/responsibility: the documented statuses, translated errors, the OpenAPI schema."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from buergerbuero.catalog.constants import Level
from buergerbuero.catalog.geo import load_postcodes
from buergerbuero.catalog.models import Service
from buergerbuero.core.tenancy import scopes_disabled
from buergerbuero.tenants.constants import MunicipalityKind
from buergerbuero.tenants.models import District, Municipality, Office
from tests.catalog.factories import ServiceFactory, ServiceOfferingFactory
from tests.tenants.factories import MunicipalityFactory, OfficeFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def service(municipality_a: Municipality, office_a: Office) -> Service:
    load_postcodes(postcodes={"41564", "33154", "50667"})
    service = ServiceFactory(slug="personalausweis", leika_key="99102013000000", name_de="Personalausweis beantragen")
    with scopes_disabled():
        ServiceOfferingFactory(municipality=municipality_a, service=service, offices=[office_a])
    return service


def get(client: Client, **params: str) -> tuple[int, dict[str, Any]]:
    response = client.get("/api/responsibility", params, HTTP_ACCEPT_LANGUAGE="en")
    return response.status_code, response.json()


def test_it_resolves_a_kaarst_address_with_offices_and_hours(client: Client, service: Service) -> None:
    status, body = get(client, service="personalausweis", postcode="41564", street="Am Neumarkt", house_number="2")

    assert status == 200
    assert body["status"] == "resolved"
    assert body["address"] == {"postcode": "41564", "street": "Am Neumarkt", "house_number": "2"}
    assert body["municipality"]["ags"] == "05162016"
    assert body["authority"]["name"] == "Kaarst"
    assert body["authority"]["via"] == "own"
    assert body["offices"][0]["name"] == "Bürgerbüro Kaarst"
    assert body["offices"][0]["hours"][0] == {"weekday": 0, "opens": "08:00:00", "closes": "12:00:00"}
    assert body["attribution"] == "© OpenStreetMap contributors (ODbL 1.0)"


def test_it_finds_the_service_by_leika_key_and_the_town_by_ags(client: Client, service: Service) -> None:
    status, body = get(client, leika="99102013000000", ags="05162016")

    assert status == 200
    assert body["status"] == "resolved"
    assert body["service"]["slug"] == "personalausweis"


def test_it_answers_a_shared_postcode_with_the_candidates(client: Client, service: Service) -> None:
    status, body = get(client, service="personalausweis", postcode="33154")

    assert status == 200
    assert body["status"] == "ambiguous"
    assert body["candidates"] == [
        {
            "ags": "05774032",
            "name": "Paderborn",
            "district_name": "Kreis Paderborn",
            "state_name": "Nordrhein-Westfalen",
        },
        {
            "ags": "05774036",
            "name": "Salzkotten",
            "district_name": "Kreis Paderborn",
            "state_name": "Nordrhein-Westfalen",
        },
    ]
    assert "several municipalities" in body["message"]


def test_it_says_outside_then_names_the_kreis_for_a_district_service(
    client: Client, service: Service, district: District
) -> None:
    ServiceFactory(slug="zulassung", level=Level.DISTRICT)

    status, body = get(client, service="zulassung", postcode="33154", ags="05774036")

    assert status == 200
    assert body["status"] == "outside"
    assert body["place"]["name"] == "Salzkotten"
    assert "05774036" in body["message"]
    assert "not to the Rhein-Kreis Neuss" in body["message"]
    assert "Kreis Paderborn" in body["message"]


def test_it_says_not_offered(client: Client, service: Service) -> None:
    ServiceFactory(slug="waffenschein")

    status, body = get(client, service="waffenschein", postcode="41564")

    assert status == 200
    assert body["status"] == "not_offered"
    assert body["steps"] == []


def test_it_uses_the_kreis_office_for_a_district_service(client: Client, service: Service, district: District) -> None:
    kreis = MunicipalityFactory(
        district=district,
        kind=MunicipalityKind.DISTRICT_ADMINISTRATION,
        name="Kreisverwaltung",
        official_name="Rhein-Kreis Neuss",
        ags="05162000",
        ars="051620000000",
    )
    zulassung = ServiceFactory(slug="zulassung", level=Level.DISTRICT)
    with scopes_disabled():
        office = OfficeFactory(municipality=kreis, name="Straßenverkehrsamt")
        ServiceOfferingFactory(municipality=kreis, service=zulassung, offices=[office])

    status, body = get(client, service="zulassung", postcode="41564")

    assert status == 200
    assert body["authority"]["name"] == "Rhein-Kreis Neuss"
    assert body["authority"]["via"] == "district"
    assert [o["name"] for o in body["offices"]] == ["Straßenverkehrsamt"]


@pytest.mark.parametrize(
    ("params", "code", "text"),
    [
        ({"postcode": "41564"}, 400, "service"),
        ({"service": "personalausweis"}, 400, "postcode"),
        ({"service": "personalausweis", "postcode": "4156"}, 422, "five digits"),
        ({"service": "personalausweis", "postcode": "00001"}, 422, "00001"),
        ({"service": "personalausweis", "ags": "123"}, 422, "8 digits"),
        ({"service": "personalausweis", "ags": "05315000"}, 422, "05315000"),
        ({"leika": "12", "postcode": "41564"}, 422, "14 digits"),
        ({"service": "gibt-es-nicht", "postcode": "41564"}, 404, "no such service"),
    ],
)
def test_it_rejects_bad_input_with_a_translated_message(
    client: Client, service: Service, params: dict[str, str], code: int, text: str
) -> None:
    status, body = get(client, **params)

    assert status == code
    assert text in body["detail"]


def test_it_is_documented_in_the_openapi_schema(client: Client) -> None:
    schema = client.get("/api/openapi.json").json()

    operation = schema["paths"]["/api/responsibility"]["get"]
    assert operation["summary"]
    assert "ambiguous" in operation["description"]
    assert {p["name"] for p in operation["parameters"]} >= {
        "service",
        "leika",
        "postcode",
        "street",
        "house_number",
        "ags",
    }
    assert set(operation["responses"]) == {"200", "400", "404", "422"}
    properties = schema["components"]["schemas"]["ResponsibilityOut"]["properties"]
    assert "resolved, ambiguous, outside or not_offered" in properties["status"]["description"]
    assert "candidates" in properties
