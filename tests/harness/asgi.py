"""A real ASGI server for browser tests of live pages.

Django's ``live_server`` is a WSGI server: it cannot stream Server-Sent Events (the async generator
of ``queueing:office-stream`` would be read to its end, which never comes). ``asgi_server`` runs the
project's ASGI application (``config.asgi.application``, the one production serves: Django behind the
live stream's direct ASGI path) under uvicorn in a thread of the test process, on the test database,
and yields its base URL.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator

import pytest
import uvicorn
from django.db import connections

from tests.harness.ports import free_port


@pytest.fixture
def asgi_server(transactional_db: None) -> Iterator[str]:
    """uvicorn on a free loopback port, in a thread of this process (so it sees the test database)."""
    from buergerbuero.config.asgi import application  # the real entry point: Django behind the live stream

    config = uvicorn.Config(
        application,
        host="127.0.0.1",
        port=free_port(),
        lifespan="off",
        loop="asyncio",
        http="h11",
        log_level="warning",
        timeout_graceful_shutdown=2,
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, name="asgi-live-server", daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        assert thread.is_alive() and time.monotonic() < deadline, "uvicorn did not start"
        time.sleep(0.05)
    try:
        yield f"http://127.0.0.1:{config.port}"
    finally:
        server.should_exit = True
        thread.join(15)
        release_server_connections()
    assert not thread.is_alive(), "uvicorn did not stop"


def release_server_connections() -> None:
    """The server's threads (the live hub builds its state in executor threads, the event bus listens
    on a connection of its own) leave PostgreSQL sessions behind that would keep the test database
    from being flushed and dropped: close the pool and end the other sessions of this test database."""
    connections.close_all()
    connection = connections["default"]
    if connection.vendor != "postgresql":
        return
    close_pool = getattr(connection, "close_pool", None)
    if close_pool is not None:
        close_pool()
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
            "WHERE datname = current_database() AND pid <> pg_backend_pid()"
        )
    connections.close_all()
