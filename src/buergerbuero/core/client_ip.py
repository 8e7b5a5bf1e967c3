"""The address of the client behind any trusted reverse proxies."""

from __future__ import annotations

from django.conf import settings
from django.http import HttpRequest

__all__ = ["client_ip"]


def client_ip(request: HttpRequest) -> str:
    """The client's address, for rate limits and throttles.

    With ``TRUSTED_PROXY_COUNT = 0`` (no proxy) it is the peer address. Behind N trusted proxies
    it is the N-th address from the right of ``X-Forwarded-For``: each proxy appends the address it
    received the request from, so entries further left can be forged by the client.
    """
    trusted = int(settings.TRUSTED_PROXY_COUNT)
    peer = str(request.META.get("REMOTE_ADDR") or "unknown")
    if trusted <= 0:
        return peer
    forwarded = [part.strip() for part in str(request.META.get("HTTP_X_FORWARDED_FOR", "")).split(",") if part.strip()]
    if len(forwarded) < trusted:
        return forwarded[0] if forwarded else peer
    return forwarded[-trusted]
