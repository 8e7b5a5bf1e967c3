"""Complete data of the three Gewerbe forms for the XGA tests (a hairdresser like the KoSIT reference,
a GmbH with two managing directors, an Ummeldung of premises, an Abmeldung)."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

FORMS_DIR = Path(__file__).resolve().parents[2] / "src" / "buergerbuero" / "applications" / "forms"
STANDARDS = Path(__file__).resolve().parents[3] / "shared" / "data" / "standards"
REFERENCE = STANDARDS / "xgewerbeanzeige-2.2-example-valid.xml"
INVALID_REFERENCE = REFERENCE.with_name("xgewerbeanzeige-2.2-example-invalid.xml")


def definition(slug: str) -> dict[str, Any]:
    return json.loads((FORMS_DIR / f"{slug}.json").read_text(encoding="utf-8"))


#: Tibor Pick, Chilean national, e.K., hairdresser with two part-time employees, Handwerkskarte and
#: residence title (as in the reference message), here in Kaarst.
HAIRDRESSER: dict[str, Any] = {
    "inhaber": {
        "art": "person",
        "rechtsform": "ek",
        "firma": "Tibor Pick e.K.",
        "im_register": True,
        "register_art": "hra",
        "register_gericht": "Neuss",
        "register_nummer": "11111",
    },
    "person": {
        "familienname": "Pick",
        "vorname": "Tibor",
        "geburtsname": "Rodríguez",
        "geschlecht": "maennlich",
        "geburtsdatum": "1965-10-12",
        "geburtsort": "Santiago",
        "geburtsland": "Chile",
        "staatsangehoerigkeit": "CL",
        "strasse": "Ewald-Hase-Str.",
        "hausnummer": "4",
        "plz": "41564",
        "ort": "Kaarst",
    },
    "kontakt": {"telefon": "02131 141455", "email": "tibor.pick@example.org"},
    "betrieb": {
        "strasse": "Neusser Str.",
        "hausnummer": "90",
        "plz": "41564",
        "ort": "Kaarst",
        "niederlassung_art": "hauptniederlassung",
    },
    "taetigkeit": {
        "schwerpunkt": "Friseur",
        "wz_code": "96.02.1",
        "weitere": "Verkauf von Haarpflegeprodukten\nMake-up-Beratung",
        "beginn": "2026-08-01",
        "art_des_betriebes": ["handwerk"],
        "nebenerwerb": False,
    },
    "beschaeftigte": {"vollzeit": 0, "teilzeit": 2},
    "grund": {"art": "neuerrichtung"},
    "nachweise": {
        "handwerkskarte_vorhanden": True,
        "handwerkskarte_behoerde": "Düsseldorf",
        "handwerkskarte_datum": "2012-03-01",
        "handwerkskarte_datei": ["7b0c7a51-0000-4000-8000-000000000001"],
        "aufenthaltstitel_vorhanden": True,
        "aufenthaltstitel_behoerde": "Rhein-Kreis Neuss",
        "aufenthaltstitel_datum": "2002-01-02",
        "aufenthaltstitel_datei": ["7b0c7a51-0000-4000-8000-000000000002"],
    },
}


def _director(family: str, given: str, sex: str, born: str) -> dict[str, Any]:
    return {
        "familienname": family,
        "vorname": given,
        "geschlecht": sex,
        "geburtsdatum": born,
        "geburtsort": "Düsseldorf",
        "geburtsland": "Deutschland",
        "staatsangehoerigkeit": "DE",
        "strasse": "Hauptstr.",
        "hausnummer": "12",
        "plz": "41564",
        "ort": "Kaarst",
    }


#: A software-trading GmbH with two managing directors and four employees; needs a permit? no.
GMBH: dict[str, Any] = {
    "inhaber": {
        "art": "company",
        "rechtsform": "gmbh",
        "firma": "Kaarster Datenhandel GmbH",
        "im_register": True,
        "register_art": "hrb",
        "register_gericht": "Neuss",
        "register_nummer": "20456",
    },
    "person": _director("Schmitz", "Anna", "weiblich", "1980-04-02"),
    "vertreter": [_director("Yılmaz", "Deniz", "divers", "1985-11-30")],
    "kontakt": {"email": "info@datenhandel.example.org"},
    "betrieb": {
        "strasse": "Am Neumarkt",
        "hausnummer": "1",
        "plz": "41564",
        "ort": "Kaarst",
        "niederlassung_art": "zweigniederlassung",
        "hauptniederlassung_abweichend": True,
        "hauptniederlassung": {"strasse": "Königsallee", "hausnummer": "5", "plz": "40212", "ort": "Düsseldorf"},
    },
    "taetigkeit": {
        "schwerpunkt": "Handel mit Software und Computern",
        "beginn": "2026-09-01",
        "art_des_betriebes": ["handel"],
    },
    "beschaeftigte": {"vollzeit": 3, "teilzeit": 1},
    "grund": {"art": "neuerrichtung"},
    "nachweise": {},
}

#: The hairdresser moves within Kaarst.
RELOCATION: dict[str, Any] = {
    **copy.deepcopy({k: HAIRDRESSER[k] for k in ("inhaber", "person", "kontakt", "beschaeftigte")}),
    "aenderung": {
        "art": ["verlegung"],
        "datum": "2027-01-01",
        "alt": {"strasse": "Neusser Str.", "hausnummer": "90", "plz": "41564", "ort": "Kaarst"},
    },
    "betrieb": {
        "strasse": "Maubisstr.",
        "hausnummer": "7",
        "plz": "41564",
        "ort": "Kaarst",
        "niederlassung_art": "hauptniederlassung",
    },
    "taetigkeit": {"schwerpunkt": "Friseur", "wz_code": "96021", "art_des_betriebes": ["handwerk"]},
    "nachweise": {},
}

#: The GmbH closes for economic reasons; nothing continues.
CLOSURE: dict[str, Any] = {
    **copy.deepcopy({k: GMBH[k] for k in ("inhaber", "person", "vertreter", "kontakt")}),
    "betrieb": {
        "strasse": "Am Neumarkt",
        "hausnummer": "1",
        "plz": "41564",
        "ort": "Kaarst",
        "niederlassung_art": "hauptniederlassung",
    },
    "taetigkeit": {"schwerpunkt": "Handel mit Software und Computern", "art_des_betriebes": ["handel"]},
    "beschaeftigte": {"vollzeit": 0, "teilzeit": 0},
    "aufgabe": {"datum": "2027-03-31", "umfang": "vollstaendig", "grund": "aufgabe", "ursache": "wirtschaftlich"},
}
