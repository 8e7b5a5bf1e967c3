"""Login throttling: failed attempts per username and per client address, shared by all processes."""

from __future__ import annotations

import datetime as dt
import hashlib
from dataclasses import dataclass
from typing import Literal

from django.conf import settings
from django.core.cache import cache
from django.utils import timezone

__all__ = ["LoginThrottle"]


@dataclass(frozen=True)
class LoginThrottle:
    """Failed attempts per username and per client IP within a sliding window.

    Each failure occupies one of ``LOGIN_THROTTLE_ATTEMPTS`` cache slots for
    ``LOGIN_THROTTLE_WINDOW_SECONDS``. Slots are claimed with ``cache.add``, which the database
    cache turns into an insert on a primary key, so concurrent processes cannot both take the
    same slot. When every slot of the username or of the IP is taken, attempts are refused
    until the oldest failure expires.
    """

    kind: Literal["password", "otp"]
    username: str
    ip: str

    @property
    def username_attempts(self) -> int:
        return int(settings.LOGIN_THROTTLE_ATTEMPTS)

    @property
    def ip_attempts(self) -> int:
        # Higher than per user: a town hall's staff may all sign in from one NAT address.
        return int(settings.LOGIN_THROTTLE_IP_ATTEMPTS)

    @property
    def window(self) -> dt.timedelta:
        return dt.timedelta(seconds=int(settings.LOGIN_THROTTLE_WINDOW_SECONDS))

    def _prefixes(self) -> list[tuple[str, int]]:
        """The username's and the IP's key prefix, each with its limit."""
        user_hash = hashlib.sha256(self.username.strip().lower().encode()).hexdigest()[:32]
        ip_hash = hashlib.sha256(self.ip.encode()).hexdigest()[:32]
        return [
            (f"login-throttle:{self.kind}:user:{user_hash}", self.username_attempts),
            (f"login-throttle:{self.kind}:ip:{ip_hash}", self.ip_attempts),
        ]

    @staticmethod
    def _slots(prefix: str, limit: int) -> list[str]:
        return [f"{prefix}:{n}" for n in range(limit)]

    def retry_at(self) -> dt.datetime | None:
        """When the next attempt will be accepted, or ``None`` if it is accepted now."""
        blocked_until: list[dt.datetime] = []
        for prefix, limit in self._prefixes():
            failures: dict[str, dt.datetime] = cache.get_many(self._slots(prefix, limit))
            if len(failures) >= limit:
                blocked_until.append(min(failures.values()) + self.window)
        now = timezone.now()
        later = [moment for moment in blocked_until if moment > now]
        return max(later) if later else None

    def record_failure(self) -> None:
        now = timezone.now()
        timeout = int(self.window.total_seconds())
        for prefix, limit in self._prefixes():
            slots = self._slots(prefix, limit)
            taken = cache.get_many(slots)
            for slot in slots:
                if slot not in taken and cache.add(slot, now, timeout=timeout):
                    break

    def reset_username(self) -> None:
        """After a success, forget the username's failures (the IP's stay: they may be someone else's)."""
        cache.delete_many(self._slots(*self._prefixes()[0]))
