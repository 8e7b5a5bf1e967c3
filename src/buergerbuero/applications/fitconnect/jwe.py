"""JWE as FIT-Connect uses it: compact serialisation, ``RSA-OAEP-256`` key wrapping, ``A256GCM`` content.

Every part of a submission (metadata, data, each attachment) is encrypted on its own to the
destination's public encryption key; the protected header names the key (``kid``) and the content
type of the plaintext (``cty``). No compression (``zip``): FIT-Connect does not use it, and
compressing before encrypting leaks the length of repeating content.

Keys are refused unless they are RSA keys of at least 2048 bits meant for encryption (``use`` is
``enc``, or ``key_ops`` allows ``wrapKey``/``encrypt``), so a signing key handed out by mistake is
never used to encrypt a citizen's data. Pure: no ORM, no network.
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Mapping
from typing import Any

from joserfc import jwe
from joserfc.errors import JoseError
from joserfc.jwk import RSAKey

__all__ = ["ALG", "ENC", "MIN_RSA_BITS", "JweError", "decrypt", "encrypt", "header_of", "public_key"]

ALG = "RSA-OAEP-256"
ENC = "A256GCM"
MIN_RSA_BITS = 2048
_ALGORITHMS = [ALG, ENC]
_ENCRYPTING_OPS = {"wrapKey", "encrypt"}
_DECRYPTING_OPS = {"unwrapKey", "decrypt"}


class JweError(ValueError):
    """A key that must not be used, or a token that does not decrypt."""


def public_key(jwk: Mapping[str, Any]) -> RSAKey:
    """The RSA key of ``jwk`` after the checks above, for encryption."""
    return _checked_key(jwk, _ENCRYPTING_OPS)


def encrypt(payload: bytes, jwk_public: Mapping[str, Any], *, cty: str) -> str:
    """``payload`` as a compact JWE for the owner of ``jwk_public`` (which must carry a ``kid``)."""
    key = public_key(jwk_public)
    kid = key.kid
    if not kid:
        raise JweError("The encryption key has no key ID (kid).")
    protected = {"alg": ALG, "enc": ENC, "kid": kid, "cty": cty}
    try:
        return jwe.encrypt_compact(protected, payload, key, algorithms=_ALGORITHMS)
    except JoseError as error:
        raise JweError(f"Encryption failed: {error}") from error


def decrypt(token: str, jwk_private: Mapping[str, Any]) -> bytes:
    """The plaintext of a compact JWE made by :func:`encrypt` (for the receiving side and the tests)."""
    key = _checked_key(jwk_private, _DECRYPTING_OPS)
    if not key.is_private:
        raise JweError("Decryption needs the private key.")
    header = header_of(token)
    if header.get("alg") != ALG or header.get("enc") != ENC:
        raise JweError(f"Unexpected JWE algorithms: alg={header.get('alg')!r}, enc={header.get('enc')!r}.")
    if "zip" in header:
        raise JweError("Compressed JWE (zip) is not accepted.")
    try:
        result = jwe.decrypt_compact(token, key, algorithms=_ALGORITHMS)
    except JoseError as error:
        raise JweError(f"The JWE does not decrypt: {error}") from error
    return bytes(result.plaintext or b"")


def header_of(token: str) -> dict[str, Any]:
    """The protected header of a compact JWE, without decrypting it."""
    parts = token.split(".")
    if len(parts) != 5:
        raise JweError(f"Not a compact JWE: {len(parts)} parts instead of 5.")
    try:
        header = json.loads(base64.urlsafe_b64decode(parts[0] + "=" * (-len(parts[0]) % 4)))
    except (ValueError, binascii.Error) as error:
        raise JweError(f"Not a compact JWE: the header does not decode ({error}).") from error
    if not isinstance(header, dict):
        raise JweError("Not a compact JWE: the header is not a JSON object.")
    return header


def _checked_key(jwk: Mapping[str, Any], ops: set[str]) -> RSAKey:
    if jwk.get("kty") != "RSA":
        raise JweError(f"The key must be an RSA key, not {jwk.get('kty')!r}.")
    use = jwk.get("use")
    if use is not None and use != "enc":
        raise JweError(f"The key is meant for {use!r}, not for encryption.")
    key_ops = jwk.get("key_ops")
    if key_ops is not None and not (set(key_ops) & ops):
        raise JweError(f"The key's operations {sorted(key_ops)} do not include {' or '.join(sorted(ops))}.")
    if use is None and key_ops is None:
        raise JweError("The key does not say it is meant for encryption (neither use nor key_ops).")
    alg = jwk.get("alg")
    if alg is not None and alg != ALG:
        raise JweError(f"The key is meant for {alg!r}, not {ALG}.")
    try:
        key = RSAKey.import_key(dict(jwk))
    except (JoseError, ValueError, TypeError) as error:
        raise JweError(f"Not a usable RSA key: {error}") from error
    bits = key.raw_value.key_size
    if bits < MIN_RSA_BITS:
        raise JweError(f"The RSA key has {bits} bits; at least {MIN_RSA_BITS} are required.")
    return key
