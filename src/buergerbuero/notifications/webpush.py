"""Web Push (RFC 8030) with VAPID (RFC 8292) and aes128gcm payload encryption (RFC 8291), through the outbox.

The key: ``WEBPUSH_VAPID_PRIVATE_KEY`` holds the server's P-256 private key, either as the raw 32-byte
key in base64url (one line, what ``manage.py vapid_keys`` prints) or as PEM. Unset, the demo and the
tests (``WEBPUSH_VAPID_DEV_KEY``, on with ``DEBUG``) generate one once and keep it in
``VAR_DIR/vapid_private.pem`` (mode 0600); production without a key has Web Push switched off
(``webpush_enabled()`` is false, ``queue_push`` queues nothing) and ``check --deploy`` warns.

The subscription is the browser's ``PushSubscription.toJSON()``: ``{"endpoint", "keys": {"p256dh",
"auth"}}``. Its owner (the live queue) stores it; this module keeps no model. When the push service
answers 404 or 410 the subscription is gone for good: the callbacks registered with
``on_subscription_gone`` are told its endpoint (inside the outbox's transaction) and the message is
not retried. Every other failure raises, so the outbox retries with backoff.
"""

from __future__ import annotations

import base64
import binascii
import ipaddress
import json
import logging
import os
import time
from collections.abc import Callable, Mapping
from functools import lru_cache
from pathlib import Path
from typing import Any, Literal
from urllib.parse import urlsplit

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from py_vapid import Vapid
from pywebpush import WebPusher

from buergerbuero.core.models import OutboxMessage
from buergerbuero.core.outbox import enqueue, register_handler

__all__ = [
    "KIND",
    "WebPushDisabled",
    "generate_vapid_key",
    "on_subscription_gone",
    "private_key_to_base64url",
    "public_key_to_base64url",
    "queue_push",
    "validate_endpoint",
    "validate_subscription",
    "vapid_public_key",
    "webpush_enabled",
]

logger = logging.getLogger(__name__)

KIND = "web_push"
DEV_KEY_FILE_NAME = "vapid_private.pem"
# Push services accept at least 4096 bytes of encrypted payload; aes128gcm adds 86 bytes of header,
# one padding byte and a 16-byte tag. A pre-call alert needs a fraction of that.
MAX_PAYLOAD_BYTES = 3072
MAX_ENDPOINT_LENGTH = 1000  # the live queue stores endpoints in a URLField(max_length=1000)
# RFC 8292 forbids more than 24 hours; 12 hours is what push services recommend.
VAPID_EXPIRY_SECONDS = 12 * 60 * 60
_LOOPBACK_HOSTS = {"127.0.0.1", "localhost", "::1"}
_GONE_STATUSES = {404, 410}

Urgency = Literal["very-low", "low", "normal", "high"]
GoneCallback = Callable[[str], None]
_gone_callbacks: list[GoneCallback] = []


class WebPushDisabled(RuntimeError):
    """No VAPID key is configured (production without ``WEBPUSH_VAPID_PRIVATE_KEY``)."""


# --- keys ---------------------------------------------------------------------------------------


def webpush_enabled() -> bool:
    """Whether this installation can send Web Push: a key is configured, or the demo/tests may make one."""
    return bool(settings.WEBPUSH_VAPID_PRIVATE_KEY) or bool(settings.WEBPUSH_VAPID_DEV_KEY)


def vapid_public_key() -> str:
    """The base64url (unpadded) uncompressed P-256 public key: ``applicationServerKey`` for the browser's
    ``pushManager.subscribe``. Raises ``WebPushDisabled`` when no key is configured."""
    return public_key_to_base64url(_private_key().public_key())


def generate_vapid_key() -> ec.EllipticCurvePrivateKey:
    return ec.generate_private_key(ec.SECP256R1())


def private_key_to_base64url(key: ec.EllipticCurvePrivateKey) -> str:
    """The raw 32-byte private value in base64url: the one-line form of ``WEBPUSH_VAPID_PRIVATE_KEY``."""
    return _b64url(key.private_numbers().private_value.to_bytes(32, "big"))


def public_key_to_base64url(key: ec.EllipticCurvePublicKey) -> str:
    return _b64url(key.public_bytes(serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint))


def parse_private_key(text: str) -> ec.EllipticCurvePrivateKey:
    """A P-256 private key from PEM or from the raw 32-byte value in base64url; ``ValueError`` otherwise."""
    return _parse_private_key(text.strip())


@lru_cache(maxsize=8)
def _parse_private_key(text: str) -> ec.EllipticCurvePrivateKey:
    if text.startswith("-----BEGIN"):
        key = serialization.load_pem_private_key(text.encode(), password=None)
        if not isinstance(key, ec.EllipticCurvePrivateKey) or not isinstance(key.curve, ec.SECP256R1):
            raise ValueError("the PEM key is not a P-256 (prime256v1) EC private key")
        return key
    raw = _b64url_decode(text)
    if len(raw) != 32:
        raise ValueError(f"expected a PEM key or 32 bytes in base64url, got {len(raw)} bytes")
    return ec.derive_private_key(int.from_bytes(raw, "big"), ec.SECP256R1())


def _private_key() -> ec.EllipticCurvePrivateKey:
    configured = str(settings.WEBPUSH_VAPID_PRIVATE_KEY)
    if configured:
        return parse_private_key(configured)
    if settings.WEBPUSH_VAPID_DEV_KEY:
        return parse_private_key(_dev_key_pem(Path(settings.VAR_DIR) / DEV_KEY_FILE_NAME))
    raise WebPushDisabled("Web Push is disabled: WEBPUSH_VAPID_PRIVATE_KEY is not set")


def _dev_key_pem(path: Path) -> str:
    """The demo's and the tests' key, generated on first use. Concurrent first uses (parallel test
    processes) agree: the key is written to a private temporary file and linked into place, so the
    file appears complete or not at all, and the loser of the race reads the winner's key."""
    try:
        return path.read_text()
    except FileNotFoundError:
        pass
    path.parent.mkdir(parents=True, exist_ok=True)
    pem = generate_vapid_key().private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    temporary = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    try:
        with os.fdopen(fd, "wb") as file:
            file.write(pem)
        try:
            os.link(temporary, path)
            logger.info("generated a development VAPID key in %s", path)
        except FileExistsError:
            pass
    finally:
        temporary.unlink(missing_ok=True)
    return path.read_text()


# --- subscriptions ------------------------------------------------------------------------------


def validate_endpoint(url: str) -> None:
    """Refuse push endpoints we must not POST to: anything but https, credentials in the URL, and
    hosts that are IP literals of private, loopback or link-local networks. With
    ``WEBPUSH_ALLOW_INSECURE_ENDPOINTS`` (tests, demo) http and https to 127.0.0.1 / localhost pass too.

    Push endpoints come from browsers, so an attacker can send any URL; host names that resolve to
    internal addresses are not caught here (the outbox worker should have no route to them)."""
    if not isinstance(url, str) or not url or len(url) > MAX_ENDPOINT_LENGTH:
        raise ValidationError(_("The push subscription has no valid address."), code="invalid")
    try:
        parts = urlsplit(url)
        host = parts.hostname or ""
        parts.port  # noqa: B018  (raises ValueError on a malformed port)
    except ValueError:
        raise ValidationError(_("The push subscription has no valid address."), code="invalid") from None
    if not host or parts.username is not None or parts.password is not None:
        raise ValidationError(_("The push subscription has no valid address."), code="invalid")
    if (
        bool(settings.WEBPUSH_ALLOW_INSECURE_ENDPOINTS)
        and host in _LOOPBACK_HOSTS
        and parts.scheme in {"http", "https"}
    ):
        return
    if parts.scheme != "https":
        raise ValidationError(_("Push notifications can only be sent to secure (https) addresses."), code="insecure")
    if host in _LOOPBACK_HOSTS or _is_internal_ip(host):
        raise ValidationError(_("Push notifications cannot be sent to this address."), code="internal")


def _is_internal_ip(host: str) -> bool:
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return False  # a host name
    return not address.is_global


def validate_subscription(data: Any) -> dict[str, Any]:
    """Check a browser's ``PushSubscription.toJSON()`` and return the part we keep:
    ``{"endpoint", "keys": {"p256dh", "auth"}}``. Raises ``ValidationError`` (translated)."""
    invalid = ValidationError(_("The browser sent an invalid push subscription."), code="invalid")
    if not isinstance(data, Mapping) or not isinstance(data.get("keys"), Mapping):
        raise invalid
    endpoint, p256dh, auth = data.get("endpoint"), data["keys"].get("p256dh"), data["keys"].get("auth")
    if not isinstance(endpoint, str) or not isinstance(p256dh, str) or not isinstance(auth, str):
        raise invalid
    validate_endpoint(endpoint)
    try:
        public = _b64url_decode(p256dh)
        secret = _b64url_decode(auth)
        ec.EllipticCurvePublicKey.from_encoded_point(ec.SECP256R1(), public)
    except ValueError:
        raise invalid from None
    if len(public) != 65 or len(secret) != 16:
        raise invalid
    return {"endpoint": endpoint, "keys": {"p256dh": p256dh, "auth": auth}}


def on_subscription_gone(callback: GoneCallback) -> None:
    """Register ``callback(endpoint)``, called when a push service says a subscription no longer exists
    (HTTP 404/410). It runs inside the outbox's transaction; if it raises, the message is retried."""
    if callback not in _gone_callbacks:
        _gone_callbacks.append(callback)


# --- sending ------------------------------------------------------------------------------------


def queue_push(
    subscription: Mapping[str, Any],
    title: str,
    body: str,
    url: str = "",
    tag: str = "",
    ttl: int = 600,
    *,
    urgency: Urgency = "high",
    dedupe_key: str | None = None,
) -> OutboxMessage | None:
    """Queue one notification in the current transaction.

    ``url`` is what the service worker opens on a click, ``tag`` lets a newer notification replace an
    older one on the device, ``ttl`` is how many seconds the push service keeps it for an offline device.
    Returns ``None`` when Web Push is disabled or ``dedupe_key`` was queued before. Raises
    ``ValidationError`` for an unacceptable subscription and ``ValueError`` for a payload too large."""
    if not webpush_enabled():
        return None
    clean = validate_subscription(subscription)
    message = {"title": title, "body": body, "url": url, "tag": tag}
    data = _encode(message)
    if len(data) > MAX_PAYLOAD_BYTES:
        raise ValueError(f"push payload of {len(data)} bytes exceeds {MAX_PAYLOAD_BYTES}")
    if ttl < 0:
        raise ValueError("ttl must not be negative")
    payload = {"subscription": clean, "message": message, "ttl": int(ttl), "urgency": urgency}
    return enqueue(KIND, payload, dedupe_key=dedupe_key)


def send_push(payload: Mapping[str, Any]) -> None:
    """The outbox handler of ``web_push``: encrypt (aes128gcm), sign (VAPID) and POST to the push service."""
    subscription = payload["subscription"]
    endpoint = str(subscription["endpoint"])
    validate_endpoint(endpoint)  # settings may have changed since the message was queued
    vapid = Vapid(private_key=_private_key())
    headers = vapid.sign(
        {
            "aud": _origin(endpoint),
            "exp": int(time.time()) + VAPID_EXPIRY_SECONDS,
            "sub": str(settings.WEBPUSH_VAPID_SUBJECT),
        }
    )
    headers["Urgency"] = str(payload.get("urgency", "normal"))
    response = WebPusher(subscription).send(
        data=_encode(payload["message"]),
        headers=headers,
        ttl=int(payload.get("ttl", 0)),
        content_encoding="aes128gcm",
        timeout=float(settings.WEBPUSH_TIMEOUT_SECONDS),
    )
    status = int(response.status_code)
    if status in _GONE_STATUSES:
        logger.info("push subscription gone (HTTP %s): %s", status, _origin(endpoint))
        for callback in list(_gone_callbacks):
            callback(endpoint)
        return
    if not 200 <= status < 300:
        raise PushServiceError(f"push service {_origin(endpoint)} answered HTTP {status}: {response.text[:200]}")


class PushServiceError(RuntimeError):
    """The push service refused or failed; the outbox retries."""


def register() -> None:
    register_handler(KIND, send_push)


# --- helpers ------------------------------------------------------------------------------------


def _origin(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}"


def _encode(message: Mapping[str, Any]) -> bytes:
    return json.dumps(message, ensure_ascii=False, separators=(",", ":")).encode()


def _b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _b64url_decode(text: str) -> bytes:
    try:
        return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
    except (binascii.Error, ValueError):
        raise ValueError("not base64url") from None
