"""System checks of the notification settings (``manage.py check --deploy``)."""

from __future__ import annotations

import re
from typing import Any

from django.conf import settings
from django.core import checks
from django.utils.module_loading import import_string

from . import webpush

# What push services accept as the VAPID contact (py_vapid checks the same before signing).
_SUBJECT = re.compile(r"^(mailto:[^@\s]+@[^@\s]+|https://[^\s/]+(/\S*)?)$", re.IGNORECASE)


def check_webpush(app_configs: Any = None, **kwargs: Any) -> list[checks.CheckMessage]:
    messages: list[checks.CheckMessage] = []
    key = str(settings.WEBPUSH_VAPID_PRIVATE_KEY)
    if key:
        try:
            webpush.parse_private_key(key)
        except ValueError as error:
            messages.append(
                checks.Error(
                    f"WEBPUSH_VAPID_PRIVATE_KEY is not a usable P-256 key: {error}",
                    hint="Generate one with `manage.py vapid_keys`.",
                    id="notifications.E001",
                )
            )
    elif not settings.WEBPUSH_VAPID_DEV_KEY:
        messages.append(
            checks.Warning(
                "Web Push is disabled: WEBPUSH_VAPID_PRIVATE_KEY is not set, so citizens get no "
                "push alert before their number is called.",
                hint="Generate a key pair with `manage.py vapid_keys` and set WEBPUSH_VAPID_PRIVATE_KEY.",
                id="notifications.W001",
            )
        )
    if webpush.webpush_enabled() and not _SUBJECT.match(str(settings.WEBPUSH_VAPID_SUBJECT)):
        messages.append(
            checks.Error(
                "WEBPUSH_VAPID_SUBJECT must be a mailto: address or an https:// URL; push services "
                "use it to contact the operator.",
                id="notifications.E002",
            )
        )
    if not settings.DEBUG and settings.WEBPUSH_ALLOW_INSECURE_ENDPOINTS:
        messages.append(
            checks.Warning(
                "WEBPUSH_ALLOW_INSECURE_ENDPOINTS is on outside DEBUG: pushes may go to http://127.0.0.1.",
                id="notifications.W002",
            )
        )
    return messages


def check_sms(app_configs: Any = None, **kwargs: Any) -> list[checks.CheckMessage]:
    try:
        import_string(str(settings.SMS_SENDER))
    except ImportError as error:
        return [checks.Error(f"SMS_SENDER cannot be imported: {error}", id="notifications.E003")]
    return []


def register() -> None:
    checks.register(check_webpush, checks.Tags.security, deploy=True)
    checks.register(check_sms)
