"""SMS: German mobile numbers normalised, messages through the outbox to the configured provider."""

from __future__ import annotations

import logging
from collections.abc import Iterator

import pytest
from django.core.exceptions import ValidationError
from pytest_django import Settings

from buergerbuero.core.models import OutboxMessage
from buergerbuero.core.outbox import dispatch_due
from buergerbuero.notifications.sms import LoggingSmsSender, mask_phone, normalise_phone, queue_sms


class RefusingProvider:
    """A provider that does not accept messages (an outage at the SMS gateway)."""

    def send(self, to: str, text: str) -> None:
        raise ConnectionError("gateway unavailable")


@pytest.fixture(autouse=True)
def clean_logging_sender() -> Iterator[None]:
    LoggingSmsSender.clear()
    yield
    LoggingSmsSender.clear()


@pytest.mark.django_db
def test_it_sends_an_sms_through_the_outbox_to_the_logging_sender(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO, logger="buergerbuero.notifications.sms")

    queue_sms("0151 2345 6789", "Ihre Nummer A 042 wird gleich aufgerufen.")
    assert LoggingSmsSender.recent() == []  # queued, not sent

    assert dispatch_due().sent == 1
    [sms] = LoggingSmsSender.recent()
    assert (sms.to, sms.text) == ("+4915123456789", "Ihre Nummer A 042 wird gleich aufgerufen.")
    assert "+**********789" in caplog.text
    assert "23456789" not in caplog.text
    assert OutboxMessage.objects.get().state == OutboxMessage.State.SENT


@pytest.mark.django_db
def test_it_retries_when_the_provider_refuses(settings: Settings) -> None:
    settings.SMS_SENDER = "tests.notifications.test_sms.RefusingProvider"

    queue_sms("+49 170 1234567", "Text")

    assert dispatch_due().retried == 1
    message = OutboxMessage.objects.get()
    assert message.state == OutboxMessage.State.PENDING and "gateway unavailable" in message.last_error


@pytest.mark.django_db
def test_it_queues_nothing_for_an_invalid_number_or_text() -> None:
    with pytest.raises(ValidationError):
        queue_sms("0211 123456", "Text")  # a landline
    with pytest.raises(ValueError, match="exceeds"):
        queue_sms("0151 23456789", "x" * 500)
    with pytest.raises(ValueError):
        queue_sms("0151 23456789", "  ")
    assert not OutboxMessage.objects.exists()


def test_it_keeps_only_the_last_messages_in_memory() -> None:
    sender = LoggingSmsSender()
    for n in range(LoggingSmsSender.KEEP + 5):
        sender.send("+4915123456789", f"message {n}")

    recent = LoggingSmsSender.recent()
    assert len(recent) == LoggingSmsSender.KEEP
    assert (recent[0].text, recent[-1].text) == ("message 5", f"message {LoggingSmsSender.KEEP + 4}")


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("0151 23456789", "+4915123456789"),
        ("01512-3456789", "+4915123456789"),
        ("+49 151 23456789", "+4915123456789"),
        ("+49 (0)151 / 234 567 89", "+4915123456789"),
        ("+49 0151 23456789", "+4915123456789"),
        ("0049 151 23456789", "+4915123456789"),
        ("0170 1234567", "+491701234567"),
        (" 0176.12345678 ", "+4917612345678"),
    ],
)
def test_it_normalises_german_mobile_numbers(raw: str, expected: str) -> None:
    assert normalise_phone(raw) == expected


@pytest.mark.parametrize(
    "raw",
    [
        "",
        "0211 123456",  # Düsseldorf landline
        "+43 664 1234567",  # Austrian mobile
        "0151 234",  # too short
        "0151 234567890123",  # too long
        "4915123456789",  # no + or 00
        "0151 2345678a",
        "+49 151 2345 6789 ext 1",
    ],
)
def test_it_refuses_what_is_not_a_german_mobile_number(raw: str) -> None:
    with pytest.raises(ValidationError) as error:
        normalise_phone(raw)
    assert error.value.code == "invalid_phone"


def test_it_masks_all_digits_but_the_last_three() -> None:
    assert mask_phone("+4915123456789") == "+**********789"
