"""Postcodes of Germany: reading ``geo/plz_ags_de.csv`` and loading it into :class:`PostcodeArea`.

Source: © OpenStreetMap contributors, ODbL 1.0 (via suche-postleitzahl.org). One row per
(postcode, municipality) pair; 1,394 postcodes belong to several municipalities, so a postcode
alone does not always decide responsibility (see ``catalog.responsibility``). The data has no
street directory: street and house number cannot split a shared postcode.
"""

from __future__ import annotations

import csv
import re
from collections.abc import Callable, Collection, Iterator
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings
from django.db import transaction
from django.utils.translation import gettext_lazy as _

from .models import PostcodeArea

__all__ = [
    "ATTRIBUTION",
    "LoadResult",
    "PostcodeError",
    "PostcodeRow",
    "clean_postcode",
    "load_postcodes",
    "postcode_path",
    "read_postcodes",
]

ATTRIBUTION = "© OpenStreetMap contributors (ODbL 1.0)"

_POSTCODE = re.compile(r"^\d{5}$")

Progress = Callable[[str], None]


class PostcodeError(ValueError):
    """The text is not a German postcode (five digits)."""


def clean_postcode(text: str) -> str:
    """``" 41564 "`` → ``"41564"``; raises :class:`PostcodeError` with a translated message otherwise."""
    value = "".join(text.split())
    if not _POSTCODE.match(value):
        raise PostcodeError(_("Enter a postcode of five digits, e.g. 41564."))
    return value


def postcode_path() -> Path:
    return Path(settings.SHARED_DATA_DIR) / "geo" / "plz_ags_de.csv"


@dataclass(frozen=True)
class PostcodeRow:
    postcode: str
    ags: str
    place: str
    district_name: str  #: empty for a kreisfreie Stadt
    state_name: str


def read_postcodes(path: Path, postcodes: Collection[str] | None = None) -> Iterator[PostcodeRow]:
    """The rows of the file, optionally only those of ``postcodes``; malformed rows are skipped."""
    with path.open(encoding="utf-8-sig", newline="") as handle:
        for row in csv.DictReader(handle):
            postcode, ags = (row.get("plz") or "").strip(), (row.get("ags") or "").strip()
            if not (_POSTCODE.match(postcode) and len(ags) == 8 and ags.isdigit()):
                continue
            if postcodes is not None and postcode not in postcodes:
                continue
            yield PostcodeRow(
                postcode=postcode,
                ags=ags,
                place=(row.get("ort") or "").strip(),
                district_name=(row.get("landkreis") or "").strip(),
                state_name=(row.get("bundesland") or "").strip(),
            )


@dataclass(frozen=True)
class LoadResult:
    created: int
    updated: int
    unchanged: int
    deleted: int


@transaction.atomic
def load_postcodes(
    path: Path | None = None,
    *,
    postcodes: Collection[str] | None = None,
    prune: bool = False,
    batch_size: int = 2000,
    progress: Progress = lambda message: None,
) -> LoadResult:
    """Bring :class:`PostcodeArea` in line with the file, idempotently, in bulk.

    ``postcodes`` limits the load to those postcodes (tests load only what they need);
    ``prune`` deletes pairs the file no longer has (only sensible for a full load).
    """
    path = path or postcode_path()
    wanted = {(row.postcode, row.ags): row for row in read_postcodes(path, postcodes)}
    progress(f"{len(wanted)} postcode areas in {path.name}")
    existing = {(area.postcode, area.ags): area for area in PostcodeArea.objects.all()}

    to_create, to_update = [], []
    for key, row in wanted.items():
        area = existing.get(key)
        if area is None:
            to_create.append(
                PostcodeArea(
                    postcode=row.postcode,
                    ags=row.ags,
                    place=row.place,
                    district_name=row.district_name,
                    state_name=row.state_name,
                )
            )
        elif (area.place, area.district_name, area.state_name) != (row.place, row.district_name, row.state_name):
            area.place, area.district_name, area.state_name = row.place, row.district_name, row.state_name
            to_update.append(area)
    for start in range(0, len(to_create), batch_size):
        PostcodeArea.objects.bulk_create(to_create[start : start + batch_size])
        progress(f"  created {min(start + batch_size, len(to_create))} of {len(to_create)}")
    if to_update:
        PostcodeArea.objects.bulk_update(to_update, ["place", "district_name", "state_name"], batch_size=batch_size)
        progress(f"  updated {len(to_update)}")
    deleted = 0
    if prune:
        stale = [area.pk for key, area in existing.items() if key not in wanted]
        for start in range(0, len(stale), batch_size):
            deleted += PostcodeArea.objects.filter(pk__in=stale[start : start + batch_size]).delete()[0]
        if deleted:
            progress(f"  deleted {deleted}")
    return LoadResult(
        created=len(to_create),
        updated=len(to_update),
        unchanged=len(wanted) - len(to_create) - len(to_update),
        deleted=deleted,
    )
