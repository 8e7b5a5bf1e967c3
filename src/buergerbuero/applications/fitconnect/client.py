"""The sender side of the FIT-Connect Submission API (v1).

One submission takes these calls, each with an OAuth2 client-credentials token (cached until shortly
before it expires):

1. ``GET /v1/destinations/{id}``: the destination must be ``active``; it names its encryption key
   (``encryptionKid``), fetched with ``GET /v1/destinations/{id}/keys/{kid}`` (a public JWK);
2. ``POST /v1/submissions`` announces the submission: destination, the IDs of the attachments to come
   (``announcedAttachments``) and the service (``serviceType``); the answer is the ``submissionId``
   (and FIT-Connect's ``caseId``);
3. ``PUT /v1/submissions/{id}/attachments/{attachmentId}`` uploads each attachment as a JWE
   (``application/jose``);
4. ``PUT /v1/submissions/{id}`` with ``encryptedMetadata`` and ``encryptedData`` submits it.

Retries are the outbox's business; each call of :meth:`FitConnectClient.send` must be safe to repeat.
So the caller hears the submission ID as soon as it was announced (``on_announced``) and passes it
back on the next attempt (``submission_id``): the attempt then uploads and submits that submission
again instead of announcing a second one. Uploading an attachment again replaces it; a submission
that the previous attempt already completed answers the final call with 409, which counts as done.

Every failure raises :class:`FitConnectError` naming the step, the HTTP status and the API's problem
text.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Protocol

import httpx
from django.conf import settings

from . import jwe
from .envelope import Envelope

__all__ = [
    "FitConnectClient",
    "FitConnectError",
    "SubmissionReceipt",
    "SubmissionSender",
    "configured_client",
    "destination_for",
]

DEFAULT_TIMEOUT = httpx.Timeout(20.0, connect=5.0)
#: A token is renewed this many seconds before it expires.
TOKEN_MARGIN_SECONDS = 30


class FitConnectError(RuntimeError):
    """A call to FIT-Connect failed; ``step`` says which (token, destination, key, announce, upload, submit)."""

    def __init__(self, step: str, message: str, *, status: int | None = None) -> None:
        super().__init__(f"FIT-Connect {step} failed" + (f" (HTTP {status})" if status else "") + f": {message}")
        self.step = step
        self.status = status


@dataclass(frozen=True)
class SubmissionReceipt:
    submission_id: str
    case_id: str
    destination_id: str


class SubmissionSender(Protocol):
    """Sends one envelope to a FIT-Connect destination."""

    def send(
        self,
        envelope: Envelope,
        *,
        destination_id: str,
        submission_id: str | None = None,
        on_announced: Callable[[str, str], None] | None = None,
    ) -> SubmissionReceipt: ...


class FitConnectClient:
    """:class:`SubmissionSender` over HTTP; pass ``http`` to share a client (or for a test transport)."""

    def __init__(
        self,
        *,
        token_url: str,
        submission_api_url: str,
        client_id: str,
        client_secret: str,
        http: httpx.Client | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.token_url = token_url
        self.api_url = submission_api_url.rstrip("/")
        self.client_id = client_id
        self.client_secret = client_secret
        self.http = http or httpx.Client(timeout=DEFAULT_TIMEOUT)
        self._clock = clock
        self._token: str | None = None
        self._token_expires = 0.0

    # --- the contract ------------------------------------------------------------------------------

    def send(
        self,
        envelope: Envelope,
        *,
        destination_id: str,
        submission_id: str | None = None,
        on_announced: Callable[[str, str], None] | None = None,
    ) -> SubmissionReceipt:
        key = self.encryption_key(destination_id)
        encrypted_metadata = jwe.encrypt(envelope.metadata_bytes, key, cty="application/json")
        encrypted_data = jwe.encrypt(envelope.data, key, cty="application/json")
        encrypted_attachments = [
            (attachment.attachment_id, jwe.encrypt(attachment.content, key, cty=attachment.mime_type))
            for attachment in envelope.attachments
        ]
        resumed = submission_id is not None
        case_id = ""
        if submission_id is None:
            announced = self._call(
                "announce",
                "POST",
                "/v1/submissions",
                json={
                    "destinationId": destination_id,
                    "announcedAttachments": [attachment_id for attachment_id, _ in encrypted_attachments],
                    "serviceType": {"name": envelope.service_name, "identifier": envelope.service_identifier},
                },
            )
            submission_id = str(announced.get("submissionId") or "")
            case_id = str(announced.get("caseId") or "")
            if not submission_id:
                raise FitConnectError("announce", "the answer has no submissionId")
            if on_announced is not None:
                on_announced(submission_id, case_id)
        for attachment_id, token in encrypted_attachments:
            self._call(
                "upload",
                "PUT",
                f"/v1/submissions/{submission_id}/attachments/{attachment_id}",
                content=token.encode("ascii"),
                headers={"Content-Type": "application/jose"},
                already_done_ok=resumed,
            )
        submitted = self._call(
            "submit",
            "PUT",
            f"/v1/submissions/{submission_id}",
            json={"encryptedMetadata": encrypted_metadata, "encryptedData": encrypted_data},
            already_done_ok=resumed,
        )
        case_id = str(submitted.get("caseId") or case_id)
        return SubmissionReceipt(submission_id=submission_id, case_id=case_id, destination_id=destination_id)

    # --- parts -------------------------------------------------------------------------------------

    def destination(self, destination_id: str) -> dict[str, Any]:
        return self._call("destination", "GET", f"/v1/destinations/{destination_id}")

    def encryption_key(self, destination_id: str) -> dict[str, Any]:
        """The destination's public encryption JWK, checked (RSA ≥ 2048 bits, meant for encryption)."""
        destination = self.destination(destination_id)
        status = destination.get("status", "active")
        if status != "active":
            raise FitConnectError("destination", f"destination {destination_id} is {status!r}, not active")
        kid = destination.get("encryptionKid")
        if not kid:
            raise FitConnectError("destination", f"destination {destination_id} names no encryption key")
        key = self._call("key", "GET", f"/v1/destinations/{destination_id}/keys/{kid}")
        if key.get("kid") != kid:
            raise FitConnectError("key", f"asked for key {kid!r}, got {key.get('kid')!r}")
        try:
            jwe.public_key(key)
        except jwe.JweError as error:
            raise FitConnectError("key", str(error)) from error
        return key

    def access_token(self) -> str:
        now = self._clock()
        if self._token is not None and now < self._token_expires:
            return self._token
        try:
            response = self.http.post(
                self.token_url,
                data={
                    "grant_type": "client_credentials",
                    "client_id": self.client_id,
                    "client_secret": self.client_secret,
                },
                headers={"Accept": "application/json"},
            )
        except httpx.HTTPError as error:
            raise FitConnectError("token", f"{type(error).__name__}: {error}") from error
        if response.status_code != 200:
            raise FitConnectError("token", _problem(response), status=response.status_code)
        body = _json(response, "token")
        token = body.get("access_token")
        if not isinstance(token, str) or not token:
            raise FitConnectError("token", "the answer has no access_token")
        lifetime = int(body.get("expires_in") or 300)
        self._token = token
        self._token_expires = now + max(lifetime - TOKEN_MARGIN_SECONDS, 0)
        return token

    def _call(
        self, step: str, method: str, path: str, *, already_done_ok: bool = False, **kwargs: Any
    ) -> dict[str, Any]:
        headers = {"Authorization": f"Bearer {self.access_token()}", "Accept": "application/json"}
        headers.update(kwargs.pop("headers", {}))
        try:
            response = self.http.request(method, f"{self.api_url}{path}", headers=headers, **kwargs)
        except httpx.HTTPError as error:
            raise FitConnectError(step, f"{type(error).__name__}: {error}") from error
        if response.status_code == 401:
            self._token = None  # revoked or expired early: the next attempt asks for a new one
        if response.status_code == 409 and already_done_ok:
            return {}
        if not response.is_success:
            raise FitConnectError(step, _problem(response), status=response.status_code)
        if not response.content:
            return {}
        return _json(response, step)


def _json(response: httpx.Response, step: str) -> dict[str, Any]:
    try:
        body = response.json()
    except ValueError as error:
        raise FitConnectError(step, f"the answer is not JSON: {error}", status=response.status_code) from error
    if not isinstance(body, dict):
        raise FitConnectError(step, "the answer is not a JSON object", status=response.status_code)
    return body


def _problem(response: httpx.Response) -> str:
    """The API's problem text (RFC 7807 ``title``/``detail``), or the start of the body."""
    try:
        body = response.json()
    except ValueError:
        return response.text[:300] or response.reason_phrase
    if isinstance(body, dict):
        parts = [str(body[key]) for key in ("title", "detail", "error", "error_description") if body.get(key)]
        if parts:
            return ": ".join(parts)
    return response.text[:300]


# --- configuration ---------------------------------------------------------------------------------


def destination_for(service_slug: str, leika_key: str) -> str | None:
    """The destination configured for a service (by slug, else by LeiKa key), or ``None``."""
    destinations: dict[str, str] = settings.FITCONNECT_DESTINATIONS
    return destinations.get(service_slug) or (destinations.get(leika_key) if leika_key else None) or None


def configured_client() -> FitConnectClient | None:
    """The client from the ``FITCONNECT_*`` settings, or ``None`` when FIT-Connect is not configured."""
    values = (
        settings.FITCONNECT_TOKEN_URL,
        settings.FITCONNECT_SUBMISSION_API_URL,
        settings.FITCONNECT_CLIENT_ID,
        settings.FITCONNECT_CLIENT_SECRET,
    )
    if not all(values):
        return None
    token_url, api_url, client_id, client_secret = values
    return FitConnectClient(
        token_url=token_url, submission_api_url=api_url, client_id=client_id, client_secret=client_secret
    )
