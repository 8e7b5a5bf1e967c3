"""The proof-of-work before reserving: a solved challenge counts once, anything else never does."""

from __future__ import annotations

import base64
import datetime as dt
import json
from typing import Any

import pytest
import time_machine
from altcha import v1 as altcha_v1
from django.core.cache import cache
from django.utils import timezone
from pytest_django.fixtures import Settings as SettingsWrapper

from buergerbuero.appointments import fairness
from tests.appointments.altcha_helpers import solved

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def small_challenges(settings: SettingsWrapper) -> None:
    settings.ALTCHA_MAX_NUMBER = 2_000  # the tests solve in Python; the format is the same


def encode(fields: dict[str, Any]) -> str:
    return base64.b64encode(json.dumps(fields).encode()).decode()


def decode(payload: str) -> dict[str, Any]:
    fields: dict[str, Any] = json.loads(base64.b64decode(payload))
    return fields


def test_it_issues_challenges_in_the_widget_format(settings: SettingsWrapper, clock: time_machine.Coordinates) -> None:
    settings.ALTCHA_MAX_NUMBER = 1234
    settings.ALTCHA_EXPIRES_SECONDS = 300

    challenge = fairness.new_challenge()

    assert set(challenge) == {"algorithm", "challenge", "maxnumber", "salt", "signature"}
    assert challenge["algorithm"] == "SHA-256"
    assert challenge["maxnumber"] == 1234
    expires = int(timezone.now().timestamp()) + 300
    assert f"?expires={expires}&" in challenge["salt"]
    assert json.loads(fairness.challenge_json()).keys() == challenge.keys()


def test_it_issues_a_different_challenge_each_time() -> None:
    assert fairness.new_challenge()["salt"] != fairness.new_challenge()["salt"]


def test_it_accepts_a_solution_once_and_refuses_the_replay() -> None:
    payload = solved(fairness.new_challenge())

    assert fairness.verify_solution(payload) is True
    assert fairness.verify_solution(payload) is False


def test_it_accepts_the_payload_as_the_browser_sends_it_with_took() -> None:
    fields = decode(solved(fairness.new_challenge()))
    fields["took"] = 812

    assert fairness.verify_solution(encode(fields)) is True


def test_it_refuses_a_replay_with_extra_fields_changed() -> None:
    fields = decode(solved(fairness.new_challenge()))
    assert fairness.verify_solution(encode(fields)) is True

    fields["took"] = 1
    assert fairness.verify_solution(encode(fields)) is False


@pytest.mark.parametrize(
    "tamper",
    [
        pytest.param(lambda f: f.update(number=f["number"] + 1), id="wrong-number"),
        pytest.param(lambda f: f.update(signature="0" * 64), id="forged-signature"),
        pytest.param(lambda f: f.update(challenge="0" * 64), id="other-challenge"),
        pytest.param(lambda f: f.update(algorithm="SHA-1"), id="other-algorithm"),
        pytest.param(
            lambda f: f.update(salt=f["salt"].replace("expires=", "expires=9")),
            id="extended-expiry",
        ),
    ],
)
def test_it_refuses_a_tampered_solution(tamper: Any) -> None:
    fields = decode(solved(fairness.new_challenge()))
    tamper(fields)

    assert fairness.verify_solution(encode(fields)) is False


def test_it_refuses_a_challenge_signed_with_another_key(settings: SettingsWrapper) -> None:
    settings.ALTCHA_HMAC_KEY = "someone-elses-key"
    payload = solved(fairness.new_challenge())
    settings.ALTCHA_HMAC_KEY = "our-key"

    assert fairness.verify_solution(payload) is False


def test_it_uses_the_configured_key_when_there_is_one(settings: SettingsWrapper) -> None:
    settings.ALTCHA_HMAC_KEY = "our-key"
    challenge = fairness.new_challenge()

    valid, _error = altcha_v1.verify_solution(decode(solved(challenge)), "our-key")  # type: ignore[call-overload]
    assert valid


def test_it_derives_the_key_from_the_secret_key_by_default(settings: SettingsWrapper) -> None:
    settings.ALTCHA_HMAC_KEY = ""
    payload = solved(fairness.new_challenge())
    settings.SECRET_KEY = "another-secret-key-for-another-installation-0123456789"

    assert fairness.verify_solution(payload) is False


def test_it_refuses_a_challenge_without_expiry_even_if_signed_with_our_key(settings: SettingsWrapper) -> None:
    settings.ALTCHA_HMAC_KEY = "our-key"
    challenge = altcha_v1.create_challenge(
        altcha_v1.ChallengeOptions(algorithm="SHA-256", max_number=2_000, hmac_key="our-key")
    )
    forever = {
        "algorithm": challenge.algorithm,
        "challenge": challenge.challenge,
        "maxnumber": challenge.max_number,
        "salt": challenge.salt,
        "signature": challenge.signature,
    }

    assert fairness.verify_solution(solved(forever)) is False


def test_it_accepts_a_solution_until_the_challenge_expires(
    settings: SettingsWrapper, clock: time_machine.Coordinates
) -> None:
    settings.ALTCHA_EXPIRES_SECONDS = 600
    challenge = fairness.new_challenge()
    late, too_late = solved(challenge), solved(challenge)

    clock.shift(dt.timedelta(seconds=599))
    assert fairness.verify_solution(late) is True

    clock.shift(dt.timedelta(seconds=1))
    assert fairness.verify_solution(too_late) is False


def test_it_refuses_an_expired_solution_that_was_never_used(clock: time_machine.Coordinates) -> None:
    payload = solved(fairness.new_challenge())

    clock.shift(dt.timedelta(hours=1))

    assert fairness.verify_solution(payload) is False


@pytest.mark.parametrize(
    "payload",
    [
        pytest.param("", id="empty"),
        pytest.param("not base64 at all!", id="not-base64"),
        pytest.param(base64.b64encode(b"\xff\xfe").decode(), id="not-utf8"),
        pytest.param(base64.b64encode(b"{not json").decode(), id="not-json"),
        pytest.param(encode([1, 2, 3]), id="json-list"),  # type: ignore[arg-type]
        pytest.param(encode({"algorithm": "SHA-256"}), id="fields-missing"),
        pytest.param(
            encode({"algorithm": "SHA-256", "challenge": "a", "number": "7", "salt": "s", "signature": "x"}),
            id="number-as-text",
        ),
        pytest.param(
            encode({"algorithm": "SHA-256", "challenge": "a", "number": True, "salt": "s", "signature": "x"}),
            id="number-as-bool",
        ),
        pytest.param(
            encode({"algorithm": "SHA-256", "challenge": "a", "number": 1, "salt": "s?expires=nan&", "signature": "x"}),
            id="expiry-not-a-number",
        ),
        pytest.param(
            encode({"algorithm": "SHA-256", "challenge": "a", "number": 1, "salt": "s?expires=inf&", "signature": "x"}),
            id="expiry-infinite",
        ),
        pytest.param(
            encode({"algorithm": "SHA-256", "challenge": ["a"], "number": 1, "salt": {}, "signature": None}),
            id="wrong-types",
        ),
        pytest.param("A" * 100_000, id="huge"),
    ],
)
def test_it_refuses_garbage_without_raising(payload: str) -> None:
    assert fairness.verify_solution(payload) is False


@pytest.mark.parametrize("payload", [None, 42, b"bytes"], ids=["none", "int", "bytes"])
def test_it_refuses_what_is_not_a_string(payload: Any) -> None:
    assert fairness.verify_solution(payload) is False


def test_it_still_refuses_a_replay_after_the_cache_filled_up() -> None:
    payload = solved(fairness.new_challenge())
    assert fairness.verify_solution(payload) is True

    for n in range(400):  # e.g. rate-limit slots of many visitors
        cache.set(f"zz-other-entry-{n}", n)

    assert fairness.verify_solution(payload) is False
