"""A local FIT-Connect: the OAuth2 token endpoint and the Submission API (v1) on 127.0.0.1.

It plays the Zustelldienst and the receiving authority at once: it holds the destination's RSA key
pair, hands out the public encryption key (JWK), issues bearer tokens to one client, and accepts the
sender's calls as the real API does —

* ``POST /token`` (client credentials) → ``access_token``;
* ``GET /v1/destinations/{id}`` and ``GET /v1/destinations/{id}/keys/{kid}``;
* ``POST /v1/submissions`` (announce) → 201 ``{destinationId, submissionId, caseId}``;
* ``PUT /v1/submissions/{id}/attachments/{attachmentId}`` (``application/jose``) → 204;
* ``PUT /v1/submissions/{id}`` (``encryptedMetadata``, ``encryptedData``) → 202; again → 409.

Unlike the real service it also DECRYPTS everything with the destination's private key (as the
subscriber would) and checks it: the JWE headers (alg, enc, kid, cty), that the metadata validates
against the official schema, that the SHA-512 of the data and of every attachment match the metadata,
and that exactly the announced attachments were uploaded. Protocol errors get the 4xx the real API
answers, with a problem JSON; every refusal is recorded in ``rejections``. ``fail_once(step, status)``
makes the next call of a step fail (to test retries).
"""

from __future__ import annotations

import hashlib
import json
import re
import secrets
import threading
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs

import pytest
from joserfc.jwk import RSAKey
from pytest_django import Settings

from buergerbuero.applications.fitconnect import jwe
from buergerbuero.applications.fitconnect.metadata import MetadataError, validate_metadata

from .ports import free_port

CLIENT_ID = "buergerbuero-test-sender"
TOKEN_LIFETIME = 1800


@dataclass
class FakeSubmission:
    submission_id: str
    case_id: str
    destination_id: str
    announced: list[str]
    service_type: dict[str, Any]
    attachments: dict[str, bytes] = field(default_factory=dict)  # decrypted
    attachment_headers: dict[str, dict[str, Any]] = field(default_factory=dict)
    metadata: dict[str, Any] | None = None
    data: bytes | None = None
    submitted: bool = False


@dataclass(frozen=True)
class Rejection:
    step: str
    status: int
    reason: str


class _Problem(Exception):
    def __init__(self, status: int, reason: str) -> None:
        super().__init__(reason)
        self.status = status
        self.reason = reason


@dataclass
class FitConnectFake:
    port: int = field(default_factory=free_port)
    client_secret: str = field(default_factory=lambda: secrets.token_urlsafe(16))
    destination_id: str = field(default_factory=lambda: str(uuid.uuid4()))
    #: The identifiers of the services the destination accepts (``None``: any).
    services: list[str] | None = None
    key_bits: int = 2048
    submissions: dict[str, FakeSubmission] = field(default_factory=dict)
    rejections: list[Rejection] = field(default_factory=list)
    calls: list[tuple[str, str, int]] = field(default_factory=list)
    tokens_issued: int = 0

    def __post_init__(self) -> None:
        self.kid = f"enc-{secrets.token_hex(4)}"
        key = RSAKey.generate_key(
            self.key_bits, parameters={"kid": self.kid, "use": "enc", "alg": jwe.ALG}, private=True
        )
        self.private_jwk: dict[str, Any] = dict(key.as_dict(private=True))
        self.public_jwk: dict[str, Any] = dict(key.as_dict(private=False))
        self._tokens: set[str] = set()
        self._fail: dict[str, int] = {}
        self._lock = threading.Lock()
        self._server = ThreadingHTTPServer(("127.0.0.1", self.port), _handler_for(self))
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, name="fitconnect-fake", daemon=True)
        self._thread.start()

    @property
    def origin(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def token_url(self) -> str:
        return f"{self.origin}/token"

    def fail_once(self, step: str, status: int = 503) -> None:
        """The next call of ``step`` (token, destination, key, announce, upload, submit) answers ``status``."""
        with self._lock:
            self._fail[step] = status

    def submitted(self) -> list[FakeSubmission]:
        with self._lock:
            return [submission for submission in self.submissions.values() if submission.submitted]

    def close(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)

    # --- the API -----------------------------------------------------------------------------------

    def handle(self, method: str, path: str, headers: Any, body: bytes) -> tuple[int, dict[str, Any] | None]:
        step = _step_of(method, path)
        try:
            with self._lock:
                failing = self._fail.pop(step, None)
            if failing is not None:
                raise _Problem(failing, f"{step} told to fail once")
            if step == "token":
                return 200, self._token(body)
            self._authorise(headers)
            with self._lock:
                return self._route(step, path, headers, body)
        except _Problem as problem:
            with self._lock:
                self.rejections.append(Rejection(step, problem.status, problem.reason))
            return problem.status, {"type": "about:blank", "title": _TITLES.get(problem.status, "Error"),
                                    "status": problem.status, "detail": problem.reason}  # fmt: skip

    def _token(self, body: bytes) -> dict[str, Any]:
        form = {key: values[0] for key, values in parse_qs(body.decode()).items()}
        if form.get("grant_type") != "client_credentials":
            raise _Problem(400, f"unsupported grant_type {form.get('grant_type')!r}")
        if form.get("client_id") != CLIENT_ID or form.get("client_secret") != self.client_secret:
            raise _Problem(401, "invalid_client")
        token = secrets.token_urlsafe(24)
        with self._lock:
            self._tokens.add(token)
            self.tokens_issued += 1
        return {"access_token": token, "token_type": "Bearer", "expires_in": TOKEN_LIFETIME, "scope": "send"}

    def _authorise(self, headers: Any) -> None:
        scheme, _, token = str(headers.get("Authorization", "")).partition(" ")
        if scheme != "Bearer" or token not in self._tokens:
            raise _Problem(401, "missing or unknown bearer token")

    def _route(self, step: str, path: str, headers: Any, body: bytes) -> tuple[int, dict[str, Any] | None]:
        parts = path.strip("/").split("/")
        if step == "destination":
            self._destination(parts[2])
            return 200, {
                "destinationId": self.destination_id,
                "status": "active",
                "encryptionKid": self.kid,
                "services": [{"identifier": identifier} for identifier in self.services or []],
            }
        if step == "key":
            self._destination(parts[2])
            if parts[4] != self.kid:
                raise _Problem(404, f"no key {parts[4]!r}")
            return 200, self.public_jwk
        if step == "announce":
            return 201, self._announce(_json_body(body))
        if step == "upload":
            self._upload(parts[2], parts[4], headers, body)
            return 204, None
        if step == "submit":
            return 202, self._submit(parts[2], _json_body(body))
        raise _Problem(404, f"no such endpoint: {path}")

    def _destination(self, destination_id: str) -> None:
        if destination_id != self.destination_id:
            raise _Problem(404, f"no destination {destination_id!r}")

    def _announce(self, body: dict[str, Any]) -> dict[str, Any]:
        self._destination(str(body.get("destinationId")))
        announced = body.get("announcedAttachments")
        if not isinstance(announced, list) or not all(isinstance(item, str) and _is_uuid(item) for item in announced):
            raise _Problem(400, "announcedAttachments must be a list of UUIDs")
        if len(set(announced)) != len(announced):
            raise _Problem(400, "announcedAttachments has duplicates")
        service_type = body.get("serviceType")
        if not isinstance(service_type, dict) or not service_type.get("identifier"):
            raise _Problem(400, "serviceType.identifier is required")
        if self.services is not None and service_type["identifier"] not in self.services:
            raise _Problem(422, f"the destination does not accept {service_type['identifier']!r}")
        submission = FakeSubmission(
            submission_id=str(uuid.uuid4()),
            case_id=str(uuid.uuid4()),
            destination_id=self.destination_id,
            announced=list(announced),
            service_type=dict(service_type),
        )
        self.submissions[submission.submission_id] = submission
        return {"destinationId": self.destination_id, "submissionId": submission.submission_id,
                "caseId": submission.case_id}  # fmt: skip

    def _submission(self, submission_id: str) -> FakeSubmission:
        submission = self.submissions.get(submission_id)
        if submission is None:
            raise _Problem(404, f"no submission {submission_id!r}")
        return submission

    def _upload(self, submission_id: str, attachment_id: str, headers: Any, body: bytes) -> None:
        submission = self._submission(submission_id)
        if submission.submitted:
            raise _Problem(409, "the submission was already submitted")
        if attachment_id not in submission.announced:
            raise _Problem(404, f"attachment {attachment_id!r} was not announced")
        if headers.get("Content-Type", "").split(";")[0].strip() != "application/jose":
            raise _Problem(415, f"Content-Type {headers.get('Content-Type')!r}, expected application/jose")
        token = body.decode("ascii", errors="replace")
        submission.attachment_headers[attachment_id] = self._check_header(token)
        submission.attachments[attachment_id] = self._decrypt(token)

    def _submit(self, submission_id: str, body: dict[str, Any]) -> dict[str, Any]:
        submission = self._submission(submission_id)
        if submission.submitted:
            raise _Problem(409, "the submission was already submitted")
        metadata_token, data_token = body.get("encryptedMetadata"), body.get("encryptedData")
        if not isinstance(metadata_token, str) or not isinstance(data_token, str):
            raise _Problem(400, "encryptedMetadata and encryptedData are required")
        for token in (metadata_token, data_token):
            if self._check_header(token).get("cty") != "application/json":
                raise _Problem(400, "metadata and data must have cty application/json")
        missing = [item for item in submission.announced if item not in submission.attachments]
        if missing:
            raise _Problem(422, f"announced attachments were not uploaded: {missing}")
        try:
            metadata = json.loads(self._decrypt(metadata_token))
            validate_metadata(metadata)
        except (ValueError, MetadataError) as error:
            raise _Problem(422, f"metadata invalid: {error}") from error
        data = self._decrypt(data_token)
        structure = metadata["contentStructure"]
        if structure.get("data", {}).get("hash", {}).get("content") != hashlib.sha512(data).hexdigest():
            raise _Problem(422, "the SHA-512 of the data does not match the metadata")
        described = {item["attachmentId"]: item for item in structure["attachments"]}
        if set(described) != set(submission.announced):
            raise _Problem(422, "the metadata's attachments are not the announced ones")
        for attachment_id, content in submission.attachments.items():
            if described[attachment_id]["hash"]["content"] != hashlib.sha512(content).hexdigest():
                raise _Problem(422, f"the SHA-512 of attachment {attachment_id} does not match the metadata")
            if submission.attachment_headers[attachment_id].get("cty") != described[attachment_id]["mimeType"]:
                raise _Problem(422, f"the cty of attachment {attachment_id} is not its mimeType")
        submission.metadata = metadata
        submission.data = data
        submission.submitted = True
        return {"destinationId": self.destination_id, "submissionId": submission.submission_id,
                "caseId": submission.case_id}  # fmt: skip

    def _check_header(self, token: str) -> dict[str, Any]:
        try:
            header = jwe.header_of(token)
        except jwe.JweError as error:
            raise _Problem(400, str(error)) from error
        if header.get("alg") != "RSA-OAEP-256" or header.get("enc") != "A256GCM":
            raise _Problem(400, f"unsupported JWE algorithms {header.get('alg')!r}/{header.get('enc')!r}")
        if header.get("kid") != self.kid:
            raise _Problem(400, f"JWE for key {header.get('kid')!r}, not {self.kid!r}")
        if "zip" in header:
            raise _Problem(400, "compressed JWE is not accepted")
        return header

    def _decrypt(self, token: str) -> bytes:
        try:
            return jwe.decrypt(token, self.private_jwk)
        except jwe.JweError as error:
            raise _Problem(400, str(error)) from error


_TITLES = {400: "Bad Request", 401: "Unauthorized", 404: "Not Found", 409: "Conflict", 415: "Unsupported Media Type",
           422: "Unprocessable Entity", 503: "Service Unavailable"}  # fmt: skip

_ROUTES = [
    ("POST", re.compile(r"^/token$"), "token"),
    ("GET", re.compile(r"^/v1/destinations/[^/]+$"), "destination"),
    ("GET", re.compile(r"^/v1/destinations/[^/]+/keys/[^/]+$"), "key"),
    ("POST", re.compile(r"^/v1/submissions$"), "announce"),
    ("PUT", re.compile(r"^/v1/submissions/[^/]+/attachments/[^/]+$"), "upload"),
    ("PUT", re.compile(r"^/v1/submissions/[^/]+$"), "submit"),
]


def _step_of(method: str, path: str) -> str:
    for route_method, pattern, step in _ROUTES:
        if method == route_method and pattern.match(path):
            return step
    return "unknown"


def _json_body(body: bytes) -> dict[str, Any]:
    try:
        value = json.loads(body)
    except ValueError as error:
        raise _Problem(400, f"body is not JSON: {error}") from error
    if not isinstance(value, dict):
        raise _Problem(400, "body is not a JSON object")
    return value


def _is_uuid(value: str) -> bool:
    try:
        uuid.UUID(value)
    except ValueError:
        return False
    return True


def _handler_for(fake: FitConnectFake) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def _serve(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length) if length else b""
            path = self.path.split("?")[0]
            status, answer = fake.handle(self.command, path, self.headers, body)
            with fake._lock:
                fake.calls.append((self.command, path, status))
            encoded = json.dumps(answer).encode() if answer is not None else b""
            self.send_response(status)
            if answer is not None:
                content_type = "application/problem+json" if status >= 400 else "application/json"
                self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(encoded)))
            self.end_headers()
            self.wfile.write(encoded)

        do_GET = do_POST = do_PUT = _serve

        def log_message(self, format: str, *args: Any) -> None:
            pass

    return Handler


@pytest.fixture
def fitconnect_api(settings: Settings) -> Iterator[FitConnectFake]:
    """A running local FIT-Connect; the settings point our client at it (destinations: set per test)."""
    fake = FitConnectFake()
    settings.FITCONNECT_TOKEN_URL = fake.token_url
    settings.FITCONNECT_SUBMISSION_API_URL = fake.origin
    settings.FITCONNECT_CLIENT_ID = CLIENT_ID
    settings.FITCONNECT_CLIENT_SECRET = fake.client_secret
    try:
        yield fake
    finally:
        fake.close()
