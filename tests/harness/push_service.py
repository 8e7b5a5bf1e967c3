"""A local push service, as a browser vendor runs one: tests subscribe "browsers" to it and our Web Push
sender POSTs to it over real HTTP on 127.0.0.1.

Like a real push service (RFC 8030/8291/8292) it verifies every request before accepting it:

- ``Authorization: vapid t=<JWT>, k=<public key>``: an ES256 signature over the JWT by ``k``; ``k`` must
  be the ``applicationServerKey`` the browser subscribed with; ``aud`` is this service's origin, ``exp``
  lies in the future and at most 24 hours ahead, ``sub`` is present;
- a ``TTL`` header and ``Content-Encoding: aes128gcm``;
- the body decrypts with the subscriber's private key and auth secret (what the browser would do).

Accepted messages are recorded decrypted (``deliveries``) and answered 201; endpoints marked gone answer
410, endpoints told to fail answer that status; every refusal (400/401/403) is recorded with its reason
(``rejections``). The fixture ``push_service`` also allows http endpoints on 127.0.0.1 for the test.
"""

from __future__ import annotations

import base64
import binascii
import json
import secrets
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import http_ece
import pytest
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import encode_dss_signature
from pytest_django import Settings

from .ports import free_port

MAX_VAPID_LIFETIME_SECONDS = 24 * 60 * 60


@dataclass
class Subscriber:
    """One browser's subscription: the key pair and auth secret only the browser knows."""

    id: str
    endpoint: str
    application_server_key: str
    private_key: ec.EllipticCurvePrivateKey
    auth_secret: bytes
    gone: bool = False
    fail_with: int | None = None

    @property
    def subscription(self) -> dict[str, Any]:
        """What the browser's ``PushSubscription.toJSON()`` returns."""
        public = self.private_key.public_key().public_bytes(
            serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint
        )
        return {
            "endpoint": self.endpoint,
            "expirationTime": None,
            "keys": {"p256dh": _b64url(public), "auth": _b64url(self.auth_secret)},
        }


@dataclass(frozen=True)
class Delivery:
    subscriber_id: str
    payload: Any  # the decrypted JSON
    ttl: int
    urgency: str | None
    claims: dict[str, Any]


@dataclass(frozen=True)
class Rejection:
    subscriber_id: str
    status: int
    reason: str


@dataclass
class PushService:
    port: int = field(default_factory=free_port)
    deliveries: list[Delivery] = field(default_factory=list)
    rejections: list[Rejection] = field(default_factory=list)
    requests: int = 0

    def __post_init__(self) -> None:
        self._subscribers: dict[str, Subscriber] = {}
        self._changed = threading.Condition()
        self._server = ThreadingHTTPServer(("127.0.0.1", self.port), _handler_for(self))
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, name="push-service", daemon=True)
        self._thread.start()

    @property
    def origin(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def subscribe(self, application_server_key: str) -> Subscriber:
        """A new browser subscription bound to our VAPID public key, like ``pushManager.subscribe``."""
        subscriber_id = secrets.token_urlsafe(12)
        subscriber = Subscriber(
            id=subscriber_id,
            endpoint=f"{self.origin}/push/{subscriber_id}",
            application_server_key=application_server_key,
            private_key=ec.generate_private_key(ec.SECP256R1()),
            auth_secret=secrets.token_bytes(16),
        )
        with self._changed:
            self._subscribers[subscriber_id] = subscriber
        return subscriber

    def wait_for_deliveries(self, count: int, timeout: float = 5.0) -> list[Delivery]:
        """Block until at least ``count`` messages were delivered (for pushes sent by another thread)."""
        with self._changed:
            self._changed.wait_for(lambda: len(self.deliveries) >= count, timeout=timeout)
            return list(self.deliveries)

    def close(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)

    # --- called by the request handler ---------------------------------------------------------

    def _receive(self, path: str, headers: Any, body: bytes) -> tuple[int, str]:
        with self._changed:
            self.requests += 1
        subscriber_id = path.removeprefix("/push/")
        subscriber = self._subscribers.get(subscriber_id) if path.startswith("/push/") else None
        if subscriber is None:
            return self._reject(subscriber_id, 404, "no such subscription")
        if subscriber.gone:
            return self._reject(subscriber_id, 410, "subscription gone")
        if subscriber.fail_with is not None:
            return self._reject(subscriber_id, subscriber.fail_with, "told to fail")
        try:
            claims = self._verify_vapid(subscriber, headers.get("Authorization", ""))
        except _Refused as refused:
            return self._reject(subscriber_id, refused.status, refused.reason)
        ttl = headers.get("TTL", "")
        if not ttl.isdigit():
            return self._reject(subscriber_id, 400, f"TTL header missing or malformed: {ttl!r}")
        if headers.get("Content-Encoding", "") != "aes128gcm":
            return self._reject(subscriber_id, 400, f"Content-Encoding {headers.get('Content-Encoding')!r}")
        try:
            plaintext = http_ece.decrypt(
                body, private_key=subscriber.private_key, auth_secret=subscriber.auth_secret, version="aes128gcm"
            )
            payload = json.loads(plaintext)
        except Exception as error:
            return self._reject(subscriber_id, 400, f"payload does not decrypt: {type(error).__name__}: {error}")
        with self._changed:
            self.deliveries.append(Delivery(subscriber_id, payload, int(ttl), headers.get("Urgency"), claims))
            self._changed.notify_all()
        return 201, ""

    def _reject(self, subscriber_id: str, status: int, reason: str) -> tuple[int, str]:
        with self._changed:
            self.rejections.append(Rejection(subscriber_id, status, reason))
            self._changed.notify_all()
        return status, reason

    def _verify_vapid(self, subscriber: Subscriber, authorization: str) -> dict[str, Any]:
        scheme, _, params = authorization.partition(" ")
        if scheme.lower() != "vapid":
            raise _Refused(401, f"Authorization scheme {scheme!r}, expected vapid")
        fields = dict(part.strip().partition("=")[::2] for part in params.split(","))
        token, key = fields.get("t", ""), fields.get("k", "")
        if not token or not key:
            raise _Refused(401, "Authorization lacks t= or k=")
        if key != subscriber.application_server_key:
            raise _Refused(403, "k is not the applicationServerKey of the subscription")
        try:
            public_key = ec.EllipticCurvePublicKey.from_encoded_point(ec.SECP256R1(), _b64url_decode(key))
            header_b64, claims_b64, signature_b64 = token.split(".")
            header = json.loads(_b64url_decode(header_b64))
            claims = json.loads(_b64url_decode(claims_b64))
            signature = _b64url_decode(signature_b64)
        except (ValueError, binascii.Error) as error:
            raise _Refused(401, f"malformed VAPID token or key: {error}") from None
        if header.get("alg") != "ES256" or len(signature) != 64:
            raise _Refused(401, f"not an ES256 JWT: {header}")
        der = encode_dss_signature(int.from_bytes(signature[:32], "big"), int.from_bytes(signature[32:], "big"))
        try:
            public_key.verify(der, f"{header_b64}.{claims_b64}".encode(), ec.ECDSA(hashes.SHA256()))
        except InvalidSignature:
            raise _Refused(401, "VAPID signature does not verify against k") from None
        now = time.time()
        if claims.get("aud") != self.origin:
            raise _Refused(401, f"aud {claims.get('aud')!r} is not {self.origin!r}")
        exp = claims.get("exp")
        if not isinstance(exp, int) or not now < exp <= now + MAX_VAPID_LIFETIME_SECONDS:
            raise _Refused(401, f"exp {exp!r} is not within the next 24 hours")
        if not claims.get("sub"):
            raise _Refused(401, "sub missing")
        return dict(claims)


class _Refused(Exception):
    def __init__(self, status: int, reason: str) -> None:
        super().__init__(reason)
        self.status = status
        self.reason = reason


def _handler_for(service: PushService) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length)
            status, reason = service._receive(self.path, self.headers, body)
            encoded = reason.encode()
            self.send_response(status)
            if status == 201:
                self.send_header("Location", f"{service.origin}/message/{secrets.token_urlsafe(8)}")
            self.send_header("Content-Type", "text/plain; charset=utf-8")
            self.send_header("Content-Length", str(len(encoded)))
            self.end_headers()
            self.wfile.write(encoded)

        def log_message(self, format: str, *args: Any) -> None:
            pass  # keep test output clean; rejections are recorded instead

    return Handler


def _b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _b64url_decode(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


@pytest.fixture
def push_service(settings: Settings) -> Iterator[PushService]:
    """A running local push service; our sender may push to its http://127.0.0.1 endpoints."""
    settings.WEBPUSH_ALLOW_INSECURE_ENDPOINTS = True
    service = PushService()
    try:
        yield service
    finally:
        service.close()
