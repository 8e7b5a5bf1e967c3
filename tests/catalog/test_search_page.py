"""The search page, its municipality variant, the search API and the index cache over the real database."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import pytest
from django.test import Client

from buergerbuero.catalog.constants import Level
from buergerbuero.catalog.models import Service
from buergerbuero.catalog.selectors import (
    HOME_SESSION_KEY,
    clear_search_cache,
    search_catalog,
    search_services,
)
from buergerbuero.core.tenancy import scopes_disabled
from buergerbuero.tenants.constants import MunicipalityKind
from buergerbuero.tenants.models import District, Municipality, Office
from tests.catalog.factories import (
    CategoryFactory,
    LifeSituationFactory,
    ServiceFactory,
    ServiceOfferingFactory,
)
from tests.tenants.factories import MunicipalityFactory

pytestmark = pytest.mark.django_db


@dataclass
class Catalogue:
    ausweis: Service
    umzug: Service
    parken: Service
    zulassung: Service
    fuehrungszeugnis: Service
    kreis: Municipality


@pytest.fixture(autouse=True)
def fresh_cache() -> Iterator[None]:
    clear_search_cache()
    yield
    clear_search_cache()


@pytest.fixture
def en_client() -> Client:
    """Page texts are English msgids until the lead translates them; content comes from the ``*_en`` fields."""
    return Client(HTTP_ACCEPT_LANGUAGE="en")


@pytest.fixture
def catalogue(
    district: District, municipality_a: Municipality, municipality_b: Municipality, office_a: Office
) -> Catalogue:
    ausweise = CategoryFactory(slug="ausweise", name_de="Ausweise und Pässe", name_en="ID documents")
    umzug_situation = LifeSituationFactory(slug="umzug", name_de="Umzug", name_en="Moving", position=1)
    auto_situation = LifeSituationFactory(slug="auto-kaufen", name_de="Auto kaufen", name_en="Buying a car", position=2)
    ausweis = ServiceFactory(
        slug="personalausweis",
        name_de="Personalausweis",
        name_en="Identity card",
        summary_de="Den Personalausweis beantragen Sie im Bürgerbüro.",
        keywords="Perso, Ausweis",
        walk_in=True,
    )
    ausweis.categories.add(ausweise)
    umzug = ServiceFactory(
        slug="wohnsitzanmeldung",
        name_de="Wohnsitzanmeldung",
        name_en="Registering your address",
        summary_de="Nach dem Umzug melden Sie Ihre neue Wohnung an.",
        keywords="Ummelden",
    )
    umzug.life_situations.add(umzug_situation)
    parken = ServiceFactory(
        slug="bewohnerparkausweis",
        name_de="Bewohnerparkausweis",
        name_en="Residents' parking permit",
        summary_de="Parken vor der Tür.",
    )
    parken.life_situations.add(umzug_situation)
    zulassung = ServiceFactory(
        slug="fahrzeug-zulassen",
        name_de="Fahrzeug zulassen",
        name_en="Registering a vehicle",
        summary_de="Ein Auto oder Motorrad zulassen.",
        level=Level.DISTRICT,
    )
    zulassung.life_situations.add(auto_situation, umzug_situation)
    fuehrungszeugnis = ServiceFactory(
        slug="fuehrungszeugnis",
        name_de="Führungszeugnis",
        name_en="Certificate of good conduct",
        summary_de="Auskunft aus dem Bundeszentralregister.",
        level=Level.FEDERAL,
        authority_de="Bundesamt für Justiz",
    )
    kreis = MunicipalityFactory(
        district=district,
        name="Rhein-Kreis Neuss",
        slug="kreis",
        kind=MunicipalityKind.DISTRICT_ADMINISTRATION,
        ags="05162000",
        ars="051620000000",
    )
    with scopes_disabled():
        ServiceOfferingFactory(municipality=municipality_a, service=ausweis, offices=[office_a])
        ServiceOfferingFactory(municipality=municipality_b, service=ausweis)
        ServiceOfferingFactory(municipality=municipality_a, service=umzug, offices=[office_a])
        ServiceOfferingFactory(municipality=municipality_b, service=umzug)
        # Only Kaarst has residents' parking, under its own name.
        ServiceOfferingFactory(municipality=municipality_a, service=parken, name_de="Anwohnerparkausweis Kaarst")
        ServiceOfferingFactory(municipality=kreis, service=zulassung)
    return Catalogue(ausweis, umzug, parken, zulassung, fuehrungszeugnis, kreis)


def slugs(result_keys: list[int]) -> list[str]:
    services = Service.objects.in_bulk(result_keys)
    return [services[key].slug for key in result_keys]


# --- selectors -------------------------------------------------------------------------------------------


def test_it_searches_names_keywords_and_municipality_names(catalogue: Catalogue) -> None:
    assert slugs([h.key for h in search_services("Perso").hits])[0] == "personalausweis"
    assert slugs([h.key for h in search_services("ummelden").hits])[0] == "wohnsitzanmeldung"
    assert slugs([h.key for h in search_services("Anwohnerparkausweis").hits]) == ["bewohnerparkausweis"]
    assert slugs([h.key for h in search_services("Auto anmelden").hits])[0] == "fahrzeug-zulassen"


def test_it_shows_a_municipality_only_what_it_lists(
    catalogue: Catalogue, municipality_a: Municipality, municipality_b: Municipality
) -> None:
    kaarst = {h.key for h in search_services("ausweis", municipality=municipality_a).hits}
    juechen = {h.key for h in search_services("ausweis", municipality=municipality_b).hits}

    assert catalogue.parken.pk in kaarst
    assert catalogue.parken.pk not in juechen  # Jüchen does not offer it
    assert catalogue.ausweis.pk in juechen


def test_it_lists_kreis_and_federal_services_everywhere(catalogue: Catalogue, municipality_b: Municipality) -> None:
    assert [h.key for h in search_services("Fahrzeug", municipality=municipality_b).hits] == [catalogue.zulassung.pk]
    assert [h.key for h in search_services("Führungszeugnis", municipality=municipality_b).hits] == [
        catalogue.fuehrungszeugnis.pk
    ]


def test_it_lists_what_another_municipality_offers_for_residents(
    catalogue: Catalogue, municipality_a: Municipality, municipality_b: Municipality
) -> None:
    with scopes_disabled():
        offering = catalogue.parken.offerings.get(municipality=municipality_a)
        offering.serves.add(municipality_b)

    assert [h.key for h in search_services("Bewohnerparkausweis", municipality=municipality_b).hits] == [
        catalogue.parken.pk
    ]


def test_it_narrows_by_category_and_life_situation(catalogue: Catalogue) -> None:
    assert [h.key for h in search_services("", category="ausweise").hits] == [catalogue.ausweis.pk]
    assert {h.key for h in search_services("", life_situation="umzug").hits} == {
        catalogue.umzug.pk,
        catalogue.parken.pk,
        catalogue.zulassung.pk,
    }
    assert search_services("ausweis", life_situation="auto-kaufen").hits == []


# --- the cache -------------------------------------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_it_rebuilds_the_index_when_the_catalogue_changes(catalogue: Catalogue) -> None:
    first = search_catalog()
    assert search_catalog() is first  # same version: the cached index
    assert search_services("Kinderreisepass").hits == []

    catalogue.ausweis.name_de = "Kinderreisepass"
    catalogue.ausweis.save()

    assert search_catalog() is not first
    assert [h.key for h in search_services("Kinderreisepass").hits] == [catalogue.ausweis.pk]


@pytest.mark.django_db(transaction=True)
def test_it_rebuilds_the_index_when_an_offering_changes(catalogue: Catalogue, municipality_b: Municipality) -> None:
    assert search_services("Bewohnerparkausweis", municipality=municipality_b).hits == []

    with scopes_disabled():
        ServiceOfferingFactory(municipality=municipality_b, service=catalogue.parken)

    assert [h.key for h in search_services("Bewohnerparkausweis", municipality=municipality_b).hits] == [
        catalogue.parken.pk
    ]


def test_it_does_not_keep_an_index_built_inside_a_transaction(catalogue: Catalogue) -> None:
    # The test runs in a transaction that is rolled back: its version number may come again.
    first = search_catalog()

    assert search_catalog() is not first


# --- the page --------------------------------------------------------------------------------------------


def test_it_shows_the_search_box_without_a_query(en_client: Client, catalogue: Catalogue) -> None:
    response = en_client.get("/leistungen/suche/")

    assert response.status_code == 200
    html = response.content.decode()
    assert 'role="search"' in html
    assert '<label class="search-box__label" for="search-q">Search services</label>' in html
    assert 'href="/leistungen/lebenslage/umzug/"' in html  # help: browse by life situation


def test_it_groups_results_by_life_situation_with_the_rest_last(en_client: Client, catalogue: Catalogue) -> None:
    html = en_client.get("/leistungen/suche/", {"q": "ausweis"}).content.decode()

    assert "2 services found for “ausweis”." in html
    assert html.index(">Moving</h2>") < html.index(">Further services</h2>")
    assert 'href="/leistungen/personalausweis/"' in html
    assert 'href="/leistungen/bewohnerparkausweis/"' in html


def test_it_announces_the_count_to_screen_readers(en_client: Client, catalogue: Catalogue) -> None:
    html = en_client.get("/leistungen/suche/", {"q": "Personalausweis"}).content.decode()

    assert '<div class="search-status" role="status">1 service found for “Personalausweis”.</div>' in html


def test_it_links_to_the_municipality_variant_with_its_names(
    en_client: Client, catalogue: Catalogue, municipality_a: Municipality
) -> None:
    response = en_client.get("/kaarst/leistungen/suche/", {"q": "parken"})

    html = response.content.decode()
    assert response.status_code == 200
    assert 'href="/kaarst/leistungen/bewohnerparkausweis/">Anwohnerparkausweis Kaarst</a>' in html
    assert "Residents&#x27; parking permit" not in html  # the catalogue's name gives way to Kaarst's


def test_it_hides_what_the_municipality_does_not_list(en_client: Client, catalogue: Catalogue) -> None:
    html = en_client.get("/juechen/leistungen/suche/", {"q": "Bewohnerparkausweis"}).content.decode()

    assert "No services found for" in html
    assert "bewohnerparkausweis/" not in html


def test_it_suggests_a_spelling_and_offers_life_situations_when_nothing_fits(
    en_client: Client, catalogue: Catalogue
) -> None:
    html = en_client.get("/leistungen/suche/", {"q": "Persnalausweis"}).content.decode()
    assert 'href="/leistungen/suche/?q=Personalausweis">Personalausweis</a>' in html

    html = en_client.get("/leistungen/suche/", {"q": "Zeppelinlandeplatz"}).content.decode()
    assert "No services found for" in html
    assert 'href="/leistungen/lebenslage/umzug/"' in html


def test_it_shows_channels(en_client: Client, catalogue: Catalogue) -> None:
    html = en_client.get("/leistungen/suche/", {"q": "Personalausweis"}).content.decode()

    assert '<span class="search-result__channel">By appointment</span>' in html
    assert '<span class="search-result__channel">Walk-in</span>' in html


def test_it_names_the_responsible_place_once_the_address_is_known(
    en_client: Client, catalogue: Catalogue, municipality_a: Municipality
) -> None:
    session = en_client.session
    session[HOME_SESSION_KEY] = municipality_a.ags
    session.save()

    html = en_client.get("/leistungen/suche/", {"q": "Personalausweis"}).content.decode()

    assert "<strong>Responsible:</strong>" in html
    assert "Bürgerbüro Kaarst, Rathausplatz 1, 41564 Kaarst" in html


def test_it_refuses_an_overlong_query_and_keeps_it(en_client: Client, catalogue: Catalogue) -> None:
    query = "Ausweis " * 30

    html = en_client.get("/leistungen/suche/", {"q": query}).content.decode()

    assert "Please enter at most 200 characters." in html
    assert 'aria-invalid="true"' in html
    assert query.strip()[:50] in html


def test_it_pages_results(en_client: Client, catalogue: Catalogue) -> None:
    for n in range(30):
        ServiceFactory(slug=f"antrag-{n}", name_de=f"Antrag Nummer {n:02d}", name_en=f"Application {n:02d}")

    html = en_client.get("/leistungen/suche/", {"q": "Antrag"}).content.decode()
    assert html.count('class="search-result"') == 25
    assert 'seite=2" rel="next"' in html

    html = en_client.get("/leistungen/suche/", {"q": "Antrag", "seite": "2"}).content.decode()
    assert html.count('class="search-result"') == 5
    assert "Application 29" in html

    assert en_client.get("/leistungen/suche/", {"q": "Antrag", "seite": "x"}).status_code == 200


def test_it_answers_404_for_an_unknown_municipality(en_client: Client, catalogue: Catalogue) -> None:
    assert en_client.get("/atlantis/leistungen/suche/", {"q": "Ausweis"}).status_code == 404


def test_the_home_and_municipality_pages_carry_the_search_box(en_client: Client, catalogue: Catalogue) -> None:
    assert 'action="/leistungen/suche/"' in en_client.get("/").content.decode()
    assert 'action="/kaarst/leistungen/suche/"' in en_client.get("/kaarst/").content.decode()


# --- the API ---------------------------------------------------------------------------------------------


def test_the_api_ranks_services(client: Client, catalogue: Catalogue) -> None:
    response = client.get("/api/services", {"q": "Perso"})

    assert response.status_code == 200
    body = response.json()
    assert body["count"] == 1
    first = body["results"][0]
    assert first["slug"] == "personalausweis"
    assert first["rank"] == 1
    assert first["match"] == 5  # start of the name
    assert first["url"] == "http://testserver/leistungen/personalausweis/"


def test_the_api_filters_and_pages(client: Client, catalogue: Catalogue) -> None:
    body = client.get("/api/services", {"municipality": "juechen", "limit": 2}).json()

    assert body["count"] == 4  # Personalausweis, Wohnsitzanmeldung, Kreis-level Zulassung, federal Führungszeugnis
    assert len(body["results"]) == 2
    assert body["results"][0]["url"].startswith("http://testserver/juechen/leistungen/")
    second = client.get("/api/services", {"municipality": "juechen", "limit": 2, "offset": 2}).json()
    assert second["results"][0]["rank"] == 3
    assert {r["slug"] for r in body["results"] + second["results"]} == {
        "personalausweis",
        "wohnsitzanmeldung",
        "fahrzeug-zulassen",
        "fuehrungszeugnis",
    }


def test_the_api_explains_bad_input(client: Client, catalogue: Catalogue) -> None:
    response = client.get("/api/services", {"municipality": "atlantis"}, HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 404
    assert response.json() == {"detail": "There is no municipality “atlantis”."}
    assert client.get("/api/services", {"category": "nope"}).status_code == 404
    assert client.get("/api/services", {"limit": 0}).status_code == 422
    assert client.get("/api/services", {"q": "x" * 201}).status_code == 422


def test_the_api_shows_one_service_as_a_municipality_shows_it(client: Client, catalogue: Catalogue) -> None:
    kreis = client.get("/api/services/bewohnerparkausweis").json()
    kaarst = client.get("/api/services/bewohnerparkausweis", {"municipality": "kaarst"}).json()
    juechen = client.get("/api/services/bewohnerparkausweis", {"municipality": "juechen"}).json()

    assert kreis["name"] == "Bewohnerparkausweis"
    assert kreis["listed"] is True
    assert kaarst["name"] == "Anwohnerparkausweis Kaarst"
    assert kaarst["municipality"] == "kaarst"
    assert kaarst["url"] == "http://testserver/kaarst/leistungen/bewohnerparkausweis/"
    assert juechen["listed"] is False
    assert kreis["fee_text"] == "10,00 €"


def test_the_api_answers_404_for_an_unknown_service(client: Client, catalogue: Catalogue) -> None:
    response = client.get("/api/services/atlantis")

    assert response.status_code == 404
    assert "atlantis" in response.json()["detail"]


def test_the_api_is_documented(client: Client) -> None:
    schema = client.get("/api/openapi.json").json()

    assert "/api/services" in schema["paths"]
    assert "/api/services/{slug}" in schema["paths"]
    parameters = {p["name"] for p in schema["paths"]["/api/services"]["get"]["parameters"]}
    assert {"q", "municipality", "category", "life_situation", "limit", "offset"} <= parameters
