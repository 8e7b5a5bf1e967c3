"""The Gewerbe forms, the recipient rules and the XGewerbeanzeige 2.2 messages (pure; no database)."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

import pytest
from jsonschema import Draft202012Validator
from lxml import etree

from buergerbuero.applications import xga_codes
from buergerbuero.applications.formdef import clean_data, fee_answers, parse_definition, routing_postcode
from buergerbuero.applications.formdef_validation import validate_all, validate_step
from buergerbuero.applications.recipients import Recipient, recipients_for
from buergerbuero.applications.xgewerbeanzeige import AuthorityInfo, build_message, parse_message

from .xga_data import CLOSURE, GMBH, HAIRDRESSER, INVALID_REFERENCE, REFERENCE, RELOCATION, definition

SLUGS = ("gewerbe-anmeldung", "gewerbe-ummeldung", "gewerbe-abmeldung")
NS = xga_codes.NAMESPACE
AUTHORITY = AuthorityInfo(
    name="Gewerbemeldestelle Stadt Kaarst", ags="05162016", email="gewerbe@kaarst.de", phone="02131 987-0"
)
READER = Recipient(
    key="finanzamt",
    name="Finanzamt Neuss",
    reason="jede Gewerbeanzeige",
    praefix="azr",
    kennung="000100",
    kennung_list_uri="urn:de:xauslaender:codelist:abhkennung",
    kennung_list_version="14",
    email="poststelle@example.org",
    url="https://verteilplattform.example.org",
    street="Testallee",
    house_number="42",
    postcode="41460",
    city="Neuss",
)


# --- the forms -------------------------------------------------------------------------------------


@pytest.mark.parametrize("slug", SLUGS)
def test_it_ships_valid_form_definitions(slug: str) -> None:
    raw = definition(slug)
    Draft202012Validator.check_schema(raw["schema"])
    spec = parse_definition(raw)
    assert raw["service"] == slug
    assert raw["routing"] == "betrieb.plz"
    assert raw["fee_answers"] == {"legal_form": "inhaber.art"}
    assert [s.key for s in spec.steps][:4] == ["inhaber", "person", "vertreter", "kontakt"]


@pytest.mark.parametrize(
    ("slug", "data"),
    [
        ("gewerbe-anmeldung", HAIRDRESSER),
        ("gewerbe-anmeldung", GMBH),
        ("gewerbe-ummeldung", RELOCATION),
        ("gewerbe-abmeldung", CLOSURE),
    ],
)
def test_it_accepts_realistic_complete_data(slug: str, data: dict[str, Any]) -> None:
    spec = parse_definition(definition(slug))
    assert validate_all(spec, data) == {}
    assert clean_data(spec, data) == data  # nothing of it is hidden
    assert routing_postcode(spec, data) == "41564"


def test_the_fee_answer_matches_the_catalogue_rule() -> None:
    spec = parse_definition(definition("gewerbe-anmeldung"))
    assert fee_answers(spec, HAIRDRESSER) == {"legal_form": "person"}
    assert fee_answers(spec, GMBH) == {"legal_form": "company"}


def test_a_company_must_give_its_name_and_register_details() -> None:
    spec = parse_definition(definition("gewerbe-anmeldung"))
    data = {**GMBH, "inhaber": {"art": "company", "rechtsform": "gmbh", "im_register": True}}
    errors = validate_step(spec, "inhaber", data)
    assert set(errors) == {
        "inhaber.firma",
        "inhaber.register_art",
        "inhaber.register_gericht",
        "inhaber.register_nummer",
    }
    assert all(messages for messages in errors.values())


def test_a_crafts_card_needs_its_copy_and_hidden_proofs_are_dropped() -> None:
    spec = parse_definition(definition("gewerbe-anmeldung"))
    nachweise = {**HAIRDRESSER["nachweise"], "handwerkskarte_datei": []}
    errors = validate_step(spec, "nachweise", {**HAIRDRESSER, "nachweise": nachweise})
    assert list(errors) == ["nachweise.handwerkskarte_datei"]

    unticked = {**HAIRDRESSER["nachweise"], "aufenthaltstitel_vorhanden": False}
    cleaned = clean_data(spec, {**HAIRDRESSER, "nachweise": unticked})
    assert "aufenthaltstitel_datei" not in cleaned["nachweise"]
    assert "aufenthaltstitel_behoerde" not in cleaned["nachweise"]


def test_an_ummeldung_of_premises_needs_the_old_address() -> None:
    spec = parse_definition(definition("gewerbe-ummeldung"))
    data = {**RELOCATION, "aenderung": {"art": ["verlegung"], "datum": "2027-01-01"}}
    errors = validate_all(spec, data)
    assert {"aenderung.alt.strasse", "aenderung.alt.plz"} <= set(errors)
    changed_activity = {"art": ["taetigkeit_wechsel"], "datum": "2027-01-01"}
    assert set(validate_all(spec, {**RELOCATION, "aenderung": changed_activity})) == {"aenderung.alt_taetigkeit"}


def test_an_abmeldung_on_handing_over_names_the_successor() -> None:
    spec = parse_definition(definition("gewerbe-abmeldung"))
    data = {**CLOSURE, "aufgabe": {"datum": "2027-03-31", "umfang": "vollstaendig", "grund": "uebergabe"}}
    assert list(validate_all(spec, data)) == ["aufgabe.nachfolger"]


# --- recipients -----------------------------------------------------------------------------------


def _keys(kind: str, data: dict[str, Any]) -> list[str]:
    return [r.key for r in recipients_for(kind, data, {})]


def test_a_craft_business_goes_to_the_chamber_of_crafts() -> None:
    assert _keys("anmeldung", HAIRDRESSER) == [
        "finanzamt",
        "statistik",
        "hwk",
        "gewerbeaufsicht",
        "arbeitsagentur",
        "berufsgenossenschaft",
        "registergericht",
        "auslaenderbehoerde",
    ]


def test_a_trading_company_goes_to_the_chamber_of_commerce() -> None:
    assert _keys("anmeldung", GMBH) == [
        "finanzamt",
        "statistik",
        "ihk",
        "gewerbeaufsicht",
        "arbeitsagentur",
        "berufsgenossenschaft",
        "registergericht",
    ]


def test_a_relocation_does_not_concern_the_accident_insurance() -> None:
    keys = _keys("ummeldung", {**RELOCATION, "beschaeftigte": {"vollzeit": 0, "teilzeit": 0}})
    assert keys == ["finanzamt", "statistik", "hwk", "registergericht"]
    changed = {**RELOCATION, "aenderung": {**RELOCATION["aenderung"], "art": ["taetigkeit_wechsel"]}}
    assert "berufsgenossenschaft" in _keys("ummeldung", changed)


def test_a_closure_without_staff_goes_to_fewer_recipients() -> None:
    assert _keys("abmeldung", CLOSURE) == ["finanzamt", "statistik", "ihk", "berufsgenossenschaft", "registergericht"]


def test_measuring_instruments_bring_in_the_verification_office() -> None:
    data = {**GMBH, "taetigkeit": {**GMBH["taetigkeit"], "messgeraete": True}}
    assert "eichamt" in _keys("anmeldung", data)


def test_recipient_names_come_from_the_directory_and_reasons_are_given() -> None:
    directory = {"finanzamt": {"name": "Finanzamt Neuss", "email": "fa@example.org"}}
    first, second = recipients_for("anmeldung", HAIRDRESSER, directory)[:2]
    assert (first.name, first.email) == ("Finanzamt Neuss", "fa@example.org")
    assert second.name == "statistik"  # not in the directory: named by its key, never dropped
    assert all(r.reason for r in recipients_for("anmeldung", HAIRDRESSER, directory))
    with pytest.raises(ValueError):
        recipients_for("verkauf", HAIRDRESSER, directory)


# --- the message ----------------------------------------------------------------------------------


def _message(kind: str, data: dict[str, Any]) -> bytes:
    return build_message(
        kind=kind,  # type: ignore[arg-type]
        data=data,
        file_number="32.11/2026/000123",
        submitted_at=datetime(2026, 7, 2, 15, 0, 42, tzinfo=UTC),
        authority=AUTHORITY,
        recipients=[READER],
        message_id=uuid.UUID("00000000-0000-0000-0000-000000000001"),
    )


def _local(element: etree._Element) -> str:
    return etree.QName(element).localname


def _paths(root: etree._Element) -> list[str]:
    """Every element's path of local names in document order, each path at its first occurrence.

    Repeatable elements (``erreichbarkeit``: the reference gives a phone number, we also the e-mail)
    then count once, while the order of everything stays compared.
    """
    paths: list[str] = []
    for element in root.iter():
        if not isinstance(element.tag, str):
            continue  # comments
        names = [_local(e) for e in reversed(list(element.iterancestors()))] + [_local(element)]
        path = "/".join(names)
        if path not in paths:
            paths.append(path)
    return paths


def _code_attributes(root: etree._Element) -> dict[str, set[tuple[tuple[str, str], ...]]]:
    found: dict[str, set[tuple[tuple[str, str], ...]]] = {}
    for element in root.iter():
        if isinstance(element.tag, str) and element.attrib and element is not root:
            found.setdefault(_local(element), set()).add(tuple(sorted(element.attrib.items())))
    return found


#: Elements of the reference we leave out, each optional: the register's postcode and court key (we ask
#: for the court's town, not its XJustiz key), the street key (no street register), the HWK's postcode
#: and key, the residence title's issuer postcode and town (we ask for the authority's name), the
#: author's address (a municipality record has none) and the activity's ``stichwort`` (the WZ keyword
#: text; the form asks for the code only).
OPTIONAL_IN_OURS = {
    "schwerpunkt/stichwort",
    "betrieb/eintragungPLZ",
    "betrieb/gerichtSchluessel",
    "gewerbe/anschrift/strassenschluessel",
    "handwerkskarte/ausgestelltVonPLZ",
    "handwerkskarte/ausgestelltVonSchluessel",
    "aufenthaltstitel/ausgestelltVonPLZ",
    "aufenthaltstitel/ausgestelltVonOrt",
    "nachrichtenkopf/autor/anschrift",
    "satz/anmeldung/autor/anschrift",
}


def _skip(path: str, suffixes: set[str]) -> bool:
    return any(path.endswith(s) or f"/{s}/" in f"/{path}/" for s in suffixes)


def test_an_anmeldung_follows_the_reference_structure() -> None:
    ours = parse_message(_message("anmeldung", HAIRDRESSER))
    reference = parse_message(REFERENCE.read_bytes())

    assert ours.tag == reference.tag == f"{{{NS}}}abh.gewerbemeldung.0500"
    assert ours.nsmap == {"xga": NS}
    assert {k: ours.get(k) for k in ("standard", "version")} == {"standard": "XGewerbeanzeige", "version": "2.2"}

    expected = [p for p in _paths(reference) if not _skip(p, OPTIONAL_IN_OURS)]
    actual = [p for p in _paths(ours) if not _skip(p, OPTIONAL_IN_OURS)]
    assert actual == expected

    ours_attrs, reference_attrs = _code_attributes(ours), _code_attributes(reference)
    for name in ("praefix", "gemeindeSchluessel", "nationSchluessel", "geschlecht", "staatsangehoerigkeitSchluessel"):
        assert ours_attrs[name] <= reference_attrs[name], name
    author_kennung = ("listURI", xga_codes.AGS_LIST_URI), ("listVersionID", xga_codes.AGS_LIST_VERSION)
    assert author_kennung in ours_attrs["kennung"] and author_kennung in reference_attrs["kennung"]


def test_an_anmeldung_carries_the_values_of_the_form() -> None:
    document = _message("anmeldung", HAIRDRESSER)
    assert document.startswith(b"<?xml version='1.0' encoding='UTF-8'?>\n")
    root = parse_message(document)
    ns = {"x": NS}

    def text(xpath: str) -> list[str]:
        return [str(v).strip() for v in root.xpath(xpath, namespaces=ns)]

    assert text("//x:nachrichtenUUID/text()") == ["00000000-0000-0000-0000-000000000001"]
    assert text("//x:nachrichtentyp/code/text()") == ["0500"]
    assert text("//x:gemeindeMeldungNr/text()") == ["32.11/2026/000123"]
    assert text("//x:betrieb/x:rechtsformSchluessel/code/text()") == ["170"]
    assert text("//x:betrieb/x:eintragungArt/code/text()") == ["A"]
    assert text("//x:beteiligtePerson/x:geburtsdatum/text()") == ["12101965"]
    assert text("//x:staatsangehoerigkeitSchluessel/code/text()") == ["332"]
    assert text("//x:betriebArt/*/code/text()") == ["0", "1", "0", "0"]
    assert text("//x:anzahlTeilzeitBeschaeftigte/text()") == ["2"]
    assert text("//x:taetigkeitSchluessel/text()") == ["96021"]
    assert text("//x:taetigkeitenZusammengefasst/text()") == ["Verkauf von Haarpflegeprodukten|Make-up-Beratung"]
    assert text("//x:grundAnmeldungSchluessel/code/text()") == ["01"]
    assert text("//x:gueltigAb/text()") == ["2026-08-01"]
    assert text("//x:leser/x:behoerdenname/text()") == ["Finanzamt Neuss"]
    assert text("//x:autor/x:behoerdenkennung/x:kennung/code/text()") == ["05162016", "05162016"]


def test_a_company_lists_every_managing_director() -> None:
    root = parse_message(_message("anmeldung", GMBH))
    ns = {"x": NS}
    people = root.xpath("//x:beteiligtePerson", namespaces=ns)
    assert [p.findtext(f"{{{NS}}}familienname") for p in people] == ["Schmitz", "Yılmaz"]
    assert root.xpath("//x:beteiligtePerson/x:personFunktion/code/text()", namespaces=ns) == ["2", "2"]
    assert root.xpath("//x:niederlassungArt/code/text()", namespaces=ns) == ["2"]
    assert root.xpath("//x:hauptniederlassung/x:ort/text()", namespaces=ns) == ["Düsseldorf"]


def test_ummeldung_and_abmeldung_are_records_of_their_own_kind() -> None:
    ns = {"x": NS}
    moved = parse_message(_message("ummeldung", RELOCATION))
    assert moved.xpath("local-name(x:satz/*)", namespaces=ns) == "ummeldung"
    assert moved.xpath("//x:grundUmmeldungSchluessel/code/text()", namespaces=ns) == ["01"]
    assert moved.xpath("//x:anschriftAlt/x:strasse/text()", namespaces=ns) == ["Neusser Str."]
    assert moved.xpath("//x:gueltigAb/text()", namespaces=ns) == ["2027-01-01"]

    closed = parse_message(_message("abmeldung", CLOSURE))
    assert closed.xpath("local-name(x:satz/*)", namespaces=ns) == "abmeldung"
    assert closed.xpath("//x:grundAbmeldungSchluessel/code/text()", namespaces=ns) == ["01"]
    assert closed.xpath("//x:gueltigAb/text()", namespaces=ns) == ["2027-03-31"]


def test_the_required_elements_missing_from_the_invalid_reference_are_always_written() -> None:
    """The invalid reference lacks ``betriebArt`` and the person's ``familienname``; ours never does."""
    ns = {"x": NS}
    invalid = parse_message(INVALID_REFERENCE.read_bytes())
    assert not invalid.xpath("//x:betriebArt", namespaces=ns)
    sparse = {**HAIRDRESSER, "taetigkeit": {"schwerpunkt": "Friseur"}, "person": {}}
    root = parse_message(_message("anmeldung", sparse))
    assert len(root.xpath("//x:gewerbe/x:betriebArt/*", namespaces=ns)) == 4
    assert len(root.xpath("//x:beteiligtePerson/x:familienname", namespaces=ns)) == 1


def test_parsing_refuses_entities() -> None:
    evil = b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY e SYSTEM "file:///etc/passwd">]><x>&e;</x>'
    root = parse_message(evil)
    assert "root:" not in (root.text or "")
