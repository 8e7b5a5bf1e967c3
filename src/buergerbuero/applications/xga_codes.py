"""Code lists of the XGewerbeanzeige 2.2 messages we build, from our form values to the message's codes.

Pure data. Each list says where it comes from. The reference message
(``xgewerbeanzeige-2.2-example-valid.xml``, KoSIT test suite) confirms the codes marked *reference*;
the others follow the numbering of the GewAnzV forms (Anlage 1–3) or the Destatis key lists and are
marked *assumed* until they are checked against the official XGewerbeanzeige code lists (XRepository).
"""

from __future__ import annotations

from typing import Final

#: The message's namespace and the standard's name and version (reference).
NAMESPACE: Final = "http://www.xgewerbeanzeige.de/spezifikation/2.2"
STANDARD: Final = "XGewerbeanzeige"
VERSION: Final = "2.2"

#: Message type of a Gewerbemeldung; the record (``satz``) inside says whether it is an Anmeldung,
#: Ummeldung or Abmeldung (reference: ``abh.gewerbemeldung.0500`` carrying ``satz/anmeldung``).
MESSAGE_TYPE: Final = "0500"
ROOT_ELEMENT: Final = f"abh.gewerbemeldung.{MESSAGE_TYPE}"

#: ``satz`` child per kind of notice (``anmeldung`` reference; the other two assumed by analogy).
RECORD_ELEMENT: Final = {"anmeldung": "anmeldung", "ummeldung": "ummeldung", "abmeldung": "abmeldung"}
#: The element carrying the reason code per kind (``grundAnmeldungSchluessel`` reference).
REASON_ELEMENT: Final = {
    "anmeldung": "grundAnmeldungSchluessel",
    "ummeldung": "grundUmmeldungSchluessel",
    "abmeldung": "grundAbmeldungSchluessel",
}

# --- code-list attributes exactly as the reference writes them -----------------------------------
PRAEFIX_LIST_VERSION: Final = "7"
AGS_LIST_URI: Final = "urn:de:bund:destatis:bevoelkerungsstatistik:schluessel:ags"
AGS_LIST_VERSION: Final = "2018-01-31"
GEMEINDE_LIST_VERSION: Final = "2019-05-31"
NATION_LIST_VERSION: Final = "2"
GESCHLECHT_LIST_VERSION: Final = "3"
STAATSANGEHOERIGKEIT_LIST_VERSION: Final = "2019-04-01"
#: The author's identification prefix when identified by its AGS (reference).
AUTHOR_PRAEFIX: Final = "MELDID"

#: Channels of ``erreichbarkeit`` (reference: 01 e-mail, 02 telephone, 09 web address).
KANAL_EMAIL: Final = "01"
KANAL_TELEFON: Final = "02"
KANAL_WEB: Final = "09"

#: ISO 3166-1 numeric code of Germany for addresses (reference: ``nationSchluessel`` 276).
NATION_GERMANY: Final = "276"

#: Yes/no flags (``istKorrektur``, ``betriebArt/*``, ``istNebenerwerb``; reference).
YES: Final = "1"
NO: Final = "0"

#: ``personFunktion``: 1 the owner (reference, a sole trader); 2 a legal representative (assumed).
PERSON_OWNER: Final = "1"
PERSON_REPRESENTATIVE: Final = "2"

#: ``status`` of Handwerkskarte / Aufenthaltstitel / Erlaubnis: 1 = present (reference).
STATUS_PRESENT: Final = "1"

#: Gender (``geschlecht``, list version 3): 1 male (reference); the rest assumed in the order of XMeld.
GESCHLECHT: Final = {"maennlich": "1", "weiblich": "2", "divers": "3", "ohne_angabe": "4"}

#: Legal form (``rechtsformSchluessel``): 170 e.K. (reference); the others assumed.
RECHTSFORM: Final = {
    "einzelunternehmen": "110",
    "ek": "170",
    "gbr": "210",
    "ohg": "220",
    "kg": "230",
    "gmbh_co_kg": "240",
    "partg": "250",
    "gmbh": "310",
    "ug": "320",
    "ag": "330",
    "eg": "340",
    "ev": "350",
    "ltd": "360",
    "sonstige": "990",
}

#: Register kind (``eintragungArt``): A = Handelsregister Abteilung A (reference), B, GnR, PR, VR.
REGISTER_ART: Final = {"hra": "A", "hrb": "B", "gnr": "GnR", "pr": "PR", "vr": "VR"}

#: ``niederlassungArt``: 1 Hauptniederlassung (reference); 2, 3 in the order of GewA 1 (assumed).
NIEDERLASSUNG: Final = {"hauptniederlassung": "1", "zweigniederlassung": "2", "unselbstaendige_zweigstelle": "3"}

#: Reason of an Anmeldung (GewA 1 field 20): 01 Neuerrichtung (reference); the rest assumed.
GRUND_ANMELDUNG: Final = {
    "neuerrichtung": "01",
    "zuzug": "02",
    "uebernahme": "03",
    "rechtsformwechsel": "04",
    "gesellschaftereintritt": "05",
    "umwandlung": "06",
}

#: Reason of an Ummeldung (GewA 2; assumed): relocation within the municipality, change or extension of the activity.
GRUND_UMMELDUNG: Final = {
    "verlegung": "01",
    "taetigkeit_wechsel": "02",
    "taetigkeit_ausdehnung": "03",
    "taetigkeit_einschraenkung": "04",
    "namensaenderung": "05",
}

#: Reason of an Abmeldung (GewA 3; assumed).
GRUND_ABMELDUNG: Final = {
    "aufgabe": "01",
    "verlegung": "02",
    "uebergabe": "03",
    "rechtsformwechsel": "04",
    "gesellschafteraustritt": "05",
    "umwandlung": "06",
}

#: Nationalities offered by the forms: ISO 3166-1 alpha-2 (our value) → Destatis Staatsangehörigkeitsschlüssel.
#: Chile 332 is confirmed by the reference; the others are the Destatis keys (to be checked against list 2019-04-01).
STAATSANGEHOERIGKEIT: Final = {
    "DE": "000",
    "AT": "151",
    "BE": "124",
    "BG": "125",
    "CH": "158",
    "CL": "332",
    "CN": "479",
    "DK": "126",
    "ES": "161",
    "FR": "129",
    "GB": "168",
    "GR": "134",
    "HR": "130",
    "IN": "436",
    "IQ": "438",
    "IR": "439",
    "IT": "137",
    "NL": "148",
    "PL": "152",
    "PT": "153",
    "RO": "154",
    "RU": "160",
    "SY": "475",
    "TR": "163",
    "UA": "166",
    "US": "368",
    "VN": "432",
}
