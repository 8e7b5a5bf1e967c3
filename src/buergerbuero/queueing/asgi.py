"""The live SSE stream served straight on ASGI, in front of Django (config/asgi.py mounts it).

One "call next" wakes every open stream of the office at once; through Django each wake-up travels our
generator → ``StreamingHttpResponse``'s async iteration → ``ASGIHandler`` → the server's ``send``, per
subscriber. Here a stream is one coroutine that hands the hub's bytes to ``send`` itself
(docs/live-queue-bench.md has the figures). Only a ``GET`` of ``queueing:office-stream`` for an existing
office takes this path; everything else, the 404 of an unknown office included, goes to Django, whose
view (``views/stream.py``) stays the route for ``reverse`` and the same stream behind the full stack.

What the stream skips of Django's stack: sessions, CSRF, locale, tenancy and request metrics — none of
them applies to a public, read-only event stream. The security headers are set here.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Mapping
from typing import Any

from asgiref.sync import sync_to_async
from django.conf import settings
from django.db import connections
from django.urls import Resolver404, resolve

from buergerbuero.core.middleware import content_security_policy

from . import live
from .views import stream

logger = logging.getLogger(__name__)

Scope = dict[str, Any]
Message = Mapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]


def _office_id(municipality: str, office: str) -> int | None:
    try:
        return stream._office_id(municipality, office)
    finally:
        connections.close_all()  # a stream holds no database connection


def _stream_kwargs(path: str) -> dict[str, Any] | None:
    """The URL's arguments when ``path`` is the office stream's route, else ``None``."""
    if not path.endswith("/live/"):  # cheap: most requests never resolve twice
        return None
    try:
        match = resolve(path)
    except Resolver404:
        return None
    return match.kwargs if match.func is stream.office_stream else None


def _headers() -> list[tuple[bytes, bytes]]:
    headers = [
        (b"content-type", b"text/event-stream; charset=utf-8"),
        (b"cache-control", b"no-cache"),
        (b"x-accel-buffering", b"no"),  # nginx: pass every message on at once
        (b"x-content-type-options", b"nosniff"),
        (b"content-security-policy", content_security_policy().encode()),
    ]
    if settings.SECURE_REFERRER_POLICY:
        headers.append((b"referrer-policy", str(settings.SECURE_REFERRER_POLICY).encode()))
    return headers


async def _send_stream(office_id: int, send: Send) -> None:
    await send({"type": "http.response.start", "status": 200, "headers": _headers()})
    await send({"type": "http.response.body", "body": stream.RETRY, "more_body": True})
    try:
        async with live.watch(office_id) as hub:
            seen = b""
            while True:
                message = await hub.next_change(seen, stream.HEARTBEAT_SECONDS)
                if message is None:
                    message = stream.HEARTBEAT
                else:
                    seen = message
                await send({"type": "http.response.body", "body": message, "more_body": True})
    except Exception:  # the first state could not be read: end; the browser comes back after `retry`
        logger.exception("live stream of office %s stopped", office_id)
    await send({"type": "http.response.body", "body": b"", "more_body": False})


async def _serve_stream(office_id: int, receive: Receive, send: Send) -> None:
    """Stream until the client disconnects (or the stream ends by itself)."""
    sending = asyncio.ensure_future(_send_stream(office_id, send))
    listening = asyncio.ensure_future(_wait_for_disconnect(receive))
    try:
        await asyncio.wait([sending, listening], return_when=asyncio.FIRST_COMPLETED)
    finally:
        for task in (sending, listening):
            task.cancel()
        await asyncio.gather(sending, listening, return_exceptions=True)


async def _wait_for_disconnect(receive: Receive) -> None:
    while (await receive())["type"] != "http.disconnect":
        pass


def live_streams(django: ASGIApp) -> ASGIApp:
    """``django`` with the office stream served directly."""

    async def application(scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["method"] == "GET":
            path, root = scope["path"], scope.get("root_path", "")
            kwargs = _stream_kwargs(path.removeprefix(root) if root else path)
            if kwargs is not None:
                office_id = await sync_to_async(_office_id, thread_sensitive=False)(**kwargs)
                if office_id is not None:
                    await _serve_stream(office_id, receive, send)
                    return
        await django(scope, receive, send)

    return application
