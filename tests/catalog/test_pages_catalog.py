"""Citizen catalogue pages: A–Z, life situation, service detail with the finder, availability map."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from django.test import Client
from django.utils import translation

from buergerbuero.catalog.constants import Level
from buergerbuero.catalog.geo import load_postcodes
from buergerbuero.catalog.models import Category, LifeSituation, Service
from buergerbuero.catalog.selectors import HOME_SESSION_KEY
from buergerbuero.core.tenancy import scopes_disabled
from buergerbuero.tenants.constants import MunicipalityKind
from buergerbuero.tenants.models import District, Municipality, Office
from tests.catalog.factories import CategoryFactory, LifeSituationFactory, ServiceFactory, ServiceOfferingFactory
from tests.tenants.factories import MunicipalityFactory, OfficeFactory

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def english() -> Iterator[None]:
    # msgids are English; the German catalogue is translated at the end, so assert the English texts.
    with translation.override("en"):
        yield


@pytest.fixture
def client(client: Client) -> Client:
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"
    return client


@pytest.fixture
def kreis(district: District) -> Municipality:
    return MunicipalityFactory(
        district=district,
        kind=MunicipalityKind.DISTRICT_ADMINISTRATION,
        name="Rhein-Kreis Neuss – Kreisverwaltung",
        official_name="Rhein-Kreis Neuss",
        slug="kreis",
        ags="05162000",
        ars="051620000000",
    )


@pytest.fixture
def catalogue(
    municipality_a: Municipality, municipality_b: Municipality, office_a: Office, kreis: Municipality
) -> dict[str, Service]:
    load_postcodes(postcodes={"41564", "41363", "33154", "50667"})
    ausweise = CategoryFactory(slug="ausweise", name_de="Ausweise und Pässe", name_en="ID documents")
    fahrzeuge = CategoryFactory(slug="fahrzeuge", name_de="Fahrzeuge", name_en="Vehicles")
    umzug = LifeSituationFactory(slug="umzug", name_de="Umzug", name_en="Moving house")
    perso = ServiceFactory(
        slug="personalausweis",
        name_de="Personalausweis beantragen",
        name_en="Apply for an ID card",
        fee={"kind": "fixed", "amount": "37.00"},
        online_application=False,
        by_appointment=True,
    )
    perso.categories.add(ausweise)
    anmeldung = ServiceFactory(
        slug="wohnsitz-anmelden", name_de="Wohnsitz anmelden", name_en="Register your address", online_application=True
    )
    anmeldung.life_situations.add(umzug)
    zulassung = ServiceFactory(
        slug="zulassung", name_de="Fahrzeug zulassen", name_en="Register a vehicle", level=Level.DISTRICT
    )
    zulassung.categories.add(fahrzeuge)
    ServiceFactory(slug="nirgends", name_de="Nirgends angeboten", name_en="Offered nowhere")
    with scopes_disabled():
        ServiceOfferingFactory(
            municipality=municipality_a,
            service=perso,
            offices=[office_a],
            name_en="ID card in Kaarst",
            fee={"kind": "fixed", "amount": "22.80"},
        )
        ServiceOfferingFactory(municipality=municipality_a, service=anmeldung, offices=[office_a])
        ServiceOfferingFactory(municipality=municipality_b, service=anmeldung, online_application=False)
        kreis_office = OfficeFactory(municipality=kreis, name="Straßenverkehrsamt", slug="stva")
        ServiceOfferingFactory(municipality=kreis, service=zulassung, offices=[kreis_office], online_application=True)
    return {"perso": perso, "anmeldung": anmeldung, "zulassung": zulassung}


def html(client: Client, path: str, **params: str) -> str:
    response = client.get(path, params)
    assert response.status_code == 200, response.status_code
    return response.content.decode()


def test_it_lists_the_kreis_catalogue_by_topic_with_life_situations(
    client: Client, catalogue: dict[str, Service]
) -> None:
    page = html(client, "/leistungen/")

    assert "<h1>Services from A to Z</h1>" in page
    assert "ID documents" in page and "Vehicles" in page
    assert 'href="/leistungen/personalausweis/"' in page
    assert 'href="/leistungen/lebenslage/umzug/">Moving house</a>' in page
    assert "Offered nowhere" in page  # the Kreis catalogue lists everything
    assert 'href="/leistungen/verfuegbarkeit/"' in page


def test_it_lists_only_what_a_town_offers_or_is_responsible_for_in_its_names(
    client: Client, catalogue: dict[str, Service]
) -> None:
    page = html(client, "/kaarst/leistungen/")

    assert "ID card in Kaarst" in page
    assert 'href="/kaarst/leistungen/personalausweis/"' in page
    assert "Register a vehicle" in page  # the Kreis administration's offering serves Kaarst too
    assert "Offered nowhere" not in page
    assert 'href="/kaarst/brand.css' in page


def test_it_shows_a_life_situation_with_its_services(client: Client, catalogue: dict[str, Service]) -> None:
    page = html(client, "/leistungen/lebenslage/umzug/")

    assert "<h1>Moving house</h1>" in page
    assert "Register your address" in page
    assert "Apply for an ID card" not in page
    assert client.get("/leistungen/lebenslage/gibt-es-nicht/").status_code == 404


def test_it_shows_the_service_with_the_kreis_fee_and_the_town_override(
    client: Client, catalogue: dict[str, Service]
) -> None:
    kreis_page = html(client, "/leistungen/personalausweis/")
    town_page = html(client, "/kaarst/leistungen/personalausweis/")

    assert "<h1>Apply for an ID card</h1>" in kreis_page
    assert "37,00" in kreis_page or "37.00" in kreis_page
    assert "§ 18 BMG" in kreis_page
    assert 'href="/leistungen/personalausweis/checkliste/"' in kreis_page
    assert "<h1>ID card in Kaarst</h1>" in town_page
    assert "22,80" in town_page or "22.80" in town_page
    assert 'href="/kaarst/leistungen/personalausweis/checkliste/"' in town_page
    assert client.get("/leistungen/gibt-es-nicht/").status_code == 404


def test_it_finds_the_responsible_office_for_a_kaarst_address_and_remembers_the_town(
    client: Client, catalogue: dict[str, Service]
) -> None:
    page = html(client, "/leistungen/personalausweis/", postcode="41564", street="Am Neumarkt", house_number="2")

    assert "Responsible for residents of Kaarst" in page
    assert "Am Neumarkt 2, 41564 Kaarst" in page
    assert "Bürgerbüro Kaarst" in page
    assert "08:00–12:00, 13:00–16:00" in page
    assert client.session[HOME_SESSION_KEY] == "05162016"
    assert "You told us you live in Kaarst" in html(client, "/leistungen/zulassung/")


def test_it_sends_kaarst_residents_to_the_kreis_for_a_district_service(
    client: Client, catalogue: dict[str, Service]
) -> None:
    page = html(client, "/leistungen/zulassung/", municipality="05162016")

    assert "Rhein-Kreis Neuss" in page
    assert "Straßenverkehrsamt" in page
    assert "The Kreis administration handles this service." in page


def test_it_asks_one_follow_up_question_for_a_shared_postcode_keeping_the_address(
    client: Client, catalogue: dict[str, Service]
) -> None:
    page = html(client, "/leistungen/personalausweis/", postcode="33154", street="Marienplatz", house_number="1")

    assert "The postcode 33154 belongs to several municipalities. Which one do you live in?" in page
    assert 'type="radio" name="ags" id="ags-05774032" value="05774032"' in page
    assert ">Paderborn (Kreis Paderborn)</label>" in page
    assert ">Salzkotten (Kreis Paderborn)</label>" in page
    assert '<input type="hidden" name="street" value="Marienplatz">' in page

    answer = html(
        client, "/leistungen/zulassung/", postcode="33154", street="Marienplatz", house_number="1", ags="05774036"
    )
    assert "Outside our Kreis" in answer
    assert "Salzkotten (AGS 05774036, Kreis Paderborn, Nordrhein-Westfalen), not to the Rhein-Kreis Neuss" in answer
    assert "please contact the Kreis Paderborn" in answer


def test_it_says_which_municipality_is_responsible_outside_the_kreis(
    client: Client, catalogue: dict[str, Service]
) -> None:
    page = html(client, "/leistungen/personalausweis/", postcode="50667")

    assert "50667 belongs to Köln (AGS 05315000, independent city in Nordrhein-Westfalen)" in page
    assert HOME_SESSION_KEY not in client.session


@pytest.mark.parametrize(
    ("params", "error"),
    [
        ({"postcode": "4156x"}, "Enter a postcode of five digits"),
        ({"postcode": "00001"}, "We do not know the postcode 00001"),
        ({"municipality": "99999999"}, "Choose your town or municipality from the list."),
    ],
)
def test_it_explains_bad_finder_input_and_keeps_it(
    client: Client, catalogue: dict[str, Service], params: dict[str, str], error: str
) -> None:
    page = html(client, "/leistungen/personalausweis/", street="Hauptstraße", **params)

    assert error in page
    assert 'aria-invalid="true"' in page
    assert 'value="Hauptstraße"' in page or "municipality" in params


def test_it_says_not_offered_for_a_town_without_an_offering(client: Client, catalogue: dict[str, Service]) -> None:
    page = html(client, "/juechen/leistungen/personalausweis/", municipality="05162012")

    assert "is not offered for residents of Jüchen on this platform yet" in page
    assert "Jüchen does not offer this service itself" in page


def test_it_marks_the_availability_map_in_text_with_a_legend_and_filter(
    client: Client, catalogue: dict[str, Service]
) -> None:
    page = html(client, "/leistungen/verfuegbarkeit/")

    assert '<th scope="col">Kaarst</th>' in page
    assert '<th scope="col">Jüchen</th>' in page
    assert '<th scope="col">Kreis</th>' in page
    assert '<h2 id="legend-title">Legend</h2>' in page
    row = page.split('href="/leistungen/wohnsitz-anmelden/"')[1].split("</tr>")[0]
    cells = row.split("<td>")[1:]
    assert 'mark--online">online' in cells[1]  # Kaarst (columns by name: Jüchen, Kaarst, Kreis)
    assert 'mark--on-site">on site' in cells[0] and "online" not in cells[0]  # Jüchen
    assert "not offered there" in cells[2]  # Kreis

    filtered = html(client, "/leistungen/verfuegbarkeit/", category="fahrzeuge")
    assert "Register a vehicle" in filtered and "Apply for an ID card" not in filtered
    assert "There is no such category" in html(client, "/leistungen/verfuegbarkeit/", category="quatsch")


def test_it_shows_the_availability_map_in_a_towns_branding(client: Client, catalogue: dict[str, Service]) -> None:
    page = html(client, "/kaarst/leistungen/verfuegbarkeit/")

    assert 'class="availability__current">Kaarst</th>' in page
    assert 'href="/kaarst/leistungen/personalausweis/"' in page
    assert Category.objects.count() == 2 and LifeSituation.objects.count() == 1


def test_the_home_and_town_pages_link_to_the_catalogue(client: Client, office_a: Office) -> None:
    assert 'href="/leistungen/#zustaendigkeit"' in html(client, "/")
    town = html(client, "/kaarst/")
    assert 'href="/kaarst/leistungen/">Services from A to Z</a>' in town
    assert 'href="/kaarst/leistungen/#lebenslagen"' in town
