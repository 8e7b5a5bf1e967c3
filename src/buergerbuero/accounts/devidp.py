"""The local identity provider for the demo and the tests: ``manage.py run_idp``.

It runs the ``oidc-provider-mock`` package (a real OpenID Connect provider, a
Flask app) with the demo citizens predefined, so the portal speaks the real
protocol on loopback and nobody needs a login bypass. Two things differ from
the package's defaults, both to behave like BundID:

* PKCE is enforced: every authorization request needs an S256
  ``code_challenge`` and every token request the matching ``code_verifier``.
  The package registers authlib's authorization code grant without the
  ``CodeChallenge`` extension, so :func:`build_app` swaps that registration
  for one that carries it.
* A nonce is required in every authorization request.

The provider accepts any client id and secret and signs in whoever is named in
its form, so it only ever listens on a loopback address.
"""

from __future__ import annotations

import dataclasses
import os
import warnings
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Final

from authlib.oauth2.rfc6749 import InvalidRequestError
from authlib.oauth2.rfc7636 import CodeChallenge

from .assurance import level_from_acr
from .constants import AssuranceLevel

if TYPE_CHECKING:
    import flask

__all__ = ["DEMO_CITIZENS", "LOOPBACK_HOSTS", "DemoCitizen", "build_app", "make_server"]

LOOPBACK_HOSTS: Final = frozenset({"127.0.0.1", "::1", "localhost"})

EIDAS_LOW: Final = "http://eidas.europa.eu/LoA/low"
EIDAS_SUBSTANTIAL: Final = "http://eidas.europa.eu/LoA/substantial"
EIDAS_HIGH: Final = "http://eidas.europa.eu/LoA/high"


@dataclass(frozen=True, kw_only=True)
class DemoCitizen:
    """A person the local provider can sign in with one click; ``sub`` is what the demo prints."""

    sub: str
    claims: Mapping[str, Any]

    @property
    def name(self) -> str:
        return str(self.claims["name"])

    @property
    def level(self) -> AssuranceLevel:
        return level_from_acr(self.claims.get("acr"))

    @property
    def level_label(self) -> str:
        return str(self.level.label)


def _address(street: str, postcode: str, city: str) -> dict[str, str]:
    return {
        "formatted": f"{street}\n{postcode} {city}\nDeutschland",
        "street_address": street,
        "postal_code": postcode,
        "locality": city,
        "country": "DE",
    }


DEMO_CITIZENS: Final[tuple[DemoCitizen, ...]] = (
    DemoCitizen(
        sub="erika.mustermann",
        claims={
            "name": "Erika Mustermann",
            "given_name": "Erika",
            "family_name": "Mustermann",
            "email": "erika.mustermann@example.org",
            "email_verified": True,
            "birthdate": "1964-08-12",
            "address": _address("Neersener Straße 12", "41564", "Kaarst"),
            "locale": "de-DE",
            "acr": EIDAS_LOW,
        },
    ),
    DemoCitizen(
        sub="jonas.schmitz",
        claims={
            "name": "Jonas Schmitz",
            "given_name": "Jonas",
            "family_name": "Schmitz",
            "email": "jonas.schmitz@example.org",
            "email_verified": True,
            "birthdate": "1991-03-05",
            "address": _address("Büchel 14", "41460", "Neuss"),
            "locale": "de-DE",
            "acr": EIDAS_SUBSTANTIAL,
        },
    ),
    DemoCitizen(
        sub="fatma.yilmaz",
        claims={
            "name": "Fatma Yılmaz",
            "given_name": "Fatma",
            "family_name": "Yılmaz",
            "email": "fatma.yilmaz@example.org",
            "email_verified": True,
            "birthdate": "1978-11-23",
            "address": _address("Kölner Straße 45", "41539", "Dormagen"),
            "locale": "de-DE",
            "acr": EIDAS_HIGH,
        },
    ),
)


class RequiredS256CodeChallenge(CodeChallenge):  # type: ignore[misc]
    """PKCE as BundID asks for it: a challenge in every authorization request, S256 only."""

    DEFAULT_CODE_CHALLENGE_METHOD = "S256"
    SUPPORTED_CODE_CHALLENGE_METHOD = ["S256"]

    def validate_code_challenge(self, grant: Any, redirect_uri: str) -> None:
        data = grant.request.payload.data
        if not data.get("code_challenge"):
            raise InvalidRequestError("Missing 'code_challenge': this provider requires PKCE.")
        if data.get("code_challenge_method") != "S256":
            raise InvalidRequestError("'code_challenge_method' must be S256.")
        super().validate_code_challenge(grant, redirect_uri)


def build_app(citizens: Iterable[DemoCitizen] = DEMO_CITIZENS) -> flask.Flask:
    """The provider as a Flask app, with ``citizens`` predefined and PKCE enforced."""
    with warnings.catch_warnings():
        # The package still imports authlib's deprecated ``jose`` module; that is its business, not ours.
        warnings.simplefilter("ignore", DeprecationWarning)
        import oidc_provider_mock

    app: flask.Flask = oidc_provider_mock.app(
        require_nonce=True,
        user_claims=[oidc_provider_mock.User(sub=c.sub, claims=dict(c.claims)) for c in citizens],
    )
    _enforce_pkce(app)
    return app


def make_server(*, host: str, port: int, citizens: Iterable[DemoCitizen] = DEMO_CITIZENS) -> Any:
    """A threaded WSGI server for :func:`build_app` on a loopback address (``port=0``: any free port)."""
    import werkzeug.serving

    if host not in LOOPBACK_HOSTS:
        raise ValueError(f"the local identity provider signs in anybody; it only listens on loopback, not {host!r}")
    # The provider speaks plain HTTP on loopback; authlib refuses that unless told.
    os.environ["AUTHLIB_INSECURE_TRANSPORT"] = "1"
    return werkzeug.serving.make_server(host, port, build_app(citizens), threaded=True)


def _enforce_pkce(app: flask.Flask) -> None:
    """Swap the package's authorization code grant for one that stores and checks the PKCE challenge.

    The package builds its authlib ``AuthorizationServer`` while the blueprint is
    registered and hands it to each request through ``flask.g``; running the
    app's ``before_request`` hooks once exposes it. authlib picks the first
    registered grant that matches a request, so the grant is replaced in place
    rather than registered a second time.
    """
    import flask
    from oidc_provider_mock._app import AuthorizationCodeGrant

    pkce_grant = _pkce_grant_class(AuthorizationCodeGrant)
    with app.test_request_context():
        app.preprocess_request()
        server = flask.g._authlib_authorization_server
    for registry in (server._authorization_grants, server._token_grants):
        registry[:] = _with_pkce(registry, AuthorizationCodeGrant, pkce_grant)


def _with_pkce(
    registry: Sequence[tuple[type[Any], list[Any] | None]], original: type[Any], replacement: type[Any]
) -> list[tuple[type[Any], list[Any] | None]]:
    if sum(1 for grant, _extensions in registry if grant is original) != 1:
        raise RuntimeError("oidc-provider-mock registers its grants differently now; PKCE cannot be enforced")
    return [
        (replacement, [*(extensions or []), RequiredS256CodeChallenge()]) if grant is original else (grant, extensions)
        for grant, extensions in registry
    ]


def _pkce_grant_class(base: type[Any]) -> type[Any]:
    """The package's grant, also saving the challenge with the authorization code it issues."""
    from oidc_provider_mock._storage import AuthorizationCode, storage

    @dataclass(kw_only=True, frozen=True)
    class PkceAuthorizationCode(AuthorizationCode):  # type: ignore[misc]
        code_challenge: str | None = None
        code_challenge_method: str | None = None

    class PkceAuthorizationCodeGrant(base):  # type: ignore[misc]
        def save_authorization_code(self, code: str, request: Any) -> None:
            super().save_authorization_code(code, request)
            saved = storage.get_authorization_code(code)
            data = request.payload.data
            storage.store_authorization_code(
                PkceAuthorizationCode(
                    **dataclasses.asdict(saved),
                    code_challenge=data.get("code_challenge"),
                    code_challenge_method=data.get("code_challenge_method"),
                )
            )

    return PkceAuthorizationCodeGrant
