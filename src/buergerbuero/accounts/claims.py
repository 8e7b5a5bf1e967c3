"""From OpenID Connect claims to a citizen's profile: pure functions, no database."""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Mapping
from typing import Any, Final

__all__ = ["PROFILE_FIELDS", "citizen_username", "profile_from_claims"]

PROFILE_FIELDS: Final = ("first_name", "last_name", "email", "street", "postcode", "city", "birth_date")


def citizen_username(issuer: str, subject: str) -> str:
    """A stable, unique username for a citizen; nobody types it."""
    digest = hashlib.sha256(f"{issuer}\n{subject}".encode()).hexdigest()
    return f"citizen-{digest[:32]}"


def profile_from_claims(claims: Mapping[str, Any]) -> dict[str, Any]:
    """The profile fields that ``claims`` (OpenID Connect standard claims) say something about."""
    profile: dict[str, Any] = {}

    def text(value: object, max_length: int) -> str | None:
        return value.strip()[:max_length] if isinstance(value, str) else None

    given, family = text(claims.get("given_name"), 150), text(claims.get("family_name"), 150)
    if given is None and family is None and (name := text(claims.get("name"), 301)):
        given, _, family = name.rpartition(" ")
    if given is not None:
        profile["first_name"] = given[:150]
    if family is not None:
        profile["last_name"] = family[:150]
    if (email := text(claims.get("email"), 254)) is not None:
        profile["email"] = email
    address = claims.get("address")
    if isinstance(address, Mapping):
        street = text(address.get("street_address"), 200)
        if street is not None:
            profile["street"] = ", ".join(line.strip() for line in street.splitlines() if line.strip())[:200]
        if (postcode := text(address.get("postal_code"), 10)) is not None:
            profile["postcode"] = postcode
        if (city := text(address.get("locality"), 100)) is not None:
            profile["city"] = city
    if (birthdate := text(claims.get("birthdate"), 10)) is not None:
        profile["birth_date"] = _date_or_none(birthdate)
    return profile


def _date_or_none(value: str) -> dt.date | None:
    # OpenID Connect allows "0000-MM-DD" (year withheld) and "YYYY" alone: neither is a date of birth.
    try:
        date = dt.date.fromisoformat(value)
    except ValueError:
        return None
    return date if len(value) == 10 else None
