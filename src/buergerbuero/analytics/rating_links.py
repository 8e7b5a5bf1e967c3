"""Signed links to the rating page: whoever got the ticket page or case page may rate that visit or case.

The token carries the subject key (``ticket:<public id>`` or ``case:<public id>``), signed with
``django.core.signing`` under its own salt, and expires after ``RATING_LINK_MAX_AGE_DAYS`` (default 60).
"""

from __future__ import annotations

import re
from typing import Final
from uuid import UUID

from django.conf import settings
from django.core import signing
from django.urls import reverse

__all__ = ["SALT", "link_max_age_days", "rating_token", "rating_url", "read_rating_token", "subject_key"]

SALT: Final = "buergerbuero.analytics.rating-link"
_SUBJECT = re.compile(r"^(ticket|case):([0-9a-f-]{36})$")


def subject_key(kind: str, public_id: UUID | str) -> str:
    """``ticket:<uuid>`` or ``case:<uuid>``."""
    if kind not in ("ticket", "case"):
        raise ValueError(f"unknown rating subject {kind!r}")
    return f"{kind}:{UUID(str(public_id))}"


def link_max_age_days() -> int:
    return settings.RATING_LINK_MAX_AGE_DAYS


def rating_token(key: str) -> str:
    if not _SUBJECT.match(key):
        raise ValueError(f"not a rating subject: {key!r}")
    return signing.dumps(key, salt=SALT, compress=False)


def rating_url(key: str) -> str:
    return reverse("feedback:rate", kwargs={"token": rating_token(key)})


def read_rating_token(token: str) -> str | None:
    """The subject key of a valid, unexpired token, else ``None``."""
    try:
        key = signing.loads(token, salt=SALT, max_age=link_max_age_days() * 86400)
    except signing.BadSignature:  # includes SignatureExpired
        return None
    if not isinstance(key, str) or not _SUBJECT.match(key):
        return None
    return key
