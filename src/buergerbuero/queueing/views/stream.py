"""The live SSE stream of an office: what the call display, counters and ticket pages listen to.

``GET /warteschlange/<municipality>/<office>/live/`` answers ``text/event-stream``: first
``retry: 3000`` (browsers reconnect after 3 s), then the office's current state at once, then every
new state (``id: <version>``, ``event: state``, ``data: <json>``), and a ``heartbeat`` event every
``HEARTBEAT_SECONDS`` so proxies keep the connection open, dead clients are noticed and the call
display can tell a quiet office from a dead connection. All streams of one office in one process
share one hub (``queueing.live``); a disconnect cancels the generator and leaves the hub.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator

from asgiref.sync import SyncToAsync, sync_to_async
from django.core.handlers.exception import response_for_exception
from django.db import connections
from django.http import Http404, HttpRequest, HttpResponse, StreamingHttpResponse

from buergerbuero.core.tenancy import scopes_disabled
from buergerbuero.tenants.models import Office

from .. import live

logger = logging.getLogger(__name__)

HEARTBEAT_SECONDS = 15.0
RETRY = b"retry: 3000\n\n"
HEARTBEAT = b"event: heartbeat\ndata: \n\n"


def _office_id(municipality: str, office: str) -> int | None:
    with scopes_disabled():  # a public stream: every municipality's offices
        found = Office.objects.filter(municipality__slug=municipality, slug=office).values_list("pk", flat=True)
        return found.first()


async def office_stream(request: HttpRequest, municipality: str, office: str) -> HttpResponse | StreamingHttpResponse:
    office_id = await sync_to_async(_office_id)(municipality, office)
    if office_id is None:
        # Not `raise Http404`: Django renders an async view's exceptions in a shared thread pool that no
        # request ends, and the error page's database connection would stay open there for good.
        # Rendered here, in this request's thread, the connection is closed with the request.
        not_found: HttpResponse = await sync_to_async(response_for_exception)(request, Http404())
        return not_found
    response = StreamingHttpResponse(_events(office_id), content_type="text/event-stream")
    response["Cache-Control"] = "no-cache"
    response["X-Accel-Buffering"] = "no"  # nginx: pass every message on at once
    return response


def _release_request_thread() -> None:
    """Shut down this request's idle thread now instead of when the stream ends.

    Django runs each ASGI request in an asgiref ``ThreadSensitiveContext``: the first thread-sensitive
    ``sync_to_async`` (our sync middleware, Django's ``MiddlewareMixin``, the office lookup) starts a
    thread of its own for the request, which waits idle until the request ends — for a stream, hours,
    one OS thread per open stream. Once the middleware is done it is not needed; a later thread-sensitive
    call (Django's ``response.close()`` at the end) simply starts a new one, which the context shuts down.
    """
    context = SyncToAsync.thread_sensitive_context.get(None)
    executor = SyncToAsync.context_to_thread_executor.pop(context, None) if context is not None else None
    if executor is not None:
        executor.shutdown(wait=False)


async def _events(office_id: int) -> AsyncIterator[bytes]:
    # The stream starts after the middleware is done: give back the database connection this request's
    # thread may hold (the office lookup, a session save), or every open stream would keep one.
    await sync_to_async(connections.close_all)()
    _release_request_thread()
    yield RETRY
    try:
        async with live.watch(office_id) as hub:
            seen = b""
            while True:
                message = await hub.next_change(seen, HEARTBEAT_SECONDS)
                if message is None:
                    yield HEARTBEAT
                else:
                    seen = message
                    yield message
    except Exception:  # the first state could not be read: end; the browser comes back after `retry`
        logger.exception("live stream of office %s stopped", office_id)
