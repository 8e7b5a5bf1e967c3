"""Logging out: here, and at the identity provider (RP-initiated logout)."""

from __future__ import annotations

import re
from urllib.parse import parse_qs, urlsplit

import httpx
from django.test import Client
from pytest_django import Settings

from buergerbuero.accounts.oidc import clear_provider_cache
from tests.harness.oidc import csrf_token


def test_it_logs_out_here_and_at_the_provider(citizen_high: Client, use_oidc_provider: str) -> None:
    id_token = citizen_high.session["citizen_id_token"]

    response = citizen_high.post("/konto/abmelden/", {"csrfmiddlewaretoken": csrf_token(citizen_high, "/konto/")})

    assert response.status_code == 302
    assert "_auth_user_id" not in citizen_high.session
    assert citizen_high.get("/konto/").status_code == 302
    end_session = urlsplit(response["Location"])
    assert f"{end_session.scheme}://{end_session.netloc}" == use_oidc_provider
    params = parse_qs(end_session.query)
    assert params["id_token_hint"] == [id_token]
    assert params["post_logout_redirect_uri"] == ["http://127.0.0.1:8000/konto/abgemeldet/"]

    with httpx.Client(timeout=10) as browser:
        page = browser.get(response["Location"]).text
        confirm = re.search(r'<form method="post" action="([^"]+)"', page)
        assert confirm is not None
        back = browser.post(
            f"{use_oidc_provider}{confirm.group(1)}",
            data={"redirect_uri": params["post_logout_redirect_uri"][0]},
        )
    assert back.status_code == 302
    assert urlsplit(back.headers["Location"]).path == "/konto/abgemeldet/"
    citizen_high.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"
    assert "You are logged out" in citizen_high.get("/konto/abgemeldet/").content.decode()


def test_it_logs_out_only_with_a_post(citizen_low: Client) -> None:
    response = citizen_low.get("/konto/abmelden/")

    assert response.status_code == 405
    assert citizen_low.get("/konto/").status_code == 200


def test_it_logs_out_here_when_the_provider_is_unreachable(citizen_low: Client, settings: Settings) -> None:
    settings.OIDC_ISSUER = "http://127.0.0.1:9"  # discard port: nothing listens there
    settings.OIDC_TIMEOUT_SECONDS = 2
    token = csrf_token(citizen_low, "/konto/")
    clear_provider_cache()

    response = citizen_low.post("/konto/abmelden/", {"csrfmiddlewaretoken": token})

    assert response.status_code == 302
    assert response["Location"] == "/konto/abgemeldet/"
    assert "_auth_user_id" not in citizen_low.session
