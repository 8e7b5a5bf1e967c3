"""The catalogue pages and the finder over the real demo catalogue of the Rhein-Kreis Neuss."""

from __future__ import annotations

import pytest
from django.test import Client

from buergerbuero.catalog.models import Service
from buergerbuero.catalog.responsibility import Status
from buergerbuero.catalog.selectors import responsibility_for
from buergerbuero.core.tenancy import scopes_disabled
from buergerbuero.demo.loader import load_demo
from buergerbuero.tenants.models import Municipality

pytestmark = pytest.mark.django_db


def test_every_demo_service_page_answers_for_every_town(client: Client) -> None:
    load_demo()
    towns = list(Municipality.objects.filter(kind="municipality"))
    services = list(Service.objects.all())
    assert len(towns) == 8 and services

    assert client.get("/leistungen/").status_code == 200
    assert client.get("/leistungen/verfuegbarkeit/").status_code == 200
    for town in towns:
        assert client.get(f"/{town.slug}/leistungen/").status_code == 200
    offered = 0
    with scopes_disabled():
        for service in services:
            for town in towns:
                offered += responsibility_for(service, town).status == Status.RESOLVED
    assert offered > len(services) * 4  # most services are offered for most towns
    for service in services[:10]:
        response = client.get(f"/kaarst/leistungen/{service.slug}/", {"postcode": "41564"})
        assert response.status_code == 200, service.slug
