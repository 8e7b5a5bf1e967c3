"""The search's synonyms: everyday words citizens type and the catalogue words they mean.

They are data, in ``catalog/data/synonyms_de.txt`` (format in that file), read once per process.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from .search import parse_synonyms

__all__ = ["SYNONYMS_FILE", "synonyms"]

SYNONYMS_FILE = Path(__file__).resolve().parent / "data" / "synonyms_de.txt"


@lru_cache(maxsize=1)
def synonyms() -> dict[tuple[str, ...], tuple[str, ...]]:
    with SYNONYMS_FILE.open(encoding="utf-8") as handle:
        return parse_synonyms(handle)
