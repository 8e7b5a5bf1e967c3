"""Text messages through the outbox, sent by a pluggable provider.

A provider is any class with ``send(to, text)`` (the ``SmsSender`` protocol) that raises when the
message was not accepted, so the outbox retries. ``SMS_SENDER`` names it by dotted path; the default,
``LoggingSmsSender``, sends nothing: it logs each message with the number masked and keeps the last
``LoggingSmsSender.KEEP`` messages in memory for the demo and the tests. docs/notifications.md shows
how to plug in a real provider.
"""

from __future__ import annotations

import logging
import re
import threading
from collections import deque
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache
from typing import Any, ClassVar, Protocol, runtime_checkable

from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.module_loading import import_string
from django.utils.translation import gettext as _

from buergerbuero.core.models import OutboxMessage
from buergerbuero.core.outbox import enqueue, register_handler

__all__ = [
    "KIND",
    "LoggingSmsSender",
    "SentSms",
    "SmsSender",
    "get_sms_sender",
    "mask_phone",
    "normalise_phone",
    "queue_sms",
]

logger = logging.getLogger(__name__)

KIND = "sms"
# Three concatenated GSM-7 segments (153 characters each); a pre-call alert needs one.
MAX_SMS_LENGTH = 459

# German mobile numbers: national significant number 15x, 16x or 17x, ten or eleven digits in all.
_GERMAN_MOBILE = re.compile(r"1[567]\d{8,9}")
_SEPARATORS = re.compile(r"[\s\-/.()]")


@runtime_checkable
class SmsSender(Protocol):
    def send(self, to: str, text: str) -> None:
        """Hand one message to the provider; ``to`` is E.164 (``+49…``). Raise if it was not accepted."""


def normalise_phone(raw: str) -> str:
    """A German mobile number in E.164 (``+4915112345678``) from what people type: ``0151 1234 5678``,
    ``+49 (0)151-12345678``, ``0049 151 12345678``. Raises ``ValidationError`` (translated) for anything
    else, landlines and foreign numbers included."""
    text = raw.strip() if isinstance(raw, str) else ""
    text = text.replace("(0)", "", 1) if text.startswith("+49") or text.startswith("0049") else text
    digits = _SEPARATORS.sub("", text)
    if digits.startswith("+49"):
        national = digits[3:]
    elif digits.startswith("0049"):
        national = digits[4:]
    elif digits.startswith("0") and not digits.startswith("00"):
        national = digits[1:]
    else:
        national = ""
    if national.startswith("0"):  # "+49 0151 …": the trunk zero written after the country code
        national = national[1:]
    if not _GERMAN_MOBILE.fullmatch(national):
        raise ValidationError(
            _("Please enter a German mobile number, for example 0151 23456789 or +49 151 23456789."),
            code="invalid_phone",
        )
    return f"+49{national}"


def mask_phone(number: str) -> str:
    """The number for logs: every digit but the last three replaced (``+***********678``)."""
    keep = 3
    digits_seen = 0
    masked: list[str] = []
    total_digits = sum(c.isdigit() for c in number)
    for char in number:
        if char.isdigit():
            digits_seen += 1
            masked.append(char if digits_seen > total_digits - keep else "*")
        else:
            masked.append(char)
    return "".join(masked)


def queue_sms(to: str, text: str, *, dedupe_key: str | None = None) -> OutboxMessage | None:
    """Queue one text message in the current transaction; ``None`` if ``dedupe_key`` was queued before.
    Raises ``ValidationError`` for a number that is not a German mobile number and ``ValueError`` for an
    empty or overlong text."""
    number = normalise_phone(to)
    if not text.strip():
        raise ValueError("an SMS needs a text")
    if len(text) > MAX_SMS_LENGTH:
        raise ValueError(f"an SMS of {len(text)} characters exceeds {MAX_SMS_LENGTH}")
    return enqueue(KIND, {"to": number, "text": text}, dedupe_key=dedupe_key)


def get_sms_sender() -> SmsSender:
    """The provider named by ``SMS_SENDER`` (one instance per process and path)."""
    return _sender(str(settings.SMS_SENDER))


@lru_cache(maxsize=4)
def _sender(path: str) -> SmsSender:
    sender = import_string(path)()
    if not isinstance(sender, SmsSender):
        raise TypeError(f"SMS_SENDER {path!r} has no send(to, text) method")
    return sender


def send_sms(payload: Mapping[str, Any]) -> None:
    """The outbox handler of ``sms``."""
    get_sms_sender().send(str(payload["to"]), str(payload["text"]))


def register() -> None:
    register_handler(KIND, send_sms)


@dataclass(frozen=True)
class SentSms:
    to: str
    text: str
    at: datetime


class LoggingSmsSender:
    """The demo's provider: logs each message (number masked) and keeps the last ``KEEP`` in memory."""

    KEEP: ClassVar[int] = 100
    _recent: ClassVar[deque[SentSms]] = deque(maxlen=KEEP)
    _lock: ClassVar[threading.Lock] = threading.Lock()

    def send(self, to: str, text: str) -> None:
        with self._lock:
            self._recent.append(SentSms(to=to, text=text, at=timezone.now()))
        logger.info("SMS to %s: %s", mask_phone(to), text)

    @classmethod
    def recent(cls) -> list[SentSms]:
        """The messages this process "sent", oldest first (at most ``KEEP``)."""
        with cls._lock:
            return list(cls._recent)

    @classmethod
    def clear(cls) -> None:
        with cls._lock:
            cls._recent.clear()
