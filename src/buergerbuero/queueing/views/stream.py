"""The live SSE stream of an office: what the call display, counters and ticket pages listen to.

``GET /warteschlange/<municipality>/<office>/live/`` answers ``text/event-stream``: first
``retry: 3000`` (browsers reconnect after 3 s), then the office's current state at once, then every
new state (``id: <version>``, ``event: state``, ``data: <json>``), and a comment line every
``HEARTBEAT_SECONDS`` so proxies keep the connection open and dead clients are noticed. All streams of
one office in one process share one hub (``queueing.live``); a disconnect cancels the generator and
leaves the hub.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator

from asgiref.sync import sync_to_async
from django.db import connections
from django.http import Http404, HttpRequest, StreamingHttpResponse

from buergerbuero.core.tenancy import scopes_disabled
from buergerbuero.tenants.models import Office

from .. import live

logger = logging.getLogger(__name__)

HEARTBEAT_SECONDS = 15.0
RETRY = b"retry: 3000\n\n"
HEARTBEAT = b": heartbeat\n\n"


def _office_id(municipality: str, office: str) -> int | None:
    with scopes_disabled():  # a public stream: every municipality's offices
        found = Office.objects.filter(municipality__slug=municipality, slug=office).values_list("pk", flat=True)
        return found.first()


async def office_stream(request: HttpRequest, municipality: str, office: str) -> StreamingHttpResponse:
    office_id = await sync_to_async(_office_id)(municipality, office)
    if office_id is None:
        raise Http404
    response = StreamingHttpResponse(_events(office_id), content_type="text/event-stream")
    response["Cache-Control"] = "no-cache"
    response["X-Accel-Buffering"] = "no"  # nginx: pass every message on at once
    return response


async def _events(office_id: int) -> AsyncIterator[bytes]:
    # The stream starts after the middleware is done: give back the database connection this request's
    # thread may hold (the office lookup, a session save), or every open stream would keep one.
    await sync_to_async(connections.close_all)()
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
