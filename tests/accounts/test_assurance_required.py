"""``requires_assurance``: a service page that needs a login of at least "substantial"."""

from __future__ import annotations

import re
from urllib.parse import parse_qs, urlsplit

import pytest
from django.http import HttpRequest, HttpResponse
from django.test import Client
from django.urls import path
from django.utils import translation

from buergerbuero.accounts.assurance import requires_assurance
from buergerbuero.accounts.constants import AssuranceLevel
from buergerbuero.config.urls import urlpatterns as site_urlpatterns
from tests.harness.oidc import CitizenLogin, authorize_at_provider, return_to_portal

SUBSTANTIAL_URI = "http://eidas.europa.eu/LoA/substantial"


@requires_assurance(AssuranceLevel.SUBSTANTIAL)
def business_registration(request: HttpRequest) -> HttpResponse:
    return HttpResponse("Gewerbeanmeldung: Formular")


urlpatterns = [path("gewerbe/anmelden/", business_registration), *site_urlpatterns]
pytestmark = pytest.mark.urls(__name__)


def _label(level: AssuranceLevel) -> str:
    with translation.override("en"):
        return str(level.label)


def test_it_sends_anonymous_visitors_to_the_login_asking_for_the_level(db: None) -> None:
    response = Client().get("/gewerbe/anmelden/?schritt=1")

    assert response.status_code == 302
    target = urlsplit(response["Location"])
    assert target.path == "/konto/anmelden/"
    assert parse_qs(target.query) == {"next": ["/gewerbe/anmelden/?schritt=1"], "acr_values": [SUBSTANTIAL_URI]}


def test_it_explains_to_a_citizen_with_too_weak_a_login_how_to_step_up(citizen_low: Client) -> None:
    citizen_low.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"

    response = citizen_low.get("/gewerbe/anmelden/")

    assert response.status_code == 403
    page = response.content.decode()
    assert "Gewerbeanmeldung" not in page
    assert "A more secure login is needed" in page
    assert _label(AssuranceLevel.SUBSTANTIAL) in page
    assert _label(AssuranceLevel.LOW) in page
    assert "Online-Ausweis" in page
    step_up = re.search(r'<form class="login-form" action="/konto/anmelden/" method="post">(.*?)</form>', page, re.S)
    assert step_up is not None
    assert f'name="acr_values" value="{SUBSTANTIAL_URI}"' in step_up.group(1)
    assert 'name="next" value="/gewerbe/anmelden/"' in step_up.group(1)


@pytest.mark.parametrize("fixture", ["citizen_substantial", "citizen_high"])
def test_it_admits_citizens_with_a_strong_enough_login(fixture: str, request: pytest.FixtureRequest) -> None:
    client: Client = request.getfixturevalue(fixture)

    response = client.get("/gewerbe/anmelden/")

    assert response.status_code == 200
    assert response.content == b"Gewerbeanmeldung: Formular"


def test_it_asks_the_provider_for_the_level_when_the_citizen_steps_up(citizen_login: CitizenLogin) -> None:
    client = citizen_login("erika.mustermann")
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"
    token = re.findall(
        r'name="csrfmiddlewaretoken" value="([^"]+)"', client.get("/gewerbe/anmelden/").content.decode()
    )[-1]

    started = client.post(
        "/konto/anmelden/",
        {"csrfmiddlewaretoken": token, "next": "/gewerbe/anmelden/", "acr_values": SUBSTANTIAL_URI},
    )

    assert started.status_code == 302
    assert parse_qs(urlsplit(started["Location"]).query)["acr_values"] == [SUBSTANTIAL_URI]
    # The local provider knows Erika only at "low": the login succeeds, the service still says no.
    back = return_to_portal(client, authorize_at_provider(started["Location"], sub="erika.mustermann"))
    assert back["Location"] == "/gewerbe/anmelden/"
    refused = client.get("/gewerbe/anmelden/")
    assert refused.status_code == 403
    assert "but you asked for" in refused.content.decode()
