"""Nothing lost, nothing twice: the outbox worker is killed (SIGKILL) again and again while it delivers,
and after the restarts every acknowledged submission reached FIT-Connect exactly once, every
XGewerbeanzeige reached its recipient exactly once, and every e-mail arrived with its own Message-ID.

The worker is a real subprocess (``manage.py dispatch_outbox --loop``) on the test database (the
SQLite file or the PostgreSQL test database); the receivers run in this process on loopback:

* an SMTP server (aiosmtpd) that records each message by ``Message-ID``; when armed, it waits in
  the DATA phase before answering, and the worker is killed there. A client that goes away before
  the answer is not delivered (aiosmtpd cancels the handler), so the raw count must equal the
  number of distinct Message-IDs: no duplicate. (The other window — killed after the server's
  250 — is shown in ``tests/core/test_outbox_claims.py``: the retry carries the same Message-ID.)
* the FIT-Connect fake, killed after it has accepted the announcement or the final submit but
  before the worker hears the answer: the persisted submission id makes the retry continue the
  submission, whose repeated submit is refused with 409;
* an XGewerbeanzeige receiver over HTTP, killed after it has stored a message but before it
  answers: the retry carries the same ``Idempotency-Key``.
"""

from __future__ import annotations

import asyncio
import copy
import email
import json
import os
import signal
import subprocess
import sys
import threading
import time
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import pytest
from aiosmtpd.controller import Controller
from django.db import connection
from pytest_django import Settings

from buergerbuero.applications.constants import HandoffKind, HandoffState
from buergerbuero.applications.handlers import message_uuid
from buergerbuero.applications.models import Case, Handoff
from buergerbuero.applications.services.attachments import store_upload
from buergerbuero.applications.services.submission import submit_draft
from buergerbuero.core.models import OutboxMessage
from buergerbuero.core.outbox import idempotency_key
from buergerbuero.tenants.models import Municipality
from tests.applications.factories import CitizenFactory, DraftFactory, online_service
from tests.applications.submit_helpers import png_upload
from tests.applications.xga_data import HAIRDRESSER, definition
from tests.harness.fitconnect_fake import CLIENT_ID, FitConnectFake, _step_of
from tests.harness.ports import free_port

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("kreis_scope")]

ROOT = Path(__file__).resolve().parents[2]
SUBMISSIONS = 10
#: How long an armed receiver holds the worker (it is killed long before).
HOLD_SECONDS = 8.0
#: The worker is killed at these points, in this order (each when the next such delivery comes).
KILL_PLAN = ["smtp", "fitconnect-submit", "xga", "fitconnect-announce", "smtp", "xga", "fitconnect-submit"]
DEADLINE_SECONDS = 90.0
HANDOFF_KINDS = {"fitconnect", "xgewerbeanzeige"}


@dataclass
class Trap:
    """Arm it, and the next matching delivery sets ``hit`` and holds the worker there."""

    armed: threading.Event = field(default_factory=threading.Event)
    hit: threading.Event = field(default_factory=threading.Event)

    def spring(self) -> bool:
        if not self.armed.is_set():
            return False
        self.armed.clear()
        self.hit.set()
        return True


# --- the receivers ---------------------------------------------------------------------------------


class SmtpRecorder:
    def __init__(self) -> None:
        self.trap = Trap()
        self.message_ids: list[str] = []  # one entry per accepted delivery
        self.abandoned = 0  # DATA phases whose client died before the answer
        self._lock = threading.Lock()
        self.controller = Controller(self, hostname="127.0.0.1", port=free_port())

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        if self.trap.spring():
            try:
                await asyncio.sleep(HOLD_SECONDS)  # cancelled by aiosmtpd when the worker dies
            except asyncio.CancelledError:
                with self._lock:
                    self.abandoned += 1
                raise
        message = email.message_from_bytes(envelope.content)
        with self._lock:
            self.message_ids.append(str(message["Message-ID"]).strip())
        return "250 OK queued"


class XgaRecorder:
    def __init__(self) -> None:
        self.trap = Trap()
        self.keys: list[str] = []  # one entry per POST the receiver accepted
        self._lock = threading.Lock()
        recorder = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length)
                key = self.headers.get("Idempotency-Key", "")
                assert key and message_uuid(body) == key
                with recorder._lock:
                    recorder.keys.append(key)
                if recorder.trap.spring():
                    time.sleep(HOLD_SECONDS)  # stored, but the sender never hears the answer
                try:
                    self.send_response(200 if recorder.keys.count(key) == 1 else 208)
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                except OSError:
                    pass  # the worker was killed meanwhile

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", free_port()), Handler)
        self.server.daemon_threads = True
        self.thread = threading.Thread(target=self.server.serve_forever, name="xga-recorder", daemon=True)
        self.thread.start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_port}/xgewerbeanzeige"

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


class SlowFitConnect(FitConnectFake):
    """The fake, with traps after it has accepted an announcement or a final submit."""

    def __post_init__(self) -> None:
        self.traps = {"announce": Trap(), "submit": Trap()}
        super().__post_init__()
        self._server.handle_error = lambda request, address: None  # type: ignore[method-assign]  # broken pipes of killed workers

    def handle(self, method: str, path: str, headers: Any, body: bytes) -> tuple[int, dict[str, Any] | None]:
        status, answer = super().handle(method, path, headers, body)
        trap = self.traps.get(_step_of(method, path))
        if trap is not None and status < 300 and trap.spring():
            time.sleep(HOLD_SECONDS)  # accepted; the worker dies before it hears so
        return status, answer


# --- the worker ------------------------------------------------------------------------------------


class Worker:
    def __init__(self, env: dict[str, str], log: Path) -> None:
        self.env = env
        self.log = log
        self.process: subprocess.Popen[bytes] | None = None
        self.starts = 0

    def start(self) -> None:
        with self.log.open("ab") as log:
            self.process = subprocess.Popen(
                [sys.executable, str(ROOT / "manage.py"), "dispatch_outbox", "--loop", "--interval", "0.2"],
                cwd=ROOT,
                env=self.env,
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        self.starts += 1

    def kill(self) -> None:
        assert self.process is not None
        self.process.send_signal(signal.SIGKILL)
        self.process.wait(10)

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.kill()


def worker_env(tmp_path: Path, smtp: SmtpRecorder, fitconnect: FitConnectFake, xga: XgaRecorder) -> dict[str, str]:
    env = {key: value for key, value in os.environ.items() if not key.startswith(("DATABASE_URL", "SQLITE_NAME"))}
    database = connection.settings_dict
    if connection.vendor == "sqlite":
        env["SQLITE_NAME"] = str(database["NAME"])  # an absolute path: settings join it to VAR_DIR as is
    else:
        parts = urlsplit(os.environ["DATABASE_URL"])
        env["DATABASE_URL"] = urlunsplit(parts._replace(path=f"/{database['NAME']}"))
        env["DB_POOL_MAX_SIZE"] = "0"
    env.update(
        DJANGO_SETTINGS_MODULE="buergerbuero.config.settings",
        EMAIL_BACKEND="django.core.mail.backends.smtp.EmailBackend",
        EMAIL_HOST="127.0.0.1",
        EMAIL_PORT=str(smtp.controller.port),
        EMAIL_TIMEOUT="20",
        FITCONNECT_TOKEN_URL=fitconnect.token_url,
        FITCONNECT_SUBMISSION_API_URL=fitconnect.origin,
        FITCONNECT_CLIENT_ID=CLIENT_ID,
        FITCONNECT_CLIENT_SECRET=fitconnect.client_secret,
        FITCONNECT_DESTINATIONS=json.dumps({"gewerbe-anmeldung": fitconnect.destination_id}),
        XGEWERBEANZEIGE_TRANSPORT="http",
        XGEWERBEANZEIGE_ENDPOINT=xga.url,
        XGEWERBEANZEIGE_TIMEOUT_SECONDS="20",
        PRIVATE_MEDIA_ROOT=str(tmp_path / "private"),
        OUTBOX_CLAIM_SECONDS="2",  # a killed worker's message is taken over after 2 s
        OUTBOX_BACKOFF_SECONDS="1",
        OUTBOX_MAX_ATTEMPTS="10",
        LOG_LEVEL="WARNING",
    )
    return env


# --- fixtures --------------------------------------------------------------------------------------


@pytest.fixture
def smtp() -> Iterator[SmtpRecorder]:
    recorder = SmtpRecorder()
    recorder.controller.start()
    try:
        yield recorder
    finally:
        recorder.controller.stop()


@pytest.fixture
def fitconnect() -> Iterator[SlowFitConnect]:
    fake = SlowFitConnect()
    try:
        yield fake
    finally:
        fake.close()


@pytest.fixture
def xga() -> Iterator[XgaRecorder]:
    recorder = XgaRecorder()
    try:
        yield recorder
    finally:
        recorder.close()


def submit_trades(municipality: Municipality, count: int) -> list[Case]:
    """``count`` real Gewerbe-Anmeldungen through ``submit_draft`` (each acknowledged when it returns)."""
    _, form = online_service(municipality, slug="gewerbe-anmeldung", definition=definition("gewerbe-anmeldung"))
    cases = []
    for n in range(count):
        citizen = CitizenFactory()
        data = copy.deepcopy(HAIRDRESSER)
        data["kontakt"]["email"] = f"tibor.pick+{n}@example.org"  # distinct data, hashes and recipients
        data["nachweise"]["handwerkskarte_datei"] = []
        data["nachweise"]["aufenthaltstitel_datei"] = []
        draft = DraftFactory(citizen=citizen, form=form, municipality=municipality, data=data)
        store_upload(owner=citizen, upload=png_upload("handwerkskarte.png"), field="nachweise.handwerkskarte_datei",
                     draft=draft)  # fmt: skip
        store_upload(owner=citizen, upload=png_upload("titel.png", "blue"), field="nachweise.aufenthaltstitel_datei",
                     draft=draft)  # fmt: skip
        draft.refresh_from_db()
        cases.append(submit_draft(draft=draft, citizen=citizen))
    return cases


def test_a_worker_killed_while_delivering_loses_nothing_and_sends_nothing_twice(
    municipality_a: Municipality,
    settings: Settings,
    tmp_path: Path,
    smtp: SmtpRecorder,
    fitconnect: SlowFitConnect,
    xga: XgaRecorder,
) -> None:
    settings.PRIVATE_MEDIA_ROOT = tmp_path / "private"
    settings.FITCONNECT_DESTINATIONS = {"gewerbe-anmeldung": fitconnect.destination_id}
    cases = submit_trades(municipality_a, SUBMISSIONS)
    messages = list(OutboxMessage.objects.order_by("pk"))
    assert {m.kind for m in messages} == {"case_received", "fitconnect", "xgewerbeanzeige"}
    emails = {idempotency_key(m) for m in messages if m.kind not in HANDOFF_KINDS}
    assert len(emails) == SUBMISSIONS

    traps = {
        "smtp": smtp.trap,
        "xga": xga.trap,
        "fitconnect-announce": fitconnect.traps["announce"],
        "fitconnect-submit": fitconnect.traps["submit"],
    }
    worker = Worker(worker_env(tmp_path, smtp, fitconnect, xga), tmp_path / "worker.log")
    started = time.monotonic()
    kills: list[str] = []
    worker.start()
    try:
        for target in KILL_PLAN:
            trap = traps[target]
            trap.hit.clear()
            trap.armed.set()
            if trap.hit.wait(timeout=25):
                time.sleep(0.2)  # let the worker sit in the slow phase
                worker.kill()
                kills.append(target)
                worker.start()
            else:
                trap.armed.clear()  # nothing of that kind left to deliver
        while OutboxMessage.objects.filter(state=OutboxMessage.State.PENDING).exists():
            assert time.monotonic() - started < DEADLINE_SECONDS, (tmp_path / "worker.log").read_text()[-3000:]
            assert worker.process is not None and worker.process.poll() is None, (tmp_path / "worker.log").read_text()
            time.sleep(0.2)
    finally:
        worker.stop()
    elapsed = time.monotonic() - started

    # the worker really was killed mid-delivery, at every kind of point
    assert {"smtp", "xga", "fitconnect-submit"} <= set(kills), kills
    assert len(kills) >= 5 and worker.starts == len(kills) + 1
    assert smtp.abandoned >= 1

    # nothing left behind
    states = Counter(OutboxMessage.objects.values_list("state", flat=True))
    assert states == {OutboxMessage.State.SENT: len(messages)}, states
    assert not OutboxMessage.objects.filter(claim_token__isnull=False).exists()
    assert set(Handoff.objects.values_list("state", flat=True)) == {HandoffState.DELIVERED}

    # FIT-Connect: exactly one submitted submission per acknowledged case
    submitted = Counter(s.metadata["contentStructure"]["data"]["hash"]["content"] for s in fitconnect.submitted())  # type: ignore[index]
    assert submitted == Counter(case.data_sha512 for case in cases)
    assert fitconnect.rejections == [] or {r.status for r in fitconnect.rejections} == {409}

    # XGewerbeanzeige: every message reached its recipient, the receiver saw repeats only as the same key
    expected_keys = {
        message_uuid(h.document.encode()) for h in Handoff.objects.filter(kind=HandoffKind.XGEWERBEANZEIGE)
    }
    assert len(expected_keys) == Handoff.objects.filter(kind=HandoffKind.XGEWERBEANZEIGE).count() > SUBMISSIONS
    assert set(xga.keys) == expected_keys

    # e-mail: every Message-ID arrived, and (killed only before the server's answer) none twice
    assert set(smtp.message_ids) == emails
    duplicates = len(smtp.message_ids) - len(set(smtp.message_ids))
    assert duplicates == 0, Counter(smtp.message_ids).most_common(3)

    print(  # noqa: T201 - the report of the run
        f"\nfault test: {len(kills)} kills {kills}, {len(messages)} messages, "
        f"{len(fitconnect.submissions)} FIT-Connect announcements / {len(fitconnect.submitted())} submitted, "
        f"XGA {len(xga.keys)} POSTs / {len(expected_keys)} messages, "
        f"SMTP {len(smtp.message_ids)} deliveries / {len(emails)} e-mails ({duplicates} duplicates), "
        f"{elapsed:.1f} s"
    )
