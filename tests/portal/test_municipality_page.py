from __future__ import annotations

import datetime as dt

import pytest
from django.test import Client
from django.utils import translation

from buergerbuero.core.tenancy import scopes_disabled
from buergerbuero.portal.hours import weekly_hours
from buergerbuero.tenants.models import District, Municipality, Office, OpeningHours

pytestmark = pytest.mark.django_db


def test_it_shows_offices_with_opening_hours_and_lunch_breaks(client: Client, office_a: Office) -> None:
    response = client.get("/kaarst/")

    assert response.status_code == 200
    html = response.content.decode()
    assert "<h1>Kaarst</h1>" in html
    assert "Bürgerbüro Kaarst" in html
    assert "Rathausplatz 1<br>41564 Kaarst" in html
    assert '<abbr title="Montag">Mo</abbr></th>\n              <td>08:00–12:00, 13:00–16:00</td>' in html
    assert '<abbr title="Freitag">Fr</abbr>' in html
    assert '<abbr title="Samstag">' not in html  # weekend days are listed only when open


def test_it_states_closed_working_days(client: Client, office_a: Office) -> None:
    with scopes_disabled():
        OpeningHours.objects.filter(office=office_a, weekday=2).delete()

    html = client.get("/kaarst/").content.decode()

    assert '<abbr title="Mittwoch">Mi</abbr></th>\n              <td>geschlossen</td>' in html


def test_it_shows_office_contact_and_accessibility(client: Client, office_a: Office) -> None:
    with scopes_disabled():
        office_a.phone = "02131 987 0"
        office_a.email = "buergerbuero@kaarst.de"
        office_a.accessibility = "Stufenloser Zugang, Aufzug, Induktionsschleife"
        office_a.save()

    html = client.get("/kaarst/").content.decode()

    assert 'href="tel:021319870"' in html
    assert 'href="mailto:buergerbuero@kaarst.de"' in html
    assert "Stufenloser Zugang, Aufzug, Induktionsschleife" in html


def test_it_uses_the_municipality_branding(client: Client, municipality_a: Municipality) -> None:
    municipality_a.tagline = "Die Stadt im Grünen"
    municipality_a.primary_color = "#2E7D32"
    municipality_a.save()

    html = client.get("/kaarst/").content.decode()

    assert 'href="/kaarst/brand.css?v=2E7D32"' in html
    assert '<meta name="theme-color" content="#2E7D32">' in html
    assert "Die Stadt im Grünen" in html
    assert 'role="img" aria-label="Emblem von Kaarst"' in html


def test_it_serves_the_brand_colours_as_cacheable_css(client: Client, municipality_a: Municipality) -> None:
    response = client.get("/kaarst/brand.css")

    assert response.status_code == 200
    assert response["Content-Type"] == "text/css; charset=utf-8"
    body = response.content.decode()
    assert "--brand:#005a9c;" in body
    assert "--brand-contrast:#ffffff;" in body
    assert "public" in response["Cache-Control"]
    etag = response["ETag"]

    again = client.get("/kaarst/brand.css", headers={"If-None-Match": etag})

    assert again.status_code == 304


def test_it_gives_light_brands_dark_text(client: Client, municipality_a: Municipality) -> None:
    municipality_a.primary_color = "#ffdd00"
    municipality_a.save()

    body = client.get("/kaarst/brand.css").content.decode()

    assert "--brand-contrast:#000000;" in body


def test_it_serves_the_kreis_colours(client: Client, district: District) -> None:
    district.primary_color = "#00305e"
    district.save()

    assert "--brand:#00305e;" in client.get("/brand.css").content.decode()


def test_it_answers_unknown_municipalities_with_a_friendly_404(client: Client, district: District) -> None:
    response = client.get("/atlantis/")

    assert response.status_code == 404
    html = response.content.decode()
    assert "Seite nicht gefunden" in html
    assert 'href="/"' in html
    assert client.get("/atlantis/brand.css").status_code == 404


def test_it_has_a_friendly_500_page() -> None:
    from django.template.loader import render_to_string

    html = render_to_string("500.html")

    assert "Technisches Problem" in html


def test_weekly_hours_joins_intervals_per_day() -> None:
    with translation.override("en"):
        days = weekly_hours(
            [
                (0, dt.time(13), dt.time(16)),
                (0, dt.time(8), dt.time(12)),
                (5, dt.time(9), dt.time(12)),
            ]
        )

    assert [(d.short_name, d.text) for d in days] == [
        ("Mon", "08:00–12:00, 13:00–16:00"),
        ("Tue", ""),
        ("Wed", ""),
        ("Thu", ""),
        ("Fri", ""),
        ("Sat", "09:00–12:00"),
    ]
