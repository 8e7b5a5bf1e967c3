"""``make demo``: migrate, load the demo district, and run web server, task worker, scheduler and identity provider."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError, CommandParser

from buergerbuero.demo import district as demo
from buergerbuero.demo.loader import load_demo

MANAGE = str(Path(settings.BASE_DIR) / "manage.py")


class _Stop(Exception):
    """Ctrl-C or a termination signal: stop the demo's processes and exit."""


def _stop(signum: int, frame: object) -> None:
    raise _Stop


class Command(BaseCommand):
    help = "Run the demo: web server, task worker, scheduler and local OpenID Connect provider on 127.0.0.1."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--port", type=int, default=int(os.environ.get("PORT", "8000")))
        parser.add_argument("--idp-port", type=int, default=int(os.environ.get("IDP_PORT", "9400")))
        parser.add_argument("--no-serve", action="store_true", help="only migrate and load the demo data")

    def handle(self, *args: Any, **options: Any) -> None:
        port: int = options["port"]
        idp_port: int = options["idp_port"]
        self.stdout.write("Preparing the database …")
        call_command("migrate", interactive=False, verbosity=0)
        call_command("createcachetable", verbosity=0)
        load_demo(progress=self.stdout.write)
        if options["no_serve"]:
            return

        issuer = f"http://127.0.0.1:{idp_port}"
        site = f"http://127.0.0.1:{port}"
        env = {
            **os.environ,
            "DEBUG": "true",
            "OIDC_ISSUER": issuer,
            "SITE_URL": site,
            "STAFF_OTP_REQUIRED": os.environ.get("STAFF_OTP_REQUIRED", "false"),
            "EMAIL_BACKEND": os.environ.get("EMAIL_BACKEND", "django.core.mail.backends.filebased.EmailBackend"),
            "LOG_FORMAT": os.environ.get("LOG_FORMAT", "plain"),
        }
        commands = {
            "identity provider": [sys.executable, MANAGE, "run_idp", "--port", str(idp_port)],
            "task worker": [sys.executable, MANAGE, "db_worker"],
            # Enqueues the periodic work (reminders, returning capacity, outbox) for the task worker.
            "scheduler": [sys.executable, MANAGE, "run_scheduler"],
            "web server": [
                sys.executable, "-m", "uvicorn", "buergerbuero.config.asgi:application",
                "--app-dir", str(Path(settings.BASE_DIR) / "src"),
                "--host", "127.0.0.1", "--port", str(port), "--no-access-log",
            ],
        }  # fmt: skip
        # Explicit handlers: a shell that starts us in the background makes us ignore SIGINT,
        # and service managers stop us with SIGTERM. Either way the four processes must go too.
        signal.signal(signal.SIGINT, _stop)
        signal.signal(signal.SIGTERM, _stop)
        processes = {name: subprocess.Popen(cmd, env=env) for name, cmd in commands.items()}  # noqa: S603 - our own argv
        try:
            _wait_until_up(f"{issuer}/.well-known/openid-configuration", processes, "identity provider")
            _wait_until_up(f"{site}/healthz", processes, "web server")
            self._print_welcome(site, issuer)
            while all(process.poll() is None for process in processes.values()):
                time.sleep(0.5)
            failed = [name for name, process in processes.items() if process.poll() is not None]
            raise CommandError(f"The {', '.join(failed)} stopped; see the output above.")
        except _Stop:
            self.stdout.write("\nStopping …")
        finally:
            for process in processes.values():
                if process.poll() is None:
                    process.send_signal(signal.SIGTERM)
            for process in processes.values():
                try:
                    process.wait(timeout=10)
                except subprocess.TimeoutExpired:
                    process.kill()

    def _print_welcome(self, site: str, issuer: str) -> None:
        from buergerbuero.accounts.devidp import DEMO_CITIZENS

        lines = [
            "",
            "Bürgerbüro demo is running.",
            f"  Kreis portal        {site}/",
            f"  Kaarst              {site}/kaarst/",
            f"  Mein Bürgerbüro     {site}/konto/",
            f"  Back office         {site}/backoffice/",
            f"  Health              {site}/healthz",
            f"  Identity provider   {issuer}/",
            "",
            "Citizen logins (choose the name on the identity provider's page):",
            *(f"  {c.sub:<22} level of assurance: {c.level_label}" for c in DEMO_CITIZENS),
            "",
            f"Staff logins (password for all: {demo.DEMO_PASSWORD}):",
            "  kreisadmin              Kreis administrator, all municipalities",
            *(f"  sb.{m.slug:<20} clerk, {m.slug}" for m in demo.MUNICIPALITIES[:3]),
            "  admin.<town>            municipality administrator, e.g. admin.kaarst",
            "  tl.<town>, sb.<town>    team lead and clerk of every town, e.g. sb.kaarst",
            "",
            "Mails are written to var/mail/. Press Ctrl-C to stop.",
        ]
        self.stdout.write("\n".join(lines))


def _wait_until_up(url: str, processes: dict[str, subprocess.Popen[bytes]], name: str, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if processes[name].poll() is not None:
            raise CommandError(f"The {name} could not start; see the output above.")
        try:
            with urllib.request.urlopen(url, timeout=2):  # noqa: S310 - a loopback URL we built
                return
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            time.sleep(0.3)
    raise CommandError(f"The {name} did not answer at {url} within {timeout:.0f} s.")
