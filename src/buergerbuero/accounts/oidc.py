"""The OpenID Connect client for citizen logins.

Authorization code flow with PKCE (S256), ``state`` and ``nonce`` against the
provider configured in ``OIDC_ISSUER`` — BundID or a Servicekonto broker in
production, ``manage.py run_idp`` on loopback in the demo and the tests.
Provider metadata and keys come from its discovery document and are cached in
the process (:func:`clear_provider_cache` forgets them).

The steps, in the order the views call them: :func:`provider_metadata`,
:func:`new_authorization_request`, :func:`exchange_code`,
:func:`verify_id_token`, :func:`fetch_userinfo`, :func:`update_citizen`.
"""

from __future__ import annotations

import base64
import hashlib
import logging
import secrets
import threading
import time
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Final
from urllib.parse import quote, urlencode

import httpx
from django.conf import settings
from joserfc import jwt
from joserfc.errors import InvalidKeyIdError, JoseError
from joserfc.jwk import KeySet

__all__ = [
    "AuthorizationRequest",
    "IdentityConflict",
    "InvalidIdToken",
    "OidcError",
    "ProviderMetadata",
    "ProviderUnavailable",
    "TokenRequestFailed",
    "TokenSet",
    "clear_provider_cache",
    "end_session_url",
    "exchange_code",
    "fetch_userinfo",
    "new_authorization_request",
    "provider_metadata",
    "verify_id_token",
]

logger = logging.getLogger(__name__)

#: How long discovery documents and key sets are kept; keys unknown to the cache trigger a refetch anyway.
METADATA_MAX_AGE_SECONDS: Final = 3600
#: Clock skew tolerated between us and the provider when checking ``exp`` and ``iat``.
CLOCK_LEEWAY_SECONDS: Final = 60
ID_TOKEN_ALGORITHMS: Final = ("RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384", "ES512")


class OidcError(Exception):
    """The login could not be completed; the message is for the log, never for the citizen."""


class ProviderUnavailable(OidcError):
    """The provider did not answer, or answered with something unusable."""


class TokenRequestFailed(OidcError):
    """The provider refused to exchange the authorization code."""


class InvalidIdToken(OidcError):
    """The ID token's signature or claims do not hold."""


class IdentityConflict(OidcError):
    """The provider's subject belongs to an account that is not a citizen's."""


@dataclass(frozen=True, kw_only=True)
class ProviderMetadata:
    issuer: str
    authorization_endpoint: str
    token_endpoint: str
    jwks_uri: str
    userinfo_endpoint: str | None = None
    end_session_endpoint: str | None = None


@dataclass(frozen=True, kw_only=True)
class AuthorizationRequest:
    """Where to send the citizen, and the secrets to check their return against."""

    url: str
    state: str
    nonce: str
    code_verifier: str


@dataclass(frozen=True, kw_only=True)
class TokenSet:
    id_token: str
    access_token: str


# --- discovery ------------------------------------------------------------------------

_cache_lock = threading.Lock()
_metadata_cache: dict[str, tuple[float, ProviderMetadata]] = {}
_keys_cache: dict[str, tuple[float, KeySet]] = {}


def clear_provider_cache() -> None:
    with _cache_lock:
        _metadata_cache.clear()
        _keys_cache.clear()


def provider_metadata() -> ProviderMetadata:
    """The configured provider's endpoints, from its (cached) discovery document."""
    issuer = settings.OIDC_ISSUER.rstrip("/")
    with _cache_lock:
        cached = _metadata_cache.get(issuer)
    if cached is not None and time.monotonic() - cached[0] < METADATA_MAX_AGE_SECONDS:
        return cached[1]
    document = _get_json(f"{issuer}/.well-known/openid-configuration")
    metadata = _parse_metadata(document, expected_issuer=issuer)
    with _cache_lock:
        _metadata_cache[issuer] = (time.monotonic(), metadata)
    return metadata


def _parse_metadata(document: Mapping[str, Any], *, expected_issuer: str) -> ProviderMetadata:
    required = ("issuer", "authorization_endpoint", "token_endpoint", "jwks_uri")
    missing = [name for name in required if not isinstance(document.get(name), str)]
    if missing:
        raise ProviderUnavailable(f"discovery document lacks {', '.join(missing)}")
    # OpenID Connect Discovery 1.0, section 4.3: the issuer must be exactly the one we asked.
    if document["issuer"].rstrip("/") != expected_issuer:
        raise ProviderUnavailable(f"discovery document names issuer {document['issuer']!r}, not {expected_issuer!r}")

    def optional(name: str) -> str | None:
        value = document.get(name)
        return value if isinstance(value, str) and value else None

    return ProviderMetadata(
        issuer=document["issuer"],
        authorization_endpoint=document["authorization_endpoint"],
        token_endpoint=document["token_endpoint"],
        jwks_uri=document["jwks_uri"],
        userinfo_endpoint=optional("userinfo_endpoint"),
        end_session_endpoint=optional("end_session_endpoint"),
    )


def _provider_keys(metadata: ProviderMetadata, *, refresh: bool = False) -> KeySet:
    with _cache_lock:
        cached = _keys_cache.get(metadata.jwks_uri)
    if not refresh and cached is not None and time.monotonic() - cached[0] < METADATA_MAX_AGE_SECONDS:
        return cached[1]
    try:
        keys = KeySet.import_key_set(_get_json(metadata.jwks_uri))  # type: ignore[arg-type]
    except (JoseError, KeyError, TypeError, ValueError) as error:
        raise ProviderUnavailable(f"unusable key set at {metadata.jwks_uri}: {error}") from error
    with _cache_lock:
        _keys_cache[metadata.jwks_uri] = (time.monotonic(), keys)
    return keys


# --- the authorization request --------------------------------------------------------


def code_challenge_s256(code_verifier: str) -> str:
    """RFC 7636, section 4.2: BASE64URL(SHA256(verifier)) without padding."""
    digest = hashlib.sha256(code_verifier.encode("ascii")).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")


def new_authorization_request(
    metadata: ProviderMetadata, *, redirect_uri: str, acr_values: str | None = None, ui_locales: str | None = None
) -> AuthorizationRequest:
    """A fresh authorization request with its own state, nonce and PKCE verifier."""
    state = secrets.token_urlsafe(32)
    nonce = secrets.token_urlsafe(32)
    code_verifier = secrets.token_urlsafe(64)  # 86 characters of [A-Za-z0-9_-], within RFC 7636's 43–128
    params = {
        "response_type": "code",
        "client_id": settings.OIDC_CLIENT_ID,
        "redirect_uri": redirect_uri,
        "scope": settings.OIDC_SCOPES,
        "state": state,
        "nonce": nonce,
        "code_challenge": code_challenge_s256(code_verifier),
        "code_challenge_method": "S256",
    }
    if acr_values:
        params["acr_values"] = acr_values
    if ui_locales:
        params["ui_locales"] = ui_locales
    separator = "&" if "?" in metadata.authorization_endpoint else "?"
    return AuthorizationRequest(
        url=f"{metadata.authorization_endpoint}{separator}{urlencode(params)}",
        state=state,
        nonce=nonce,
        code_verifier=code_verifier,
    )


# --- the token request and the ID token --------------------------------------------------


def exchange_code(metadata: ProviderMetadata, *, code: str, redirect_uri: str, code_verifier: str) -> TokenSet:
    """Trade the authorization code for tokens (client authentication: ``client_secret_basic``)."""
    # RFC 6749, section 2.3.1: id and secret are form-encoded before they go into the Basic header.
    auth = (quote(settings.OIDC_CLIENT_ID, safe=""), quote(settings.OIDC_CLIENT_SECRET, safe=""))
    form = {
        "grant_type": "authorization_code",
        "code": code,
        "redirect_uri": redirect_uri,
        "code_verifier": code_verifier,
    }
    try:
        with _http() as client:
            response = client.post(metadata.token_endpoint, data=form, auth=auth)
    except httpx.HTTPError as error:
        raise ProviderUnavailable(f"token endpoint unreachable: {error}") from error
    body = _json_object(response)
    if response.status_code != httpx.codes.OK:
        raise TokenRequestFailed(
            f"token endpoint answered {response.status_code}: {body.get('error')} {body.get('error_description')}"
        )
    id_token, access_token = body.get("id_token"), body.get("access_token")
    if not isinstance(id_token, str) or not isinstance(access_token, str):
        raise TokenRequestFailed("token response lacks id_token or access_token")
    return TokenSet(id_token=id_token, access_token=access_token)


def verify_id_token(metadata: ProviderMetadata, id_token: str, *, nonce: str) -> dict[str, Any]:
    """The ID token's claims, once its signature (provider's JWKS), iss, aud, exp, iat and nonce hold."""
    try:
        token = _decode(id_token, _provider_keys(metadata))
    except InvalidKeyIdError:
        # The provider may have rotated its keys since we cached them.
        token = _decode(id_token, _provider_keys(metadata, refresh=True))
    claims: dict[str, Any] = token.claims
    registry = jwt.JWTClaimsRegistry(
        leeway=CLOCK_LEEWAY_SECONDS,
        iss={"essential": True, "value": metadata.issuer},
        aud={"essential": True, "value": settings.OIDC_CLIENT_ID},
        sub={"essential": True},
        exp={"essential": True},
        iat={"essential": True},
        nonce={"essential": True, "value": nonce},
    )
    try:
        registry.validate(claims)
    except JoseError as error:
        raise InvalidIdToken(f"ID token claims rejected: {error}") from error
    # OpenID Connect Core 1.0, section 3.1.3.7: with several audiences, we must be the authorized party.
    audiences = claims["aud"] if isinstance(claims["aud"], list) else [claims["aud"]]
    if len(audiences) > 1 and claims.get("azp") != settings.OIDC_CLIENT_ID:
        raise InvalidIdToken("ID token has several audiences but we are not its authorized party")
    return claims


def _decode(id_token: str, keys: KeySet) -> jwt.Token:
    try:
        return jwt.decode(id_token, keys, algorithms=ID_TOKEN_ALGORITHMS)
    except InvalidKeyIdError:
        raise
    except (JoseError, ValueError) as error:
        raise InvalidIdToken(f"ID token signature rejected: {error}") from error


def fetch_userinfo(metadata: ProviderMetadata, *, access_token: str, subject: str) -> dict[str, Any]:
    """The userinfo claims (none if the provider has no userinfo endpoint); they must be about ``subject``."""
    if metadata.userinfo_endpoint is None:
        return {}
    try:
        with _http() as client:
            response = client.get(metadata.userinfo_endpoint, headers={"Authorization": f"Bearer {access_token}"})
    except httpx.HTTPError as error:
        raise ProviderUnavailable(f"userinfo endpoint unreachable: {error}") from error
    if response.status_code != httpx.codes.OK:
        raise TokenRequestFailed(f"userinfo endpoint answered {response.status_code}")
    claims = _json_object(response)
    # OpenID Connect Core 1.0, section 5.3.2: a different subject means the response must not be used.
    if claims.get("sub") != subject:
        raise InvalidIdToken("userinfo is about a different subject than the ID token")
    return claims


def end_session_url(
    metadata: ProviderMetadata, *, id_token_hint: str | None, post_logout_redirect_uri: str
) -> str | None:
    """Where to log out at the provider too (RP-initiated logout), if it advertises that."""
    if metadata.end_session_endpoint is None:
        return None
    params = {"client_id": settings.OIDC_CLIENT_ID, "post_logout_redirect_uri": post_logout_redirect_uri}
    if id_token_hint:
        params["id_token_hint"] = id_token_hint
    separator = "&" if "?" in metadata.end_session_endpoint else "?"
    return f"{metadata.end_session_endpoint}{separator}{urlencode(params)}"


def _http() -> httpx.Client:
    return httpx.Client(timeout=settings.OIDC_TIMEOUT_SECONDS, follow_redirects=False)


def _get_json(url: str) -> dict[str, Any]:
    try:
        with _http() as client:
            response = client.get(url, headers={"Accept": "application/json"})
    except httpx.HTTPError as error:
        raise ProviderUnavailable(f"{url} unreachable: {error}") from error
    if response.status_code != httpx.codes.OK:
        raise ProviderUnavailable(f"{url} answered {response.status_code}")
    return _json_object(response)


def _json_object(response: httpx.Response) -> dict[str, Any]:
    try:
        body = response.json()
    except ValueError as error:
        raise ProviderUnavailable(f"{response.url} answered no JSON") from error
    if not isinstance(body, dict):
        raise ProviderUnavailable(f"{response.url} answered no JSON object")
    return body


# --- the citizen's account --------------------------------------------------------------
