"""What one request of the booking API costs the server, without a storm (``make bench-request_cost``).

The storm of ``bench/booking.py`` measures latencies under load, which move with everything else on the
machine. This measures the cause: one client sends requests one after another over one keep-alive
connection to one uvicorn worker, and the worker's CPU time (user + system, from ``/proc``) is divided
by the number of requests. Same database, seed and settings as the storm (``booking.seed``; the
benchmark's own database ``bench_request_cost``, dropped and recreated).

Rows: ``/healthz`` and ``/challenge`` (the framework's fixed cost: no query), the free days and times
while their answer is kept (one cache read), and a booking (``POST /bookings``, each a new person
and a free time). Last line ``RESULT {...}`` with the milliseconds of server CPU per request.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "src"))
sys.path.insert(0, str(ROOT / "bench"))

import booking  # noqa: E402  (bench/booking.py: seed, settings and server of the storm)

REQUESTS = 300
SERVER_LOG = ROOT / "var" / "bench-request-cost-server.log"


def worker_cpu_seconds(pids: list[str]) -> float:
    total = 0
    for pid in pids:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        total += int(fields[11]) + int(fields[12])  # utime, stime (clock ticks)
    return total / os.sysconf("SC_CLK_TCK")


def server_pids(port: int) -> list[str]:
    """The uvicorn process serving ``port`` and its worker (with one worker uvicorn may spawn none)."""
    found = subprocess.run(["pgrep", "-f", "--", f"--port {port}"], capture_output=True, text=True).stdout.split()
    children = []
    for pid in found:
        children += subprocess.run(["pgrep", "-P", pid], capture_output=True, text=True).stdout.split()
    return found + children


def main() -> None:
    import httpx

    os.environ.setdefault("SECRET_KEY", "bench-request-cost-only")
    os.environ["DEBUG"] = "false"
    os.environ["STATIC_MANIFEST"] = "false"
    os.environ["LOG_FORMAT"] = "plain"
    os.environ.setdefault("LOG_LEVEL", "WARNING")
    url = os.environ.get("DATABASE_URL") or booking.DEFAULT_URL
    os.environ["DATABASE_URL"] = urlunsplit(urlsplit(url)._replace(path="/bench_request_cost"))
    booking.WORKERS = 1
    booking.configure_database()
    booking.configure_server_env()
    with tempfile.TemporaryDirectory(prefix="bench-request-cost-") as folder:
        settings_dir = Path(folder)
        sys.path.insert(0, str(settings_dir))
        os.environ["DJANGO_SETTINGS_MODULE"] = booking.SETTINGS_MODULE
        booking.write_settings(settings_dir)
        import django

        django.setup()
        storm = booking.seed()
        from tests.appointments.altcha_helpers import solved
        from tests.harness.ports import free_port

        port = free_port()
        print(f"One uvicorn worker, one client, {REQUESTS} requests a row; load average {os.getloadavg()[0]:.2f}.")
        with booking.running_server(port, settings_dir, SERVER_LOG):
            pids = server_pids(port)
            api = f"http://127.0.0.1:{port}/api/appointments"
            office, service = storm.office_id, storm.service_slug
            with httpx.Client(timeout=10) as http:
                days = http.get(f"{api}/offices/{office}/days?services={service}").json()["days"]
                slots = [
                    slot
                    for day in days
                    for slot in http.get(f"{api}/offices/{office}/slots?services={service}&date={day}").json()["slots"]
                ]
                proofs = [solved(http.get(f"{api}/challenge").json()) for _ in range(REQUESTS + 1)]

                def book(n: int) -> None:
                    body = {
                        "office": office,
                        "services": [service],
                        "start": slots[n % len(slots)]["start"],
                        "name": f"Cost {n}",
                        "email": f"cost{n}@example.org",
                        "altcha": proofs[n],
                        "idempotency_key": f"cost-{n}",
                    }
                    answer = http.post(f"{api}/bookings", json=body)
                    if answer.status_code != 201:
                        raise SystemExit(f"booking {n} answered {answer.status_code}: {answer.text[:300]}")

                rows: list[tuple[str, str, Callable[[int], object]]] = [
                    ("healthz", "GET /healthz", lambda n: http.get(f"http://127.0.0.1:{port}/healthz")),
                    ("challenge", "GET /challenge (no query)", lambda n: http.get(f"{api}/challenge")),
                    ("days_kept", "free days, kept",
                     lambda n: http.get(f"{api}/offices/{office}/days?services={service}")),
                    ("slots_kept", "free times, kept",
                     lambda n: http.get(f"{api}/offices/{office}/slots?services={service}&date={days[0]}")),
                    ("booking", "POST /bookings", book),
                ]  # fmt: skip
                result: dict[str, object] = {"name": "request_cost"}
                print(f"\n{'request':<40}{'server CPU ms':>15}{'wall ms':>10}")
                for key, label, send in rows:
                    send(REQUESTS)  # warm (a booking of its own)
                    cpu, wall = worker_cpu_seconds(pids), time.perf_counter()
                    for n in range(REQUESTS):
                        send(n)
                    cpu_ms = (worker_cpu_seconds(pids) - cpu) * 1000 / REQUESTS
                    wall_ms = (time.perf_counter() - wall) * 1000 / REQUESTS
                    print(f"{label:<40}{cpu_ms:>15.2f}{wall_ms:>10.2f}")
                    result[f"{key}_cpu_ms"] = round(cpu_ms, 2)
        print("RESULT " + json.dumps(result))


if __name__ == "__main__":
    main()
