"""Fairness in front of booking: a proof-of-work before reserving, and rate limits per client.

Caps per person and the return delay of cancelled times live in the booking core
(``services/booking.py``); how all measures work together is in ``docs/appointments-fairness.md``.

Everything here keeps its state in Django's cache, which is the database cache shared by all
processes. Both the single use of a solution and every admitted request are claimed with
``cache.add`` — an insert on the cache table's primary key — so two processes can never both win.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import ipaddress
import json
import math
from datetime import timedelta
from typing import Any, Final

from altcha import v1 as altcha_v1
from django.conf import settings
from django.core.cache import cache
from django.http import HttpRequest
from django.utils import timezone
from django.utils.crypto import salted_hmac
from django.utils.translation import gettext_lazy as _

from buergerbuero.core.client_ip import client_ip

__all__ = [
    "DEFAULT_RATE_LIMITS",
    "POW_REQUIRED_MESSAGE",
    "RateLimited",
    "challenge_json",
    "check_rate",
    "client_key",
    "new_challenge",
    "rate_limit",
    "verify_solution",
]

ALGORITHM: Final[altcha_v1.AlgoType] = "SHA-256"
# A payload is a few hundred bytes; anything much larger is not one of ours.
MAX_PAYLOAD_LENGTH: Final = 2000
KEY_PREFIX: Final = "appointments:fairness"

# (requests, seconds) per scope; a request count of 0 switches the scope's limit off.
DEFAULT_RATE_LIMITS: Final[dict[str, tuple[int, int]]] = {
    "reserve": (10, 300),
    "availability": (300, 60),
    "book": (10, 300),
    "waitlist": (5, 3600),
    "lottery": (5, 3600),
}

POW_REQUIRED_MESSAGE: Final = _(
    "Your browser did not complete the security check. Please switch on JavaScript and try again, or book by phone."
)


# -- proof of work (ALTCHA) ----------------------------------------------------------------------


def _hmac_key() -> str:
    configured = str(getattr(settings, "ALTCHA_HMAC_KEY", "") or "")
    if configured:
        return configured
    # Derived, so a deployment needs no extra secret; the purpose string keeps it apart from other uses.
    return salted_hmac("buergerbuero.appointments.altcha", "hmac-key", algorithm="sha256").hexdigest()


def _max_number() -> int:
    return int(getattr(settings, "ALTCHA_MAX_NUMBER", 50_000))


def _expires_seconds() -> int:
    return int(getattr(settings, "ALTCHA_EXPIRES_SECONDS", 600))


def new_challenge() -> dict[str, Any]:
    """A signed challenge in the format the ALTCHA widget and ``pow.js`` read.

    ``{algorithm, challenge, maxnumber, salt, signature}``; the expiry is part of the salt
    (``<nonce>?expires=<unix time>&``), so it is covered by the signature.
    """
    challenge = altcha_v1.create_challenge(
        altcha_v1.ChallengeOptions(
            algorithm=ALGORITHM,
            max_number=_max_number(),
            hmac_key=_hmac_key(),
            expires=timezone.now() + timedelta(seconds=_expires_seconds()),
        )
    )
    return {
        "algorithm": challenge.algorithm,
        "challenge": challenge.challenge,
        "maxnumber": challenge.max_number,
        "salt": challenge.salt,
        "signature": challenge.signature,
    }


def challenge_json() -> str:
    """``new_challenge()`` as JSON, for ``data-altcha-challenge="{{ altcha_challenge_json }}"``."""
    return json.dumps(new_challenge(), separators=(",", ":"))


def _decode(payload: str) -> altcha_v1.Payload | None:
    """The payload if its fields have the right shape (the widget adds ``took``; ignored), else ``None``."""
    if not isinstance(payload, str) or not payload or len(payload) > MAX_PAYLOAD_LENGTH:
        return None
    try:
        data = json.loads(base64.b64decode(payload, validate=True).decode())
    except (binascii.Error, ValueError):  # UnicodeDecodeError and JSONDecodeError are ValueErrors
        return None
    if not isinstance(data, dict):
        return None
    number = data.get("number")
    if data.get("algorithm") != ALGORITHM or not isinstance(number, int) or isinstance(number, bool) or number < 0:
        return None
    if not all(isinstance(data.get(name), str) and data[name] for name in ("challenge", "salt", "signature")):
        return None
    return altcha_v1.Payload(ALGORITHM, data["challenge"], number, data["salt"], data["signature"])


def verify_solution(payload: str) -> bool:
    """Whether ``payload`` (base64 JSON as the widget posts it) solves one of our challenges that has
    not expired and was not used before. A solution counts once: the second call returns ``False``.
    Never raises on garbage."""
    solution = _decode(payload)
    if solution is None:
        return False
    _nonce, expires_at, _params = solution.parse_salt()
    now = timezone.now().timestamp()
    if expires_at is None or expires_at <= now:
        return False  # all our challenges expire; one without expiry is not ours
    valid, _error = altcha_v1.verify_solution(solution, _hmac_key(), check_expires=True)
    if not valid:
        return False
    used_key = f"{KEY_PREFIX}:altcha-used:{solution.challenge}"
    # Kept until the challenge has expired; after that the expiry check refuses it anyway.
    return bool(cache.add(used_key, 1, timeout=max(1, math.ceil(expires_at - now)) + 60))


# -- clients and rate limits ---------------------------------------------------------------------


def client_key(request: HttpRequest) -> str:
    """The client's address (behind trusted proxies), hashed with the secret key so the cache holds
    no addresses. IPv6 addresses count per /64 network: one household or phone gets a whole /64
    and could otherwise change address for every request."""
    address = client_ip(request)
    try:
        parsed = ipaddress.ip_address(address)
    except ValueError:
        network = address
    else:
        if isinstance(parsed, ipaddress.IPv6Address) and parsed.ipv4_mapped is not None:
            network = str(parsed.ipv4_mapped)
        elif isinstance(parsed, ipaddress.IPv6Address):
            network = str(ipaddress.IPv6Network((parsed, 64), strict=False))
        else:
            network = str(parsed)
    return salted_hmac("buergerbuero.appointments.client", network, algorithm="sha256").hexdigest()[:32]


class RateLimited(Exception):
    """Too many requests in a scope; ``retry_after`` seconds until the next one is accepted."""

    def __init__(self, retry_after: int, scope: str = "") -> None:
        super().__init__(f"rate limit {scope!r} reached, retry after {retry_after} s")
        self.retry_after = retry_after
        self.scope = scope


def rate_limit(scope: str) -> tuple[int, int]:
    """``(requests, seconds)`` for ``scope``: ``APPOINTMENTS_RATE_LIMITS`` over the defaults."""
    limits = {**DEFAULT_RATE_LIMITS, **getattr(settings, "APPOINTMENTS_RATE_LIMITS", {})}
    if scope not in limits:
        raise ValueError(f"unknown rate-limit scope {scope!r}; known: {sorted(limits)}")
    requests, seconds = limits[scope]
    return int(requests), int(seconds)


def check_rate(scope: str, key: str) -> None:
    """Count one request of ``key`` (usually ``client_key(request)``) in ``scope``; raise
    ``RateLimited`` if it is over the scope's limit.

    Fixed windows of ``seconds``. Every admitted request claims one of ``requests`` numbered slots
    of the current window with ``cache.add``, so concurrent processes cannot admit more than the
    limit (``cache.incr`` is a read and a write on the database cache and would lose counts). A
    hint in the cache says where the free slots start. Refused requests claim nothing.
    """
    requests, seconds = rate_limit(scope)
    if requests <= 0 or seconds <= 0:
        return
    now = timezone.now().timestamp()
    window = int(now // seconds)
    window_end = (window + 1) * seconds
    timeout = max(1, math.ceil(window_end - now)) + 1
    digest = hashlib.sha256(key.encode()).hexdigest()[:32]
    prefix = f"{KEY_PREFIX}:rate:{scope}:{digest}:{window}"
    hint_key = f"{prefix}:next"
    slot = int(cache.get(hint_key, 0))
    while slot < requests:
        if cache.add(f"{prefix}:{slot}", 1, timeout=timeout):
            cache.set(hint_key, slot + 1, timeout=timeout)
            return
        slot += 1
    cache.set(hint_key, requests, timeout=timeout)
    raise RateLimited(max(1, math.ceil(window_end - now)), scope=scope)
