"""The generated badge of a municipality: a shield with its initials, since real coats of arms are not
available offline. Pure function; the template draws it as inline SVG."""

from __future__ import annotations

import re

__all__ = ["monogram"]

_SKIP = {"am", "an", "auf", "bei", "im", "in", "ob", "der", "die", "das", "den", "und", "von", "vor", "zu"}


def monogram(name: str) -> str:
    """Up to two capital letters: "Kaarst" → "K", "Rommerskirchen" → "R", "Neuss am Rhein" → "NR"."""
    words = [w for w in re.split(r"[\s\-/]+", name.strip()) if w and w.lower() not in _SKIP and w[0].isalpha()]
    if not words:
        return "?"
    return "".join(w[0].upper() for w in words[:2])
