"""Absolute links for places outside a request: e-mails, calendar files, identity-provider redirects."""

from __future__ import annotations

from django.conf import settings

__all__ = ["absolute_url"]


def absolute_url(path: str) -> str:
    """``path`` (from ``reverse``) on the public address ``SITE_URL``."""
    return f"{str(settings.SITE_URL).rstrip('/')}{path}"
