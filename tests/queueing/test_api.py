"""The live queue API: /api/queue/offices and /api/queue/offices/{public_id}, on real queues."""

from __future__ import annotations

import uuid

import pytest
import time_machine
from django.test import Client

from buergerbuero.core.tenancy import scopes_disabled
from buergerbuero.queueing.constants import TicketSource
from buergerbuero.queueing.services import tickets
from buergerbuero.tenants.models import Office
from tests.catalog.factories import ServiceFactory
from tests.queueing.factories import queue_office, sign_in

pytestmark = [pytest.mark.django_db]


@pytest.fixture
def queues(office_a: Office, office_b: Office, clerk_a, clock: time_machine.Coordinates) -> None:
    lines = queue_office(office_a)
    queue_office(office_b)
    with scopes_disabled():
        lines["a"].services.add(ServiceFactory(slug="personalausweis"))
    sign_in(clerk_a, office_a, "Platz 1", [lines["a"]])
    for _ in range(3):
        tickets.draw_ticket(office_a, lines["a"], source=TicketSource.KIOSK)


def test_it_lists_every_office_with_status_waiting_counters_and_walk_in_waits(
    client: Client, queues: None, office_a: Office, office_b: Office
) -> None:
    response = client.get("/api/queue/offices")
    assert response.status_code == 200
    offices = {row["id"]: row for row in response.json()}
    assert set(offices) == {str(office_a.public_id), str(office_b.public_id)}
    kaarst = offices[str(office_a.public_id)]
    assert (kaarst["municipality"], kaarst["name"], kaarst["status"]) == ("Kaarst", "Bürgerbüro Kaarst", "open")
    assert (kaarst["waiting"], kaarst["open_counters"]) == (3, 1)
    line_a = next(line for line in kaarst["lines"] if line["key"] == "a")
    assert line_a["waiting"] == 3 and "personalausweis" in line_a["services"]
    walk_in = line_a["walk_in"]
    assert walk_in["estimate"] is not None and walk_in["low"] <= walk_in["estimate"] <= walk_in["high"]
    assert walk_in["estimate"] >= 10  # three ahead of one counter, 10-minute services
    assert kaarst["url"].endswith("/warteschlange/kaarst/rathaus/")
    assert kaarst["updated_at"].startswith("2026-11-17T09:30:00+01:00")
    assert offices[str(office_b.public_id)]["waiting"] == 0


def test_it_answers_one_office_by_its_public_id_and_404_otherwise(
    client: Client, queues: None, office_a: Office
) -> None:
    one = client.get(f"/api/queue/offices/{office_a.public_id}")
    assert one.status_code == 200
    assert one.json()["id"] == str(office_a.public_id) and one.json()["waiting"] == 3
    missing = client.get(f"/api/queue/offices/{uuid.uuid4()}")
    assert missing.status_code == 404 and missing.json()["code"] == "office_not_found"


def test_it_documents_both_endpoints_in_the_openapi_schema(client: Client) -> None:
    schema = client.get("/api/openapi.json").json()
    assert "/api/queue/offices" in schema["paths"]
    assert "/api/queue/offices/{public_id}" in schema["paths"]
    assert "QueueOfficeOut" in schema["components"]["schemas"]
