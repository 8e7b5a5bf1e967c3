"""Rate limits per client and scope, and the key a client is counted by."""

from __future__ import annotations

import datetime as dt
import threading

import pytest
import time_machine
from django.db import connection
from django.test import RequestFactory
from pytest_django.fixtures import Settings as SettingsWrapper

from buergerbuero.appointments import fairness
from buergerbuero.appointments.fairness import RateLimited, check_rate, client_key

pytestmark = pytest.mark.django_db

ANNA = "client-anna"
BERND = "client-bernd"


@pytest.fixture
def three_a_minute(settings: SettingsWrapper) -> None:
    settings.APPOINTMENTS_RATE_LIMITS = {"reserve": (3, 60)}


def admitted(scope: str, key: str, times: int) -> int:
    count = 0
    for _ in range(times):
        try:
            check_rate(scope, key)
        except RateLimited:
            continue
        count += 1
    return count


def test_it_refuses_the_request_after_the_limit_with_the_seconds_left_in_the_window(
    three_a_minute: None, clock: time_machine.Coordinates
) -> None:
    clock.shift(dt.timedelta(seconds=10))  # 09:30:10; the window runs 09:30:00 .. 09:31:00
    for _ in range(3):
        check_rate("reserve", ANNA)

    with pytest.raises(RateLimited) as refused:
        check_rate("reserve", ANNA)

    assert refused.value.retry_after == 50
    assert refused.value.scope == "reserve"


def test_it_admits_again_when_the_window_has_passed(three_a_minute: None, clock: time_machine.Coordinates) -> None:
    clock.shift(dt.timedelta(seconds=10))
    assert admitted("reserve", ANNA, 5) == 3

    clock.shift(dt.timedelta(seconds=49))
    with pytest.raises(RateLimited) as refused:
        check_rate("reserve", ANNA)
    assert refused.value.retry_after == 1

    clock.shift(dt.timedelta(seconds=1))
    assert admitted("reserve", ANNA, 5) == 3


def test_refused_requests_do_not_push_the_window_further(three_a_minute: None, clock: time_machine.Coordinates) -> None:
    assert admitted("reserve", ANNA, 50) == 3

    clock.shift(dt.timedelta(seconds=60))

    check_rate("reserve", ANNA)


def test_it_counts_clients_apart(three_a_minute: None, clock: time_machine.Coordinates) -> None:
    assert admitted("reserve", ANNA, 10) == 3

    assert admitted("reserve", BERND, 10) == 3


def test_it_counts_scopes_apart(settings: SettingsWrapper, clock: time_machine.Coordinates) -> None:
    settings.APPOINTMENTS_RATE_LIMITS = {"reserve": (2, 60), "book": (2, 60)}
    assert admitted("reserve", ANNA, 5) == 2

    assert admitted("book", ANNA, 5) == 2


def test_a_limit_of_zero_switches_the_scope_off(settings: SettingsWrapper, clock: time_machine.Coordinates) -> None:
    settings.APPOINTMENTS_RATE_LIMITS = {"availability": (0, 60)}

    assert admitted("availability", ANNA, 200) == 200


def test_it_uses_the_default_limits_for_scopes_the_setting_leaves_out(
    settings: SettingsWrapper, clock: time_machine.Coordinates
) -> None:
    settings.APPOINTMENTS_RATE_LIMITS = {"availability": (0, 60)}

    assert admitted("reserve", ANNA, 20) == fairness.DEFAULT_RATE_LIMITS["reserve"][0]


def test_it_has_defaults_when_nothing_is_configured(settings: SettingsWrapper, clock: time_machine.Coordinates) -> None:
    if hasattr(settings, "APPOINTMENTS_RATE_LIMITS"):
        del settings.APPOINTMENTS_RATE_LIMITS

    assert admitted("waitlist", ANNA, 10) == 5
    with pytest.raises(RateLimited) as refused:
        check_rate("waitlist", ANNA)
    assert 0 < refused.value.retry_after <= 3600


def test_it_refuses_an_unknown_scope_loudly(clock: time_machine.Coordinates) -> None:
    with pytest.raises(ValueError, match="unknown rate-limit scope"):
        check_rate("reserv", ANNA)


@pytest.mark.django_db(transaction=True)
def test_concurrent_requests_never_get_past_the_limit(
    settings: SettingsWrapper, clock: time_machine.Coordinates
) -> None:
    settings.APPOINTMENTS_RATE_LIMITS = {"reserve": (5, 60)}
    results: list[bool] = []
    start = threading.Barrier(8)

    def one_request() -> None:
        try:
            start.wait()
            for _ in range(3):
                try:
                    check_rate("reserve", ANNA)
                except RateLimited:
                    results.append(False)
                else:
                    results.append(True)
        finally:
            connection.close()

    threads = [threading.Thread(target=one_request) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert len(results) == 24
    assert results.count(True) == 5


# -- client_key ------------------------------------------------------------------------------------


def key_for(address: str, forwarded: str = "") -> str:
    meta = {"REMOTE_ADDR": address}
    if forwarded:
        meta["HTTP_X_FORWARDED_FOR"] = forwarded
    return client_key(RequestFactory().get("/", **meta))  # type: ignore[arg-type]


def test_the_client_key_is_stable_and_holds_no_address() -> None:
    key = key_for("203.0.113.7")

    assert key == key_for("203.0.113.7")
    assert "203.0.113.7" not in key and len(key) == 32
    assert key != key_for("203.0.113.8")


def test_the_client_key_depends_on_the_secret_key(settings: SettingsWrapper) -> None:
    before = key_for("203.0.113.7")
    settings.SECRET_KEY = "another-secret-key-for-another-installation-0123456789"

    assert key_for("203.0.113.7") != before


def test_ipv6_clients_count_per_64_network() -> None:
    home = key_for("2001:db8:1:2:aaaa::1")

    assert key_for("2001:db8:1:2:ffff:ffff:ffff:ffff") == home
    assert key_for("2001:db8:1:3::1") != home


def test_an_ipv4_mapped_address_counts_as_the_ipv4_address() -> None:
    assert key_for("::ffff:203.0.113.7") == key_for("203.0.113.7")


def test_a_forged_forwarded_header_is_ignored_without_a_trusted_proxy(settings: SettingsWrapper) -> None:
    settings.TRUSTED_PROXY_COUNT = 0

    assert key_for("203.0.113.7", forwarded="198.51.100.1") == key_for("203.0.113.7")


def test_behind_a_trusted_proxy_the_forwarded_address_counts(settings: SettingsWrapper) -> None:
    settings.TRUSTED_PROXY_COUNT = 1

    via_proxy = key_for("10.0.0.2", forwarded="198.51.100.1")

    assert via_proxy == key_for("10.0.0.3", forwarded="198.51.100.1")
    assert via_proxy != key_for("10.0.0.2", forwarded="198.51.100.2")


def test_an_unparsable_address_still_gets_a_key() -> None:
    assert len(key_for("unknown")) == 32
