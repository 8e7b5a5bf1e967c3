"""The local push service refuses what a real one refuses, so a passing Web Push test means something.

These requests are built by hand with pywebpush and py_vapid (not through our sender) to break one
rule at a time."""

from __future__ import annotations

import time
from typing import Any

import pytest
import requests
from py_vapid import Vapid
from pywebpush import WebPusher

from tests.harness.push_service import PushService, Subscriber

KEY = Vapid()
KEY.generate_keys()
OTHER_KEY = Vapid()
OTHER_KEY.generate_keys()


def public(vapid: Vapid) -> str:
    from buergerbuero.notifications.webpush import public_key_to_base64url

    return public_key_to_base64url(vapid.public_key)


def claims(service: PushService, **overrides: Any) -> dict[str, Any]:
    return {"aud": service.origin, "exp": int(time.time()) + 3600, "sub": "mailto:test@example.org", **overrides}


def send(
    subscriber: Subscriber,
    headers: dict[str, str],
    *,
    keys_of: Subscriber | None = None,
    encoding: str = "aes128gcm",
) -> requests.Response:
    subscription = {**subscriber.subscription, "keys": (keys_of or subscriber).subscription["keys"]}
    response: requests.Response = WebPusher(subscription).send(
        data=b'{"title":"Hallo"}', headers=headers, ttl=60, content_encoding=encoding, timeout=5
    )
    return response


@pytest.fixture
def browser(push_service: PushService) -> Subscriber:
    return push_service.subscribe(public(KEY))


def test_it_accepts_a_correct_request(push_service: PushService, browser: Subscriber) -> None:
    response = send(browser, KEY.sign(claims(push_service)))

    assert response.status_code == 201, push_service.rejections
    assert [d.payload for d in push_service.deliveries] == [{"title": "Hallo"}]


def test_it_refuses_a_key_other_than_the_subscriptions(push_service: PushService, browser: Subscriber) -> None:
    response = send(browser, OTHER_KEY.sign(claims(push_service)))

    assert response.status_code == 403
    assert push_service.deliveries == []


def test_it_refuses_a_signature_that_does_not_match_the_key(push_service: PushService, browser: Subscriber) -> None:
    forged = OTHER_KEY.sign(claims(push_service))["Authorization"].replace(f"k={public(OTHER_KEY)}", f"k={public(KEY)}")

    response = send(browser, {"Authorization": forged})

    assert response.status_code == 401
    assert "signature" in push_service.rejections[0].reason


@pytest.mark.parametrize(
    ("overrides", "reason"),
    [
        ({"aud": "http://127.0.0.1:1"}, "aud"),
        ({"exp": int(time.time()) - 60}, "exp"),
        ({"exp": int(time.time()) + 25 * 60 * 60}, "exp"),
    ],
)
def test_it_refuses_wrong_claims(
    push_service: PushService, browser: Subscriber, overrides: dict[str, Any], reason: str
) -> None:
    response = send(browser, KEY.sign(claims(push_service, **overrides)))

    assert response.status_code == 401
    assert push_service.rejections[0].reason.startswith(reason)


def test_it_refuses_a_request_without_vapid(push_service: PushService, browser: Subscriber) -> None:
    assert send(browser, {}).status_code == 401


def test_it_refuses_a_payload_encrypted_for_another_browser(push_service: PushService, browser: Subscriber) -> None:
    someone_else = push_service.subscribe(public(KEY))

    response = send(browser, KEY.sign(claims(push_service)), keys_of=someone_else)

    assert response.status_code == 400
    assert "does not decrypt" in push_service.rejections[0].reason
    assert push_service.deliveries == []


def test_it_refuses_the_old_aesgcm_encoding(push_service: PushService, browser: Subscriber) -> None:
    response = send(browser, KEY.sign(claims(push_service)), encoding="aesgcm")

    assert response.status_code == 400
    assert "Content-Encoding" in push_service.rejections[0].reason


def test_it_answers_410_for_a_gone_subscription(push_service: PushService, browser: Subscriber) -> None:
    browser.gone = True

    assert send(browser, KEY.sign(claims(push_service))).status_code == 410
    assert push_service.deliveries == []
