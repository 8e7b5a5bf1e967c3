"""The demo district: the Rhein-Kreis Neuss and its eight municipalities.

Names, keys, population, area and coordinates come from the official register
(``tenants.gazetteer``); office addresses are the real town halls; opening
hours, counters, colours and taglines are illustrative demo values.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

KREIS_KEY = "05162"
KREIS_COLOUR = "#00508c"
KREIS_ADMINISTRATION_SLUG = "kreis"

T = dt.time


@dataclass(frozen=True)
class DemoOffice:
    slug: str
    name: str
    street: str
    house_number: str
    postcode: str
    city: str
    counters: int
    hours: dict[int, list[tuple[dt.time, dt.time]]]
    phone: str = ""
    accessibility: str = "Stufenloser Zugang, Aufzug"


@dataclass(frozen=True)
class DemoMunicipality:
    ags: str
    slug: str
    colour: str
    tagline: str
    website: str
    offices: list[DemoOffice] = field(default_factory=list)


# A common citizen-office week: long Thursday, short Friday, Saturday morning in the larger towns.
_WEEK = {
    0: [(T(8), T(12, 30)), (T(14), T(16))],
    1: [(T(8), T(12, 30)), (T(14), T(16))],
    2: [(T(8), T(12, 30))],
    3: [(T(8), T(12, 30)), (T(14), T(18))],
    4: [(T(8), T(12, 30))],
}
_WEEK_WITH_SATURDAY = {**_WEEK, 5: [(T(9), T(12))]}


Hours = dict[int, list[tuple[dt.time, dt.time]]]


def _office(
    slug: str, name: str, street: str, number: str, postcode: str, city: str, counters: int, hours: Hours = _WEEK
) -> DemoOffice:
    return DemoOffice(slug, name, street, number, postcode, city, counters, hours)


MUNICIPALITIES: list[DemoMunicipality] = [
    DemoMunicipality(
        "05162004",
        "dormagen",
        "#005b94",
        "Stadt am Rhein",
        "https://www.dormagen.de",
        [
            _office(
                "rathaus",
                "Bürgerbüro Dormagen",
                "Paul-Wierich-Platz",
                "2",
                "41539",
                "Dormagen",
                5,
                hours=_WEEK_WITH_SATURDAY,
            )
        ],
    ),
    DemoMunicipality(
        "05162008",
        "grevenbroich",
        "#1f6b3a",
        "Schloss-Stadt an der Erft",
        "https://www.grevenbroich.de",
        [
            _office(
                "rathaus",
                "Bürgerbüro Grevenbroich",
                "Am Markt",
                "2",
                "41515",
                "Grevenbroich",
                4,
                hours=_WEEK_WITH_SATURDAY,
            )
        ],
    ),
    DemoMunicipality(
        "05162012",
        "juechen",
        "#7a2331",
        "Schloss Dyck und Tagebaurand",
        "https://www.juechen.de",
        [_office("rathaus", "Bürgerbüro Jüchen", "Am Rathaus", "5", "41363", "Jüchen", 2)],
    ),
    DemoMunicipality(
        "05162016",
        "kaarst",
        "#00629b",
        "Die Stadt im Grünen",
        "https://www.kaarst.de",
        [_office("rathaus", "Bürgerbüro Kaarst", "Am Neumarkt", "2", "41564", "Kaarst", 3)],
    ),
    DemoMunicipality(
        "05162020",
        "korschenbroich",
        "#2b5d2a",
        "Stadt an der Niers",
        "https://www.korschenbroich.de",
        [_office("rathaus", "Bürgerbüro Korschenbroich", "Sebastianusstraße", "1", "41352", "Korschenbroich", 2)],
    ),
    DemoMunicipality(
        "05162022",
        "meerbusch",
        "#8a1c3c",
        "Acht Stadtteile am Rhein",
        "https://www.meerbusch.de",
        [
            _office("buederich", "Bürgerbüro Büderich", "Dorfstraße", "20", "40667", "Meerbusch", 3),
            _office("lank", "Bürgerbüro Lank-Latum", "Wittenberger Straße", "21", "40668", "Meerbusch", 2),
        ],
    ),
    DemoMunicipality(
        "05162024",
        "neuss",
        "#b0152b",
        "Quirinusstadt am Rhein",
        "https://www.neuss.de",
        [
            _office("rathaus", "Bürgeramt Neuss", "Markt", "2", "41460", "Neuss", 8, hours=_WEEK_WITH_SATURDAY),
            _office("erfttal", "Bürgerbüro Erfttal", "Bedburger Straße", "61", "41469", "Neuss", 2),
        ],
    ),
    DemoMunicipality(
        "05162028",
        "rommerskirchen",
        "#3a5a80",
        "Gemeinde im Gillbachtal",
        "https://www.rommerskirchen.de",
        [_office("rathaus", "Bürgerbüro Rommerskirchen", "Bahnstraße", "51", "41569", "Rommerskirchen", 2)],
    ),
]

KREIS_OFFICES: list[DemoOffice] = [
    _office(
        "strassenverkehrsamt-neuss",
        "Straßenverkehrsamt Neuss",
        "Jülicher Landstraße",
        "178",
        "41464",
        "Neuss",
        12,
        hours={d: [(T(7, 30), T(12, 30))] for d in range(5)} | {3: [(T(7, 30), T(17, 30))]},
    ),
    _office(
        "strassenverkehrsamt-grevenbroich",
        "Straßenverkehrsamt Grevenbroich",
        "Auf der Schanze",
        "4",
        "41515",
        "Grevenbroich",
        6,
        hours={d: [(T(7, 30), T(12, 30))] for d in range(5)},
    ),
    # Ausländeramt, Einbürgerung, Jagd und Waffen of the Kreis
    _office(
        "kreishaus-neuss",
        "Kreishaus Neuss",
        "Oberstraße",
        "91",
        "41460",
        "Neuss",
        4,
        hours={d: [(T(8), T(12))] for d in range(5)} | {3: [(T(8), T(12)), (T(14), T(17, 30))]},
    ),
]

DEMO_PASSWORD = "Demo-Buergerbuero-2026"  # noqa: S105 - printed by make demo on purpose; demo only
