"""The feed API: pages in seq order, opaque cursors, tombstones, caching and the record endpoint."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from buergerbuero.catalog.feed import encode_cursor
from buergerbuero.catalog.models import Service
from buergerbuero.tenants.models import Municipality, Office
from tests.catalog.factories import (
    CategoryFactory,
    DocumentRequirementFactory,
    ServiceFactory,
    ServiceOfferingFactory,
)

pytestmark = pytest.mark.django_db

FEED = "/api/feed/v1/catalog"


@pytest.fixture
def catalogue(kreis_scope: None, municipality_a: Municipality, office_a: Office) -> dict[str, Any]:
    passport = ServiceFactory(slug="reisepass", name_de="Reisepass beantragen")
    DocumentRequirementFactory(service=passport, name_de="Lichtbild", condition={"q": "age", "op": "gte", "value": 18})
    passport.categories.add(CategoryFactory(slug="ausweise", name_de="Ausweise"))
    registration = ServiceFactory(slug="anmeldung")
    offering = ServiceOfferingFactory(municipality=municipality_a, service=passport, offices=[office_a])
    return {"passport": passport, "registration": registration, "offering": offering}


def walk(client: Client, limit: int) -> list[dict[str, Any]]:
    items, cursor = [], ""
    for _ in range(100):
        page = client.get(FEED, {"cursor": cursor, "limit": limit}).json()
        items += page["items"]
        cursor = page["next_cursor"]
        if not page["has_more"]:
            return items
    raise AssertionError("the feed never ended")


def test_it_lists_the_whole_catalogue_once_in_seq_order(client: Client, catalogue: dict[str, Any]) -> None:
    page = client.get(FEED).json()
    assert page["version"] == 1 and page["has_more"] is False
    assert page["source"] == {"name": "Rhein-Kreis Neuss", "url": "http://testserver", "district_ars": "05162"}
    kinds = [item["kind"] for item in page["items"]]
    assert sorted(kinds) == ["municipality", "offering", "office", "service", "service"]
    assert [item["seq"] for item in page["items"]] == sorted(item["seq"] for item in page["items"])


def test_it_walks_everything_exactly_once_with_limit_one(client: Client, catalogue: dict[str, Any]) -> None:
    everything = client.get(FEED).json()["items"]
    one_by_one = walk(client, 1)
    assert [(i["kind"], i["id"]) for i in one_by_one] == [(i["kind"], i["id"]) for i in everything]
    assert len({(i["kind"], i["id"]) for i in one_by_one}) == len(one_by_one) == 5


def test_it_carries_the_full_records(client: Client, catalogue: dict[str, Any], office_a: Office) -> None:
    items = {item["id"]: item for item in client.get(FEED).json()["items"]}
    service = items[str(catalogue["passport"].public_id)]["data"]
    assert service["slug"] == "reisepass" and service["name_de"] == "Reisepass beantragen"
    assert service["url"] == "http://testserver/leistungen/reisepass/"
    assert service["fee"] == {"kind": "fixed", "amount": "10.00"}
    assert service["requirements"][0]["condition"] == {"q": "age", "op": "gte", "value": 18}
    assert [(c["slug"], c["name_de"]) for c in service["categories"]] == [("ausweise", "Ausweise")]
    offering = items[str(catalogue["offering"].public_id)]["data"]
    assert offering["service"] == str(catalogue["passport"].public_id)
    assert offering["municipality_ags"] == "05162016"
    assert offering["offices"] == [str(office_a.public_id)]
    office = items[str(office_a.public_id)]["data"]
    assert (
        office["street"] == "Rathausplatz"
        and {"weekday": 0, "opens": "08:00", "closes": "12:00"} in (office["opening_hours"])
    )


def test_it_shows_a_deleted_record_as_a_tombstone_after_the_cursor(client: Client, catalogue: dict[str, Any]) -> None:
    cursor = client.get(FEED).json()["next_cursor"]
    registration: Service = catalogue["registration"]
    public_id = str(registration.public_id)
    registration.delete()
    page = client.get(FEED, {"cursor": cursor}).json()
    assert [(i["id"], i["deleted"], i["data"]) for i in page["items"]] == [(public_id, True, None)]
    assert client.get(FEED, {"cursor": page["next_cursor"]}).json()["items"] == []


def test_it_answers_400_for_a_cursor_it_did_not_hand_out(client: Client) -> None:
    for cursor in ["kaputt", "djE6YWJj", encode_cursor(1).replace("djE", "djI"), "!!!"]:
        response = client.get(FEED, {"cursor": cursor}, HTTP_ACCEPT_LANGUAGE="en")
        assert response.status_code == 400, cursor
        assert "cursor is not valid" in response.json()["detail"]
    assert client.get(FEED, {"limit": 0}).status_code == 400


def test_it_answers_304_while_nothing_changed(client: Client, catalogue: dict[str, Any]) -> None:
    first = client.get(FEED)
    assert first["Cache-Control"] == "public, max-age=0, must-revalidate"
    assert client.get(FEED, HTTP_IF_NONE_MATCH=first["ETag"]).status_code == 304
    ServiceFactory()
    assert client.get(FEED, HTTP_IF_NONE_MATCH=first["ETag"]).status_code == 200


def test_it_serves_one_record_for_readers_missing_a_dependency(client: Client, catalogue: dict[str, Any]) -> None:
    passport = catalogue["passport"]
    item = client.get(f"{FEED}/service/{passport.public_id}").json()
    assert item["data"]["slug"] == "reisepass"
    assert client.get(f"{FEED}/service/{catalogue['offering'].public_id}").status_code == 404
    imported = ServiceFactory(origin_url="https://anderswo.example.org/leistungen/x/")
    assert client.get(f"{FEED}/service/{imported.public_id}").status_code == 404


def test_it_is_documented_in_the_openapi_schema(client: Client) -> None:
    paths = client.get("/api/openapi.json").json()["paths"]
    assert "/api/feed/v1/catalog" in paths
    assert "400" in paths["/api/feed/v1/catalog"]["get"]["responses"]
