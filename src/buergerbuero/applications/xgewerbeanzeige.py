"""XGewerbeanzeige 2.2 messages built from the data of our Gewerbe forms (pure: no ORM, no settings).

The structure — namespace, root element, ``nachrichtenkopf``, element order and the ``listURI`` /
``listVersionID`` attributes of code lists — follows the KoSIT reference message
``xgewerbeanzeige-2.2-example-valid.xml`` (an Anmeldung). One message carries one record (``satz``)
whose child says what it is: ``anmeldung``, ``ummeldung`` or ``abmeldung``.

Elements the reference does not show and we add (marked ``# not in the reference`` below) come after
the reference's elements of the same parent: ``erlaubnis`` (a permit), ``hauptniederlassung`` (the
head office when the premises are a branch), ``anschriftAlt`` / ``taetigkeitenGesamtAlt`` (the old
values of an Ummeldung).
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, Literal

from lxml import etree

from . import xga_codes as codes
from .formdef_paths import get_value
from .recipients import Recipient

__all__ = ["AuthorityInfo", "Kind", "build_message", "message_kind", "parse_message"]

Kind = Literal["anmeldung", "ummeldung", "abmeldung"]

NS = codes.NAMESPACE
_E = f"{{{NS}}}"

#: Our three services and the kind of notice each files.
SERVICE_KINDS: dict[str, Kind] = {
    "gewerbe-anmeldung": "anmeldung",
    "gewerbe-ummeldung": "ummeldung",
    "gewerbe-abmeldung": "abmeldung",
}


def message_kind(service_slug: str) -> Kind | None:
    return SERVICE_KINDS.get(service_slug)


@dataclass(frozen=True)
class AuthorityInfo:
    """The sending Gewerbeamt (``autor``)."""

    name: str
    ags: str
    email: str = ""
    phone: str = ""
    street: str = ""
    house_number: str = ""
    postcode: str = ""
    city: str = ""


# --- small element helpers ------------------------------------------------------------------------


def _el(parent: etree._Element, name: str, text: str | None = None, **attrib: str) -> etree._Element:
    element = etree.SubElement(parent, _E + name, attrib={k: v for k, v in attrib.items() if v})
    if text is not None:
        element.text = text
    return element


def _opt(parent: etree._Element, name: str, value: Any) -> None:
    """An element only when ``value`` is not empty."""
    if value not in (None, "", []):
        _el(parent, name, str(value))


def _code(parent: etree._Element, name: str, value: str, **attrib: str) -> etree._Element:
    element = _el(parent, name, **attrib)
    etree.SubElement(element, "code").text = value  # ``code`` is unqualified, as in the reference
    return element


def _flag(parent: etree._Element, name: str, value: Any) -> None:
    _code(parent, name, codes.YES if value else codes.NO)


def _int(value: Any) -> int:
    try:
        return max(0, int(value or 0))
    except (TypeError, ValueError):
        return 0


def _birth_date(value: Any) -> str:
    """``TTMMJJJJ`` as in the reference (``12101965``)."""
    try:
        return date.fromisoformat(str(value)).strftime("%d%m%Y")
    except ValueError:
        return ""


def _timestamp(moment: datetime) -> str:
    return moment.isoformat(timespec="seconds")


# --- header -----------------------------------------------------------------------------------


def _reachability(parent: etree._Element, channel: str, value: str) -> None:
    if value:
        reach = _el(parent, "erreichbarkeit")
        _code(reach, "kanal", channel)
        _el(reach, "kennung", value)


def _authority_address(parent: etree._Element, street: str, house_number: str, city: str, postcode: str) -> None:
    if street or city or postcode:
        address = _el(parent, "anschrift")
        _opt(address, "strasse", street)
        _opt(address, "hausNr", house_number)
        _opt(address, "ort", city)
        _opt(address, "plz", postcode)


def _author(parent: etree._Element, authority: AuthorityInfo) -> None:
    author = _el(parent, "autor")
    ident = _el(author, "behoerdenkennung")
    _code(ident, "praefix", codes.AUTHOR_PRAEFIX, listVersionID=codes.PRAEFIX_LIST_VERSION)
    _code(ident, "kennung", authority.ags, listURI=codes.AGS_LIST_URI, listVersionID=codes.AGS_LIST_VERSION)
    _reachability(author, codes.KANAL_EMAIL, authority.email)
    _reachability(author, codes.KANAL_TELEFON, authority.phone)
    _authority_address(author, authority.street, authority.house_number, authority.city, authority.postcode)
    _el(author, "behoerdenname", authority.name)


def _reader(parent: etree._Element, recipient: Recipient) -> None:
    reader = _el(parent, "leser")
    if recipient.kennung:
        ident = _el(reader, "behoerdenkennung")
        _code(ident, "praefix", recipient.praefix, listVersionID=codes.PRAEFIX_LIST_VERSION)
        _code(
            ident,
            "kennung",
            recipient.kennung,
            listURI=recipient.kennung_list_uri,
            listVersionID=recipient.kennung_list_version,
        )
    _reachability(reader, codes.KANAL_EMAIL, recipient.email)
    _reachability(reader, codes.KANAL_WEB, recipient.url)
    _authority_address(reader, recipient.street, recipient.house_number, recipient.city, recipient.postcode)
    _el(reader, "behoerdenname", recipient.name)


# --- the record -------------------------------------------------------------------------------


def _address(parent: etree._Element, name: str, source: Mapping[str, Any] | None) -> None:
    source = source or {}
    address = _el(parent, name)
    _opt(address, "strasse", source.get("strasse"))
    _opt(address, "hausNrVon", source.get("hausnummer"))
    _opt(address, "ort", source.get("ort"))
    _opt(address, "plz", source.get("plz"))
    _code(address, "nationSchluessel", codes.NATION_GERMANY, listVersionID=codes.NATION_LIST_VERSION)


def _document(parent: etree._Element, name: str, data: Mapping[str, Any], prefix: str, by_name: bool) -> None:
    """Handwerkskarte / Aufenthaltstitel / Erlaubnis: status, issued on, issued by."""
    document = _el(parent, name)
    _code(document, "status", codes.STATUS_PRESENT)
    _opt(document, "ausgestelltAm", get_value(data, f"nachweise.{prefix}_datum"))
    issuer = get_value(data, f"nachweise.{prefix}_behoerde")
    if by_name:
        _opt(document, "ausgestelltVonName", issuer)
    else:
        _opt(document, "ausgestelltVonOrt", issuer)


def _person(
    parent: etree._Element, person: Mapping[str, Any], function: str, data: Mapping[str, Any], *, main: bool
) -> None:
    element = _el(parent, "beteiligtePerson")
    _code(element, "personFunktion", function)
    _el(element, "familienname", str(person.get("familienname", "")))
    _opt(element, "vorname", person.get("vorname"))
    gender = codes.GESCHLECHT.get(str(person.get("geschlecht", "")))
    if gender:
        _code(element, "geschlecht", gender, listVersionID=codes.GESCHLECHT_LIST_VERSION)
    _opt(element, "geburtsname", person.get("geburtsname"))
    _opt(element, "geburtsdatum", _birth_date(person.get("geburtsdatum", "")))
    _opt(element, "geburtsort", person.get("geburtsort"))
    _opt(element, "geburtsland", person.get("geburtsland"))
    chosen = [person.get("staatsangehoerigkeit"), person.get("weitere_staatsangehoerigkeit")]
    nationalities = [codes.STAATSANGEHOERIGKEIT[n] for n in chosen if n in codes.STAATSANGEHOERIGKEIT]
    if nationalities:
        wrapper = _el(element, "staatangehoerigkeiten")  # sic, the reference's spelling
        for key in nationalities:
            _code(wrapper, "staatsangehoerigkeitSchluessel", key, listVersionID=codes.STAATSANGEHOERIGKEIT_LIST_VERSION)
    if person.get("strasse") or person.get("ort"):
        _address(element, "anschrift", person)
    if main:
        _reachability(element, codes.KANAL_TELEFON, str(get_value(data, "kontakt.telefon") or ""))
        _reachability(element, codes.KANAL_EMAIL, str(get_value(data, "kontakt.email") or ""))
        if get_value(data, "nachweise.aufenthaltstitel_vorhanden"):
            _document(element, "aufenthaltstitel", data, "aufenthaltstitel", by_name=True)


def _business(parent: etree._Element, data: Mapping[str, Any], kind: Kind) -> None:
    gewerbe = _el(parent, "gewerbe")
    owner = get_value(data, "inhaber") or {}
    betrieb = _el(gewerbe, "betrieb")
    _el(betrieb, "ID", "1")
    _opt(betrieb, "eingetragenerName", owner.get("firma"))
    if owner.get("im_register"):
        _opt(betrieb, "eintragungNr", owner.get("register_nummer"))
        _opt(betrieb, "eintragungOrt", owner.get("register_gericht"))
        register = codes.REGISTER_ART.get(str(owner.get("register_art", "")))
        if register:
            _code(betrieb, "eintragungArt", register)
    legal_form = codes.RECHTSFORM.get(str(owner.get("rechtsform", "")))
    if legal_form:
        _code(betrieb, "rechtsformSchluessel", legal_form)

    _el(gewerbe, "anzahlVollzeitBeschaeftigte", str(_int(get_value(data, "beschaeftigte.vollzeit"))))
    _el(gewerbe, "anzahlTeilzeitBeschaeftigte", str(_int(get_value(data, "beschaeftigte.teilzeit"))))
    kinds = get_value(data, "taetigkeit.art_des_betriebes") or []
    art = _el(gewerbe, "betriebArt")
    for name in ("industrie", "handwerk", "handel", "sonstiges"):
        _flag(art, name, name in kinds)
    branch = codes.NIEDERLASSUNG.get(str(get_value(data, "betrieb.niederlassung_art") or "hauptniederlassung"), "1")
    _code(gewerbe, "niederlassungArt", branch)
    _flag(gewerbe, "istReisegewerbe", False)
    _flag(gewerbe, "istNebenerwerb", get_value(data, "taetigkeit.nebenerwerb"))
    if get_value(data, "nachweise.handwerkskarte_vorhanden"):
        _document(gewerbe, "handwerkskarte", data, "handwerkskarte", by_name=False)
    _address(gewerbe, "anschrift", get_value(data, "betrieb"))
    person = get_value(data, "person") or {}
    company = owner.get("art") == "company"
    _person(gewerbe, person, codes.PERSON_REPRESENTATIVE if company else codes.PERSON_OWNER, data, main=True)
    for representative in get_value(data, "vertreter") or []:
        _person(gewerbe, representative, codes.PERSON_REPRESENTATIVE, data, main=False)
    # not in the reference:
    if get_value(data, "nachweise.erlaubnis_erforderlich"):
        _document(gewerbe, "erlaubnis", data, "erlaubnis", by_name=True)
    if get_value(data, "betrieb.hauptniederlassung_abweichend"):
        _address(gewerbe, "hauptniederlassung", get_value(data, "betrieb.hauptniederlassung"))


def _activities(parent: etree._Element, name: str, schwerpunkt: Any, wz_code: Any, weitere: Any) -> None:
    activities = _el(parent, name)
    main = _el(activities, "schwerpunkt")
    _el(main, "taetigkeitSchwerpunkt", str(schwerpunkt or ""))
    _opt(main, "taetigkeitSchluessel", str(wz_code or "").replace(".", "").strip())
    further = [line.strip() for line in str(weitere or "").splitlines() if line.strip()]
    if further:
        more = _el(activities, "weitereTaetigkeiten")
        _el(more, "taetigkeitenZusammengefasst", "|".join(further))


def _valid_from(kind: Kind, data: Mapping[str, Any]) -> Any:
    return {
        "anmeldung": get_value(data, "taetigkeit.beginn"),
        "ummeldung": get_value(data, "aenderung.datum"),
        "abmeldung": get_value(data, "aufgabe.datum"),
    }[kind]


def _reason_codes(kind: Kind, data: Mapping[str, Any]) -> list[str]:
    if kind == "anmeldung":
        return [codes.GRUND_ANMELDUNG.get(str(get_value(data, "grund.art")), codes.GRUND_ANMELDUNG["neuerrichtung"])]
    if kind == "ummeldung":
        return [codes.GRUND_UMMELDUNG[c] for c in get_value(data, "aenderung.art") or [] if c in codes.GRUND_UMMELDUNG]
    return [codes.GRUND_ABMELDUNG.get(str(get_value(data, "aufgabe.grund")), codes.GRUND_ABMELDUNG["aufgabe"])]


def build_message(
    *,
    kind: Kind,
    data: Mapping[str, Any],
    file_number: str,
    submitted_at: datetime,
    authority: AuthorityInfo,
    recipients: Sequence[Recipient],
    message_id: uuid.UUID,
) -> bytes:
    """The XGewerbeanzeige 2.2 message (UTF-8, pretty-printed, with the XML declaration)."""
    if kind not in codes.RECORD_ELEMENT:
        raise ValueError(f"unknown kind of Gewerbeanzeige: {kind!r}")
    root = etree.Element(
        _E + codes.ROOT_ELEMENT,
        nsmap={"xga": NS},
        attrib={
            "produkt": "Bürgerbüro",
            "produkthersteller": "Bürgerbüro",
            "produktversion": "1",
            "standard": codes.STANDARD,
            "version": codes.VERSION,
        },
    )
    header = _el(root, "nachrichtenkopf")
    identification = _el(header, "identifikation.nachricht")
    _el(identification, "nachrichtenUUID", str(message_id))
    _code(identification, "nachrichtentyp", codes.MESSAGE_TYPE)
    _el(identification, "erstellungszeitpunkt", _timestamp(submitted_at))
    for recipient in recipients:
        _reader(header, recipient)
    _author(header, authority)

    record = _el(_el(root, "satz"), codes.RECORD_ELEMENT[kind])
    _el(record, "satzErstellung", _timestamp(submitted_at))
    _el(record, "ereigniszeitpunkt", _timestamp(submitted_at))
    _author(record, authority)
    _flag(record, "istKorrektur", False)
    _code(record, "gemeindeSchluessel", authority.ags, listVersionID=codes.GEMEINDE_LIST_VERSION)
    _el(record, "gemeindeMeldungNr", file_number)
    business_id = uuid.uuid5(uuid.NAMESPACE_URL, f"gewerbebetrieb:{authority.ags}:{file_number}")
    _el(record, "gewerbebetriebID", str(business_id))
    _el(record, "uuid", str(uuid.uuid5(message_id, "satz")).upper())
    _business(record, data, kind)
    _opt(record, "gueltigAb", _valid_from(kind, data))
    _el(record, "datumMeldung", submitted_at.date().isoformat())
    taetigkeit = get_value(data, "taetigkeit") or {}
    _activities(
        record,
        "taetigkeitenGesamt",
        taetigkeit.get("schwerpunkt"),
        taetigkeit.get("wz_code"),
        taetigkeit.get("weitere"),
    )
    for reason in _reason_codes(kind, data):
        _code(record, codes.REASON_ELEMENT[kind], reason)
    if kind == "ummeldung":  # not in the reference: the values before the change
        changes = get_value(data, "aenderung") or {}
        if "verlegung" in (changes.get("art") or []):
            _address(record, "anschriftAlt", changes.get("alt"))
        if changes.get("alt_taetigkeit"):
            _activities(record, "taetigkeitenGesamtAlt", changes.get("alt_taetigkeit"), "", "")
    return bytes(etree.tostring(root, pretty_print=True, xml_declaration=True, encoding="UTF-8"))


def parse_message(document: bytes) -> etree._Element:
    """Parse a message (ours or another's) safely: no DTDs, no entities, no network."""
    parser = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False, huge_tree=False)
    return etree.fromstring(document, parser=parser)
