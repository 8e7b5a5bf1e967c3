"""The local identity provider (``run_idp``) and the ID token checks, spoken to directly over HTTP."""

from __future__ import annotations

import datetime as dt
import secrets
from urllib.parse import parse_qs, urlencode, urlsplit

import httpx
import pytest
import time_machine
from pytest_django import Settings

from buergerbuero.accounts.constants import AssuranceLevel
from buergerbuero.accounts.devidp import DEMO_CITIZENS
from buergerbuero.accounts.oidc import (
    InvalidIdToken,
    code_challenge_s256,
    exchange_code,
    provider_metadata,
    verify_id_token,
)

CLIENT_ID = "buergerbuero"
REDIRECT_URI = "http://testserver/konto/oidc/callback/"


def _authorize(issuer: str, *, sub: str, nonce: str, **pkce: str) -> httpx.Response:
    """Ask the provider for a code for ``sub``, the way our login does (``pkce``: challenge parameters)."""
    query = {
        "response_type": "code",
        "client_id": CLIENT_ID,
        "redirect_uri": REDIRECT_URI,
        "scope": "openid profile email address",
        "state": secrets.token_urlsafe(16),
        "nonce": nonce,
        **pkce,
    }
    with httpx.Client(timeout=10) as browser:
        return browser.post(f"{issuer}/oauth2/authorize?{urlencode(query)}", data={"sub": sub})


def _code(issuer: str, *, sub: str = "erika.mustermann", nonce: str = "n-0S6_WzA2Mj", verifier: str) -> str:
    response = _authorize(
        issuer, sub=sub, nonce=nonce, code_challenge=code_challenge_s256(verifier), code_challenge_method="S256"
    )
    assert response.status_code == 302, response.text
    return parse_qs(urlsplit(response.headers["Location"]).query)["code"][0]


def _token_request(issuer: str, code: str, **extra: str) -> httpx.Response:
    form = {"grant_type": "authorization_code", "code": code, "redirect_uri": REDIRECT_URI, **extra}
    return httpx.post(f"{issuer}/oauth2/token", data=form, auth=(CLIENT_ID, "secret"), timeout=10)


def test_it_rejects_a_token_request_with_a_wrong_or_missing_code_verifier(oidc_provider: str) -> None:
    verifier = secrets.token_urlsafe(64)
    code = _code(oidc_provider, verifier=verifier)

    wrong = _token_request(oidc_provider, code, code_verifier=secrets.token_urlsafe(64))
    missing = _token_request(oidc_provider, code)
    right = _token_request(oidc_provider, code, code_verifier=verifier)

    assert (wrong.status_code, wrong.json()["error"]) == (400, "invalid_grant")
    assert (missing.status_code, missing.json()["error"]) == (400, "invalid_request")
    assert right.status_code == 200
    assert right.json()["id_token"]


@pytest.mark.parametrize(
    "pkce",
    [{}, {"code_challenge": code_challenge_s256("x" * 43), "code_challenge_method": "plain"}],
    ids=["no challenge", "plain method"],
)
def test_it_refuses_authorization_requests_without_an_s256_challenge(oidc_provider: str, pkce: dict[str, str]) -> None:
    response = _authorize(oidc_provider, sub="erika.mustermann", nonce="n", **pkce)

    # Errors found once the redirect URI is trusted go back to the client (RFC 6749, section 4.1.2.1).
    assert response.status_code == 302
    returned = parse_qs(urlsplit(response.headers["Location"]).query)
    assert "code" not in returned
    assert returned["error"] == ["invalid_request"]
    assert "code_challenge" in returned["error_description"][0]


def test_it_offers_the_demo_citizens_on_its_login_page(oidc_provider: str) -> None:
    query = urlencode(
        {
            "response_type": "code",
            "client_id": CLIENT_ID,
            "redirect_uri": REDIRECT_URI,
            "scope": "openid",
            "nonce": "n",
            "code_challenge": code_challenge_s256("v" * 43),
            "code_challenge_method": "S256",
        }
    )

    page = httpx.get(f"{oidc_provider}/oauth2/authorize?{query}", timeout=10).text

    assert all(f'value="{citizen.sub}"' in page for citizen in DEMO_CITIZENS)


def test_it_has_demo_citizens_of_the_rhein_kreis_neuss_at_each_level() -> None:
    assert [c.level for c in DEMO_CITIZENS] == [AssuranceLevel.LOW, AssuranceLevel.SUBSTANTIAL, AssuranceLevel.HIGH]
    assert {c.claims["address"]["locality"] for c in DEMO_CITIZENS} == {"Kaarst", "Neuss", "Dormagen"}
    assert all(c.sub == c.sub.lower() and "." in c.sub for c in DEMO_CITIZENS)


# --- checking the ID token ----------------------------------------------------------------


@pytest.fixture
def id_token(use_oidc_provider: str) -> str:
    """A genuine ID token for Erika Mustermann, issued for nonce ``n-0S6_WzA2Mj``."""
    verifier = secrets.token_urlsafe(64)
    code = _code(use_oidc_provider, verifier=verifier)
    return exchange_code(provider_metadata(), code=code, redirect_uri=REDIRECT_URI, code_verifier=verifier).id_token


def test_it_accepts_a_genuine_id_token(id_token: str, use_oidc_provider: str) -> None:
    claims = verify_id_token(provider_metadata(), id_token, nonce="n-0S6_WzA2Mj")

    assert claims["sub"] == "erika.mustermann"
    assert claims["iss"] == use_oidc_provider
    assert claims["acr"] == "http://eidas.europa.eu/LoA/low"


def test_it_rejects_an_id_token_for_another_login(id_token: str) -> None:
    with pytest.raises(InvalidIdToken):
        verify_id_token(provider_metadata(), id_token, nonce="the-nonce-of-another-login")


def test_it_rejects_an_id_token_for_another_client(id_token: str, settings: Settings) -> None:
    settings.OIDC_CLIENT_ID = "another-portal"

    with pytest.raises(InvalidIdToken):
        verify_id_token(provider_metadata(), id_token, nonce="n-0S6_WzA2Mj")


def test_it_rejects_an_id_token_with_altered_claims(id_token: str) -> None:
    header, claims, signature = id_token.split(".")
    altered = claims[:-4] + ("AAAA" if not claims.endswith("AAAA") else "BBBB")

    with pytest.raises(InvalidIdToken):
        verify_id_token(provider_metadata(), f"{header}.{altered}.{signature}", nonce="n-0S6_WzA2Mj")


def test_it_rejects_an_expired_id_token(id_token: str) -> None:
    # The provider's tokens live one hour; two hours later this one is history.
    with time_machine.travel(dt.timedelta(hours=2)), pytest.raises(InvalidIdToken):
        verify_id_token(provider_metadata(), id_token, nonce="n-0S6_WzA2Mj")
