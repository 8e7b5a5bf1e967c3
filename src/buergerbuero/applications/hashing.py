"""The SHA-512 of submitted data, over its canonical JSON form.

Canonical: keys sorted, no whitespace between tokens (``,`` and ``:``), non-ASCII characters escaped
(``\\u00fc``, Python's ``json.dumps`` default), so the bytes are plain ASCII and therefore the same in
UTF-8 everywhere. Anybody can recompute the hash of a case's data from its JSON export
(``json.dumps(data, sort_keys=True, separators=(",", ":"))``), so the receipt and the FIT-Connect
metadata state the same value. Pure: no ORM.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

__all__ = ["canonical_json", "canonical_sha512", "sha512_hex"]


def canonical_json(data: Any) -> bytes:
    """``data`` as canonical JSON bytes (sorted keys, compact separators, non-ASCII escaped)."""
    return json.dumps(data, sort_keys=True, separators=(",", ":")).encode("utf-8")


def canonical_sha512(data: Any) -> str:
    """The SHA-512 (hex) of ``data``'s canonical JSON."""
    return sha512_hex(canonical_json(data))


def sha512_hex(content: bytes) -> str:
    return hashlib.sha512(content).hexdigest()
