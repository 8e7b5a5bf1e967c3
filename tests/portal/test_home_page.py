from __future__ import annotations

import pytest
from django.test import Client

from buergerbuero.portal.colours import AA_TEXT, brand_palette, contrast_ratio
from buergerbuero.portal.monogram import monogram
from buergerbuero.tenants.constants import MunicipalityKind
from buergerbuero.tenants.models import District, Municipality

pytestmark = pytest.mark.django_db


def test_it_shows_the_kreis_and_its_municipalities(
    client: Client, municipality_a: Municipality, municipality_b: Municipality
) -> None:
    response = client.get("/")

    assert response.status_code == 200
    html = response.content.decode()
    assert "Rhein-Kreis Neuss" in html
    assert 'href="/kaarst/"' in html
    assert 'href="/juechen/"' in html
    assert html.index("Jüchen") < html.index(">Kaarst<")  # alphabetical


def test_it_lists_the_kreis_administration_apart_from_the_towns(
    client: Client, district: District, municipality_a: Municipality
) -> None:
    Municipality.objects.create(
        district=district,
        kind=MunicipalityKind.DISTRICT_ADMINISTRATION,
        name="Rhein-Kreis Neuss – Kreisverwaltung",
        slug="kreis",
        ags="05162000",
        ars="051620000000",
    )

    response = client.get("/")

    towns = response.context["municipalities"]
    assert [m.slug for m in towns] == ["kaarst"]
    assert [m.slug for m in response.context["administrations"]] == ["kreis"]
    html = response.content.decode()
    assert html.index('href="/kaarst/"') < html.index('id="administration-title"') < html.index('href="/kreis/"')


def test_it_draws_each_badge_in_the_municipality_colour(client: Client, municipality_a: Municipality) -> None:
    municipality_a.primary_color = "#7a1f2b"
    municipality_a.save()

    html = client.get("/").content.decode()

    assert 'fill="#7a1f2b"' in html
    assert ">K</text>" in html
    assert "style=" not in html  # the CSP forbids inline styles


def test_it_has_the_layout_landmarks_and_skip_link(client: Client, municipality_a: Municipality) -> None:
    html = client.get("/").content.decode()

    assert '<html lang="de">' in html
    assert html.index('class="skip-link" href="#main"') < html.index("<header")
    for landmark in ('<header class="site-header">', "<nav ", '<main id="main" tabindex="-1">', "<footer"):
        assert landmark in html
    assert "<script>" not in html


def test_it_links_login_for_visitors(client: Client, district: District) -> None:
    html = client.get("/").content.decode()

    assert 'href="/konto/anmelden/?next=/"' in html
    assert 'href="/konto/"' in html
    assert 'action="/konto/abmelden/"' not in html


def test_it_offers_logout_as_a_post_to_signed_in_users(client: Client, clerk_a: object) -> None:
    client.force_login(clerk_a)  # type: ignore[arg-type]

    html = client.get("/").content.decode()

    assert '<form class="site-nav__logout" action="/konto/abmelden/" method="post">' in html
    assert "/konto/anmelden/" not in html


def test_it_credits_the_data_sources_and_the_kreis_contact(client: Client, district: District) -> None:
    district.contact_phone = "02131 928-0"
    district.imprint_url = "https://www.rhein-kreis-neuss.de/impressum"
    district.privacy_url = "https://www.rhein-kreis-neuss.de/datenschutz"
    district.save()

    html = client.get("/").content.decode()

    assert '© <span lang="en">OpenStreetMap contributors</span> (ODbL)' in html
    assert "© Statistisches Bundesamt (Destatis), Datenlizenz Deutschland – Namensnennung 2.0" in html
    assert 'href="tel:02131928-0"' in html
    assert 'href="https://www.rhein-kreis-neuss.de/impressum"' in html
    assert 'href="https://www.rhein-kreis-neuss.de/datenschutz"' in html


def test_it_links_the_kreis_brand_stylesheet(client: Client, district: District) -> None:
    html = client.get("/").content.decode()

    assert 'href="/brand.css?v=004b87"' in html


@pytest.mark.parametrize("colour", ["#004b87", "#ffdd00", "#777777", "#e30613", "#00a651", "#ffffff", "#000000"])
def test_it_derives_brand_colours_that_meet_aa(colour: str) -> None:
    palette = brand_palette(colour)

    assert contrast_ratio(palette.brand, palette.contrast) >= AA_TEXT
    assert contrast_ratio(palette.ink, "#ffffff") >= AA_TEXT
    assert contrast_ratio(palette.ink, "#f5f6f8") >= AA_TEXT


def test_it_builds_monograms_from_names() -> None:
    assert monogram("Kaarst") == "K"
    assert monogram("Neuss am Rhein") == "NR"
    assert monogram("Korschenbroich") == "K"
    assert monogram("") == "?"
