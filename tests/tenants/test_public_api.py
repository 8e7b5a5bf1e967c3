import pytest
from django.test import Client

from buergerbuero.tenants.models import Office

pytestmark = pytest.mark.django_db


def test_it_publishes_the_whole_api_as_an_openapi_schema(client: Client) -> None:
    response = client.get("/api/openapi.json")
    assert response.status_code == 200
    schema = response.json()
    assert schema["openapi"].startswith("3.")
    assert "/api/municipalities" in schema["paths"]
    assert "/api/municipalities/{slug}/offices" in schema["paths"]


def test_it_serves_the_api_docs_without_loading_anything_from_elsewhere(client: Client) -> None:
    html = client.get("/api/docs").content.decode()
    assert "/static/ninja/swagger-ui-bundle.js" in html
    assert "cdn" not in html.lower() and "https://" not in html


def test_it_lists_municipalities_and_their_offices_with_opening_hours(
    client: Client, office_a: Office, office_b: Office
) -> None:
    towns = client.get("/api/municipalities").json()
    assert [(t["slug"], t["ags"]) for t in towns] == [("juechen", "05162012"), ("kaarst", "05162016")]
    assert towns[1]["url"] == "http://testserver/kaarst/"

    offices = client.get("/api/municipalities/kaarst/offices").json()
    assert [o["name"] for o in offices] == ["Bürgerbüro Kaarst"]
    monday = [(h["opens"], h["closes"]) for h in offices[0]["opening_hours"] if h["weekday"] == 0]
    assert monday == [("08:00:00", "12:00:00"), ("13:00:00", "16:00:00")]


def test_it_answers_404_for_an_unknown_municipality(client: Client) -> None:
    assert client.get("/api/municipalities/gibt-es-nicht/offices").status_code == 404
