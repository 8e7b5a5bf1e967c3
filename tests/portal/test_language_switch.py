from __future__ import annotations

import pytest
from django.test import Client

from buergerbuero.tenants.models import Office

pytestmark = pytest.mark.django_db


def test_it_speaks_german_by_default(client: Client, office_a: Office) -> None:
    html = client.get("/kaarst/").content.decode()

    assert '<html lang="de">' in html
    assert "Zum Inhalt springen" in html
    assert "Öffnungszeiten" in html


def test_it_offers_both_languages_as_a_form(client: Client, office_a: Office) -> None:
    html = client.get("/kaarst/").content.decode()

    assert '<form class="language-switch" action="/i18n/setlang/" method="post">' in html
    assert '<input type="hidden" name="next" value="/kaarst/">' in html
    assert 'name="language" value="de" lang="de" aria-current="true">Deutsch</button>' in html
    assert 'name="language" value="en" lang="en">English</button>' in html


def test_it_switches_to_english_and_back(client: Client, office_a: Office) -> None:
    response = client.post("/i18n/setlang/", {"language": "en", "next": "/kaarst/"})

    assert response.status_code == 302
    assert response["Location"] == "/kaarst/"
    html = client.get("/kaarst/").content.decode()
    assert '<html lang="en">' in html
    assert "Skip to content" in html
    assert "Opening hours" in html
    assert '<abbr title="Monday">Mon</abbr>' in html

    client.post("/i18n/setlang/", {"language": "de", "next": "/kaarst/"})

    assert "Zum Inhalt springen" in client.get("/kaarst/").content.decode()


def test_it_follows_the_browser_language(client: Client, office_a: Office) -> None:
    html = client.get("/kaarst/", headers={"Accept-Language": "en-GB,en;q=0.8"}).content.decode()

    assert '<html lang="en">' in html
