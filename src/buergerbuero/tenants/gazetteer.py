"""Reading the official municipality register (Destatis Gemeindeverzeichnis, GV100 extract).

Source: © Statistisches Bundesamt (Destatis), Datenlizenz Deutschland – Namensnennung 2.0.
Pure functions over the CSV shipped in ``shared/data/geo``; no database.
"""

from __future__ import annotations

import csv
from collections.abc import Iterator
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

ATTRIBUTION = "© Statistisches Bundesamt (Destatis), Datenlizenz Deutschland – Namensnennung 2.0"

#: GV100 record types
RECORD_KREIS = "40"
RECORD_GEMEINDE = "60"


@dataclass(frozen=True)
class RegisterEntry:
    """A Kreis (record type 40) or a Gemeinde (record type 60) of the register."""

    record_type: str
    name: str
    ags: str  # 8 digits for a Gemeinde; the 5-digit Kreis key padded with 000 for a Kreis
    ars: str  # 12 digits
    population: int | None
    area_km2: Decimal | None
    postcode: str
    latitude: Decimal | None
    longitude: Decimal | None

    @property
    def kreis_key(self) -> str:
        return self.ags[:5]

    @property
    def short_name(self) -> str:
        """``"Kaarst, Stadt"`` → ``"Kaarst"``."""
        return self.name.split(",")[0].strip()


def read_register(path: Path) -> Iterator[RegisterEntry]:
    with path.open(encoding="utf-8-sig", newline="") as handle:
        for row in csv.DictReader(handle):
            record_type = row["satzart"]
            if record_type not in (RECORD_KREIS, RECORD_GEMEINDE):
                continue
            land, rb, kreis = row["land"], row["rb"], row["kreis"]
            vb, gemeinde = row["vb"] or "0000", row["gemeinde"] or "000"
            yield RegisterEntry(
                record_type=record_type,
                name=row["gemeindename"],
                ags=f"{land}{rb}{kreis}{gemeinde}",
                ars=f"{land}{rb}{kreis}{vb}{gemeinde}",
                population=_int(row["bevoelkerung"]),
                area_km2=_decimal(row["flaeche"]),
                postcode=row["postleitzahl"].strip(),
                latitude=_decimal(row["breitengrad"]),
                longitude=_decimal(row["laengengrad"]),
            )


def municipalities_of_kreis(path: Path, kreis_key: str) -> list[RegisterEntry]:
    """The Gemeinden of one Kreis (5-digit key, e.g. ``05162``), ordered by AGS."""
    entries = [e for e in read_register(path) if e.record_type == RECORD_GEMEINDE and e.kreis_key == kreis_key]
    return sorted(entries, key=lambda e: e.ags)


def kreis_entry(path: Path, kreis_key: str) -> RegisterEntry | None:
    return next((e for e in read_register(path) if e.record_type == RECORD_KREIS and e.kreis_key == kreis_key), None)


def _int(raw: str) -> int | None:
    digits = raw.replace(" ", "").strip()
    return int(digits) if digits.isdigit() else None


def _decimal(raw: str) -> Decimal | None:
    value = raw.strip().replace(" ", "").replace(",", ".")
    return Decimal(value) if value else None
