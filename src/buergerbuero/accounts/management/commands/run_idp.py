"""``manage.py run_idp --port 9400``: the local OpenID Connect provider with the demo citizens."""

from __future__ import annotations

import signal
from types import FrameType
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from buergerbuero.accounts.devidp import DEMO_CITIZENS, LOOPBACK_HOSTS, make_server


class Command(BaseCommand):
    help = "Run the local OpenID Connect provider (demo and tests only; loopback only, PKCE enforced)."
    requires_system_checks: list[str] = []

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--host", default="127.0.0.1", choices=sorted(LOOPBACK_HOSTS))
        parser.add_argument("--port", type=int, default=9400, help="0 picks a free port (default: 9400)")

    def handle(self, *args: Any, host: str, port: int, **options: Any) -> None:
        try:
            server = make_server(host=host, port=port)
        except OSError as error:
            raise CommandError(f"cannot listen on {host}:{port}: {error}") from error

        def stop(signum: int, frame: FrameType | None) -> None:
            raise KeyboardInterrupt

        signal.signal(signal.SIGTERM, stop)
        url_host = f"[{host}]" if ":" in host else host
        # Tests and run_demo wait for this line; keep its shape.
        self.stdout.write(f"Identity provider listening on http://{url_host}:{server.server_port}")
        for citizen in DEMO_CITIZENS:
            self.stdout.write(f"  {citizen.sub:<20} {citizen.name}, level of assurance: {citizen.level_label}")
        self.stdout.flush()
        try:
            server.serve_forever()
        except KeyboardInterrupt:
            pass
        finally:
            server.server_close()
