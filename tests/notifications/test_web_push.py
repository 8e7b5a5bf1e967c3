"""Web Push through the outbox to a local push service that verifies VAPID and decrypts like a browser."""

from __future__ import annotations

import datetime as dt
import stat
import time
from collections.abc import Iterator
from io import StringIO
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import serialization
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.utils import timezone
from pytest_django import Settings

from buergerbuero.core.models import OutboxMessage
from buergerbuero.core.outbox import dispatch_due
from buergerbuero.notifications import checks, webpush
from buergerbuero.notifications.webpush import (
    WebPushDisabled,
    generate_vapid_key,
    on_subscription_gone,
    private_key_to_base64url,
    public_key_to_base64url,
    queue_push,
    validate_endpoint,
    validate_subscription,
    vapid_public_key,
    webpush_enabled,
)
from tests.harness.push_service import PushService

pytestmark = pytest.mark.django_db


@pytest.fixture
def gone_endpoints() -> Iterator[list[str]]:
    """Endpoints reported gone, through a hook registered like the live queue registers its own."""
    endpoints: list[str] = []
    on_subscription_gone(endpoints.append)
    yield endpoints
    webpush._gone_callbacks.remove(endpoints.append)


def later(hours: int = 1) -> dt.datetime:
    return timezone.now() + dt.timedelta(hours=hours)


def test_it_delivers_a_push_that_decrypts_to_what_was_queued(push_service: PushService, settings: Settings) -> None:
    browser = push_service.subscribe(vapid_public_key())

    message = queue_push(
        browser.subscription,
        "Gleich sind Sie dran",
        "Nummer A 042 – noch 2 vor Ihnen. Schalter 3.",
        "/warteschlange/ticket/abc/",
        "ticket-abc",
        ttl=300,
    )
    assert message is not None and push_service.requests == 0  # nothing leaves before dispatch

    assert dispatch_due().sent == 1
    assert push_service.rejections == []
    [delivery] = push_service.deliveries
    assert delivery.subscriber_id == browser.id
    assert delivery.payload == {
        "title": "Gleich sind Sie dran",
        "body": "Nummer A 042 – noch 2 vor Ihnen. Schalter 3.",
        "url": "/warteschlange/ticket/abc/",
        "tag": "ticket-abc",
    }
    assert (delivery.ttl, delivery.urgency) == (300, "high")
    assert delivery.claims["aud"] == push_service.origin
    assert delivery.claims["sub"] == settings.WEBPUSH_VAPID_SUBJECT
    assert delivery.claims["exp"] <= time.time() + 12 * 60 * 60
    message.refresh_from_db()
    assert message.state == OutboxMessage.State.SENT


def test_it_is_refused_by_the_push_service_when_signed_with_another_key(
    push_service: PushService, settings: Settings
) -> None:
    browser = push_service.subscribe(vapid_public_key())
    settings.WEBPUSH_VAPID_PRIVATE_KEY = private_key_to_base64url(generate_vapid_key())  # the key was replaced

    queue_push(browser.subscription, "Title", "Body", "/", "t")
    result = dispatch_due()

    assert (result.sent, result.retried) == (0, 1)
    assert push_service.deliveries == []
    [rejection] = push_service.rejections
    assert rejection.status == 403 and "applicationServerKey" in rejection.reason
    message = OutboxMessage.objects.get()
    assert message.state == OutboxMessage.State.PENDING and "HTTP 403" in message.last_error


@pytest.mark.parametrize("status", [404, 410])
def test_it_reports_a_gone_subscription_and_does_not_retry(
    push_service: PushService, gone_endpoints: list[str], status: int
) -> None:
    browser = push_service.subscribe(vapid_public_key())
    browser.fail_with = status

    queue_push(browser.subscription, "Title", "Body", "/", "t")
    assert dispatch_due().sent == 1
    assert dispatch_due(now=later(24)).sent == 0

    assert gone_endpoints == [browser.endpoint]
    assert push_service.requests == 1
    message = OutboxMessage.objects.get()
    assert message.state == OutboxMessage.State.SENT and message.attempts == 1


def test_it_retries_when_the_push_service_fails(push_service: PushService, gone_endpoints: list[str]) -> None:
    browser = push_service.subscribe(vapid_public_key())
    browser.fail_with = 500

    queue_push(browser.subscription, "Title", "Body", "/", "t")
    assert dispatch_due().retried == 1
    message = OutboxMessage.objects.get()
    assert message.state == OutboxMessage.State.PENDING and "HTTP 500" in message.last_error

    browser.fail_with = None
    assert dispatch_due(now=later()).sent == 1
    assert [d.payload["title"] for d in push_service.deliveries] == ["Title"]
    assert gone_endpoints == []


def test_it_refuses_insecure_and_internal_endpoints_unless_allowed(settings: Settings) -> None:
    settings.WEBPUSH_ALLOW_INSECURE_ENDPOINTS = False
    validate_endpoint("https://fcm.googleapis.com/fcm/send/abc:def")
    validate_endpoint("https://updates.push.services.mozilla.com/wpush/v2/gAAAA")
    refused = {
        "http://127.0.0.1:8123/push/x": "insecure",
        "http://push.example.org/x": "insecure",
        "ftp://push.example.org/x": "insecure",
        "https://127.0.0.1/push/x": "internal",
        "https://localhost/push/x": "internal",
        "https://10.1.2.3/push/x": "internal",
        "https://[::1]/push/x": "internal",
        "https://169.254.169.254/latest": "internal",
        "https://user:secret@push.example.org/x": "invalid",
        "https://push.example.org:99999/x": "invalid",
        "not a url": "invalid",
        "": "invalid",
    }
    for url, code in refused.items():
        with pytest.raises(ValidationError) as error:
            validate_endpoint(url)
        assert error.value.code == code, url

    settings.WEBPUSH_ALLOW_INSECURE_ENDPOINTS = True
    validate_endpoint("http://127.0.0.1:8123/push/x")
    validate_endpoint("http://localhost:8123/push/x")
    for url in ["http://push.example.org/x", "http://10.1.2.3/x", "https://10.1.2.3/x"]:
        with pytest.raises(ValidationError):
            validate_endpoint(url)


def test_it_queues_nothing_for_an_insecure_endpoint(push_service: PushService, settings: Settings) -> None:
    browser = push_service.subscribe(vapid_public_key())
    settings.WEBPUSH_ALLOW_INSECURE_ENDPOINTS = False

    with pytest.raises(ValidationError):
        queue_push(browser.subscription, "Title", "Body", "/", "t")

    assert not OutboxMessage.objects.exists()


def test_it_does_not_send_to_an_endpoint_that_was_allowed_when_queued_but_no_longer_is(
    push_service: PushService, settings: Settings
) -> None:
    browser = push_service.subscribe(vapid_public_key())
    queue_push(browser.subscription, "Title", "Body", "/", "t")
    settings.WEBPUSH_ALLOW_INSECURE_ENDPOINTS = False

    assert dispatch_due().retried == 1
    assert push_service.requests == 0


def test_it_accepts_only_well_formed_subscriptions(push_service: PushService) -> None:
    browser = push_service.subscribe(vapid_public_key())
    good = browser.subscription

    assert validate_subscription(good) == {"endpoint": good["endpoint"], "keys": good["keys"]}
    broken = [
        None,
        {"endpoint": good["endpoint"]},
        {**good, "keys": {"p256dh": good["keys"]["p256dh"]}},
        {**good, "keys": {"p256dh": good["keys"]["p256dh"][:-4], "auth": good["keys"]["auth"]}},
        {**good, "keys": {"p256dh": good["keys"]["p256dh"], "auth": good["keys"]["auth"] + "AAAA"}},
        {**good, "keys": {"p256dh": "A" + good["keys"]["p256dh"][1:], "auth": good["keys"]["auth"]}},
    ]
    for subscription in broken:
        with pytest.raises(ValidationError):
            validate_subscription(subscription)


def test_it_refuses_a_payload_too_large_for_push_services(push_service: PushService) -> None:
    browser = push_service.subscribe(vapid_public_key())

    with pytest.raises(ValueError, match="exceeds"):
        queue_push(browser.subscription, "Title", "x" * 4000, "/", "t")
    assert not OutboxMessage.objects.exists()


def test_it_is_disabled_without_a_key_outside_the_demo_and_the_check_warns(settings: Settings) -> None:
    settings.WEBPUSH_VAPID_PRIVATE_KEY = ""
    settings.WEBPUSH_VAPID_DEV_KEY = False

    assert webpush_enabled() is False
    with pytest.raises(WebPushDisabled):
        vapid_public_key()
    subscription = {"endpoint": "https://push.example.org/x", "keys": {"p256dh": "x", "auth": "y"}}
    assert queue_push(subscription, "Title", "Body", "/", "t") is None
    assert not OutboxMessage.objects.exists()
    assert [m.id for m in checks.check_webpush()] == ["notifications.W001"]

    settings.WEBPUSH_VAPID_PRIVATE_KEY = private_key_to_base64url(generate_vapid_key())
    assert webpush_enabled() is True
    assert checks.check_webpush() == []

    settings.WEBPUSH_VAPID_PRIVATE_KEY = "c2hvcnQ"
    assert [m.id for m in checks.check_webpush()] == ["notifications.E001"]


def test_it_keeps_the_generated_demo_key_in_a_private_file(settings: Settings, tmp_path: Path) -> None:
    settings.WEBPUSH_VAPID_PRIVATE_KEY = ""
    settings.WEBPUSH_VAPID_DEV_KEY = True
    settings.VAR_DIR = tmp_path / "one"

    first = vapid_public_key()

    key_file = tmp_path / "one" / "vapid_private.pem"
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    assert vapid_public_key() == first  # kept, not generated again
    assert [p.name for p in (tmp_path / "one").iterdir()] == ["vapid_private.pem"]  # no temporary file left
    settings.VAR_DIR = tmp_path / "two"
    assert vapid_public_key() != first


def test_it_reads_the_key_as_base64url_or_pem(settings: Settings) -> None:
    key = generate_vapid_key()
    expected = public_key_to_base64url(key.public_key())

    settings.WEBPUSH_VAPID_PRIVATE_KEY = private_key_to_base64url(key)
    assert vapid_public_key() == expected
    settings.WEBPUSH_VAPID_PRIVATE_KEY = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    ).decode()
    assert vapid_public_key() == expected
    assert len(expected) == 87  # 65 bytes, unpadded base64url: what applicationServerKey takes


def test_it_prints_a_new_key_pair(settings: Settings) -> None:
    out = StringIO()
    call_command("vapid_keys", stdout=out)

    private_line, public_line = out.getvalue().splitlines()
    settings.WEBPUSH_VAPID_PRIVATE_KEY = private_line.removeprefix("WEBPUSH_VAPID_PRIVATE_KEY=")
    assert public_line.endswith(vapid_public_key())
