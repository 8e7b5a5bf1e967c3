"""Logging a citizen in through the identity provider (the real protocol, end to end)."""

from __future__ import annotations

import datetime as dt
from urllib.parse import parse_qs, urlencode, urlsplit, urlunsplit

import pytest
from django.test import Client
from django.utils import translation
from pytest_django.fixtures import Settings as Settings

from buergerbuero.accounts.constants import AssuranceLevel, UserKind
from buergerbuero.accounts.devidp import DEMO_CITIZENS
from buergerbuero.accounts.models import User
from buergerbuero.core.models import AuditEntry
from buergerbuero.core.tenancy import scopes_disabled
from tests.harness.oidc import CitizenLogin, authorize_at_provider, return_to_portal, start_login
from tests.harness.ports import free_port


def _english() -> Client:
    """A browser that asks for English pages, so the assertions do not depend on the German catalogue."""
    return Client(headers={"accept-language": "en"})


def _german(level: AssuranceLevel) -> str:
    with translation.override("de"):
        return str(level.label)


def _with_query(url: str, **changes: str) -> str:
    parts = urlsplit(url)
    query = {key: values[0] for key, values in parse_qs(parts.query).items()}
    return urlunsplit(parts._replace(query=urlencode({**query, **changes})))


def test_it_logs_a_citizen_in_and_shows_my_office_with_the_level(citizen_high: Client, oidc_provider: str) -> None:
    response = citizen_high.get("/konto/")

    assert response.status_code == 200
    page = response.content.decode()
    assert "Mein Bürgerbüro" in page
    assert "Fatma Yılmaz" in page
    assert "Kölner Straße 45" in page
    assert "41539 Dormagen" in page
    assert _german(AssuranceLevel.HIGH).capitalize() in page
    citizen = User.objects.get(oidc_subject="fatma.yilmaz")
    assert citizen.kind == UserKind.CITIZEN
    assert citizen.oidc_issuer == oidc_provider
    assert citizen.birth_date == dt.date(1978, 11, 23)
    assert citizen.email == "fatma.yilmaz@example.org"
    assert not citizen.has_usable_password()


@pytest.mark.parametrize("demo", DEMO_CITIZENS, ids=lambda c: c.sub)
def test_it_takes_the_level_of_assurance_from_the_login(citizen_login: CitizenLogin, demo: object) -> None:
    client = citizen_login(demo.sub)  # type: ignore[attr-defined]

    page = client.get("/konto/").content.decode()

    assert _german(demo.level).capitalize() in page  # type: ignore[attr-defined]


def test_it_finds_the_same_account_at_the_next_login_and_refreshes_the_profile(citizen_login: CitizenLogin) -> None:
    citizen_login("erika.mustermann")
    first = User.objects.get(oidc_subject="erika.mustermann")
    User.objects.filter(pk=first.pk).update(street="Alte Straße 1", city="Neuss")

    citizen_login("erika.mustermann")

    again = User.objects.get(oidc_subject="erika.mustermann")
    assert again.pk == first.pk
    assert (again.street, again.postcode, again.city) == ("Neersener Straße 12", "41564", "Kaarst")
    assert User.objects.filter(kind=UserKind.CITIZEN).count() == 1
    with scopes_disabled():
        actions = list(
            AuditEntry.objects.filter(object_id=str(first.pk)).order_by("pk").values_list("action", flat=True)
        )
    assert actions == ["accounts.citizen.create", "accounts.citizen.refresh_profile"]


def test_it_returns_to_the_page_the_login_started_from(use_oidc_provider: str, db: None) -> None:
    client = Client()
    callback = authorize_at_provider(start_login(client, next_url="/konto/?tab=post"), sub="jonas.schmitz")

    response = return_to_portal(client, callback)

    assert response.status_code == 302
    assert response["Location"] == "/konto/?tab=post"


def test_it_never_returns_to_another_site(use_oidc_provider: str, db: None) -> None:
    client = Client()
    callback = authorize_at_provider(start_login(client, next_url="https://evil.example/konto/"), sub="jonas.schmitz")

    response = return_to_portal(client, callback)

    assert response["Location"] == "/konto/"


def test_it_rejects_a_tampered_state(use_oidc_provider: str, db: None) -> None:
    client = _english()
    callback = authorize_at_provider(start_login(client), sub="erika.mustermann")

    response = return_to_portal(client, _with_query(callback, state="forged-by-an-attacker"))

    assert response.status_code == 400
    assert "_auth_user_id" not in client.session
    assert "Please start the login again" in response.content.decode()


def test_it_rejects_a_callback_that_belongs_to_another_browser(use_oidc_provider: str, db: None) -> None:
    victim, attacker = Client(), Client()
    callback = authorize_at_provider(start_login(attacker), sub="erika.mustermann")

    response = return_to_portal(victim, callback)

    assert response.status_code == 400
    assert "_auth_user_id" not in victim.session


def test_it_accepts_each_state_only_once(use_oidc_provider: str, db: None) -> None:
    client = Client()
    callback = authorize_at_provider(start_login(client), sub="erika.mustermann")
    assert return_to_portal(client, callback).status_code == 302
    client.logout()

    replayed = return_to_portal(client, callback)

    assert replayed.status_code == 400
    assert "_auth_user_id" not in client.session


def test_it_explains_that_the_citizen_cancelled_at_the_provider(use_oidc_provider: str, db: None) -> None:
    client = _english()
    callback = authorize_at_provider(start_login(client), deny=True)
    assert "error=access_denied" in callback

    response = return_to_portal(client, callback)

    assert response.status_code == 200
    assert "You cancelled the login at BundID" in response.content.decode()
    assert "_auth_user_id" not in client.session


def test_it_explains_a_failed_token_exchange(use_oidc_provider: str, db: None) -> None:
    client = _english()
    callback = authorize_at_provider(start_login(client), sub="erika.mustermann")

    response = return_to_portal(client, _with_query(callback, code="not-a-code-the-provider-issued"))

    assert response.status_code == 502
    assert "BundID did not confirm it" in response.content.decode()
    assert "_auth_user_id" not in client.session


def test_it_explains_that_the_provider_is_unreachable(settings: Settings, db: None) -> None:
    closed_port = free_port()
    settings.OIDC_ISSUER = f"http://127.0.0.1:{closed_port}"
    settings.OIDC_TIMEOUT_SECONDS = 2
    client = _english()

    response = client.post("/konto/anmelden/", {"next": "/konto/"})

    assert response.status_code == 503
    assert "The BundID login is not available at the moment" in response.content.decode()
