"""The survey box on the portal's home and town pages reads the services that are not online from a cache
kept per catalogue version (like the search index): one query checks the version, so a page view does
not rebuild the Kreis's availability map, and any change to the catalogue shows at once."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from buergerbuero.analytics.selectors_feedback import clear_survey_cache, survey_services
from buergerbuero.catalog.models import Service, ServiceOffering
from buergerbuero.core.tenancy import scopes_disabled
from buergerbuero.tenants.models import Municipality
from tests.catalog.factories import ServiceFactory, ServiceOfferingFactory

#: Queries of a town page / the home page once the survey's services are cached. A change here is a
#: change of the pages' cost: look at the new queries before updating the number.
TOWN_PAGE_QUERIES = 6
HOME_PAGE_QUERIES = 5


@pytest.fixture(autouse=True)
def fresh_cache() -> Iterator[None]:
    clear_survey_cache()
    yield
    clear_survey_cache()


@pytest.fixture
def services(municipality_a: Municipality, municipality_b: Municipality) -> dict[str, Service]:
    found = {
        "gewerbe": ServiceFactory(name_de="Gewerbe anmelden"),
        "hund": ServiceFactory(name_de="Hund anmelden"),
        "parken": ServiceFactory(name_de="Bewohnerparkausweis"),
    }
    with scopes_disabled():
        ServiceOfferingFactory(municipality=municipality_a, service=found["gewerbe"], online_application=True)
        ServiceOfferingFactory(municipality=municipality_a, service=found["hund"], online_application=False)
        ServiceOfferingFactory(municipality=municipality_b, service=found["parken"], online_application=True)
    return found


def names(services: list[Service]) -> set[str]:
    return {service.name_de for service in services}


def survey_queries(client: Client, url: str) -> tuple[int, list[str]]:
    """The page's number of queries and those that read every town's offerings (the availability map)."""
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    assert response.status_code == 200
    every_town = f'FROM "{ServiceOffering._meta.db_table}"', '"municipality_id" IN'
    return len(queries), [q["sql"] for q in queries.captured_queries if all(part in q["sql"] for part in every_town)]


@pytest.mark.django_db(transaction=True)
def test_the_pages_read_the_survey_services_from_the_cache(
    client: Client, services: dict[str, Service], municipality_a: Municipality
) -> None:
    town = reverse("portal:municipality", kwargs={"municipality_slug": municipality_a.slug})
    first = client.get(town)
    assert "Hund anmelden" in first.content.decode()

    count, availability = survey_queries(client, town)
    assert availability == []
    assert count == TOWN_PAGE_QUERIES
    client.get("/")
    count, availability = survey_queries(client, "/")
    assert availability == []
    assert count == HOME_PAGE_QUERIES

    # More services and towns cost the cached page nothing.
    for number in range(5):
        ServiceFactory(name_de=f"Dienst {number}")
    client.get(town)
    assert survey_queries(client, town)[0] == TOWN_PAGE_QUERIES


@pytest.mark.django_db(transaction=True)
def test_a_catalogue_change_shows_at_once(
    services: dict[str, Service], municipality_a: Municipality, municipality_b: Municipality
) -> None:
    assert names(survey_services(municipality_a)) == {"Hund anmelden", "Bewohnerparkausweis"}
    assert names(survey_services(municipality_b)) == {"Gewerbe anmelden", "Hund anmelden"}
    assert names(survey_services(None)) == {"Hund anmelden"}  # not online in any town
    assert survey_services(None)[0] is survey_services(None)[0]  # the cached services

    with scopes_disabled():
        offering = ServiceOffering.objects.get(municipality=municipality_a, service=services["hund"])
        offering.online_application = True
        offering.save()

    assert names(survey_services(municipality_a)) == {"Bewohnerparkausweis"}
    assert names(survey_services(None)) == set()


@pytest.mark.django_db
def test_nothing_built_inside_a_transaction_is_kept(services: dict[str, Service]) -> None:
    # The test runs in a transaction that is rolled back: its catalogue version may come again.
    first = survey_services(None)
    assert first[0] is not survey_services(None)[0]
