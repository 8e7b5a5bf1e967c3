"""JWE for FIT-Connect: RSA-OAEP-256 + A256GCM round trip, the header, and keys that must be refused."""

from __future__ import annotations

from typing import Any

import pytest
from joserfc.jwk import ECKey, RSAKey

from buergerbuero.applications.fitconnect import jwe


@pytest.fixture(scope="module")
def key_pair() -> tuple[dict[str, Any], dict[str, Any]]:
    key = RSAKey.generate_key(2048, parameters={"kid": "dest-key-1", "use": "enc", "alg": "RSA-OAEP-256"}, private=True)
    return dict(key.as_dict(private=False)), dict(key.as_dict(private=True))


def test_it_encrypts_for_the_key_and_decrypts_with_the_private_key(key_pair: tuple[dict[str, Any], ...]) -> None:
    public, private = key_pair
    payload = '{"name":"Jürgen"}'.encode()
    token = jwe.encrypt(payload, public, cty="application/json")

    assert token.count(".") == 4  # compact serialisation
    assert jwe.header_of(token) == {"alg": "RSA-OAEP-256", "enc": "A256GCM", "kid": "dest-key-1",
                                    "cty": "application/json"}  # fmt: skip
    assert payload not in token.encode()
    assert jwe.decrypt(token, private) == payload
    assert jwe.encrypt(payload, public, cty="application/json") != token  # a fresh content key every time


def test_a_tampered_token_does_not_decrypt(key_pair: tuple[dict[str, Any], ...]) -> None:
    public, private = key_pair
    header, key, iv, ciphertext, tag = jwe.encrypt(b"secret data", public, cty="text/plain").split(".")
    flipped = ("A" if ciphertext[0] != "A" else "B") + ciphertext[1:]
    with pytest.raises(jwe.JweError, match="does not decrypt"):
        jwe.decrypt(".".join([header, key, iv, flipped, tag]), private)


def test_the_public_key_cannot_decrypt(key_pair: tuple[dict[str, Any], ...]) -> None:
    public, _ = key_pair
    with pytest.raises(jwe.JweError, match="private key"):
        jwe.decrypt(jwe.encrypt(b"x", public, cty="text/plain"), public)


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"use": "sig"}, "meant for 'sig'"),
        ({"use": None, "key_ops": ["verify"]}, "do not include"),
        ({"use": None}, "does not say it is meant for encryption"),
        ({"alg": "RSA1_5"}, "meant for 'RSA1_5'"),
        ({"kid": None}, "no key ID"),
    ],
)
def test_it_refuses_keys_not_meant_for_this(
    key_pair: tuple[dict[str, Any], ...], change: dict[str, Any], message: str
) -> None:
    public = {**key_pair[0], **change}
    public = {name: value for name, value in public.items() if value is not None}
    with pytest.raises(jwe.JweError, match=message):
        jwe.encrypt(b"x", public, cty="text/plain")


@pytest.mark.filterwarnings("ignore:Key size should be")
def test_it_refuses_short_rsa_keys_and_other_key_types() -> None:
    short = RSAKey.generate_key(1024, parameters={"kid": "k", "use": "enc"}, private=True).as_dict(private=False)
    with pytest.raises(jwe.JweError, match="1024 bits; at least 2048"):
        jwe.encrypt(b"x", short, cty="text/plain")
    ec = ECKey.generate_key("P-256", parameters={"kid": "k", "use": "enc"}, private=True).as_dict(private=False)
    with pytest.raises(jwe.JweError, match="must be an RSA key"):
        jwe.encrypt(b"x", ec, cty="text/plain")
