"""Who receives a Gewerbeanzeige, and why: the hand-off rules of § 14 GewO.

Pure: the rules read the submitted form data; the names and addresses of the authorities come from a
directory (``settings.XGEWERBEANZEIGE_RECIPIENTS``, one per Kreis) passed in by the caller.

The rules keep to what the form tells us:

* Finanzamt — always (the tax office learns of every start, change and end of a trade).
* Statistisches Landesamt — always (Gewerbeanzeigenstatistik).
* Handwerkskammer for crafts (``Handwerk`` among the kinds of business, or a Handwerkskarte),
  otherwise the Industrie- und Handelskammer.
* Gewerbeaufsicht / Arbeitsschutz and the Bundesagentur für Arbeit when the business has employees.
* Berufsgenossenschaft (statutory accident insurance) on an Anmeldung or Abmeldung, and on an
  Ummeldung that changes the activity.
* Registergericht when the business is entered in a register (Handelsregister, Genossenschafts-,
  Partnerschafts- or Vereinsregister).
* Ausländerbehörde when the notice is made on a residence title.
* Eichbehörde when the activity is marked as using measuring instruments (weighing, filling, fuel).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from .formdef_paths import get_value

__all__ = ["RECIPIENT_KEYS", "Recipient", "recipients_for"]

#: Every recipient key the rules know, in the order they are listed to staff.
RECIPIENT_KEYS = (
    "finanzamt",
    "statistik",
    "ihk",
    "hwk",
    "gewerbeaufsicht",
    "arbeitsagentur",
    "berufsgenossenschaft",
    "registergericht",
    "auslaenderbehoerde",
    "eichamt",
)


@dataclass(frozen=True)
class Recipient:
    """An authority that receives the message, with the reason shown to staff."""

    key: str
    name: str
    reason: str
    #: Identification in the message header (``behoerdenkennung``): prefix and key with its list.
    praefix: str = ""
    kennung: str = ""
    kennung_list_uri: str = ""
    kennung_list_version: str = ""
    email: str = ""
    url: str = ""
    street: str = ""
    house_number: str = ""
    postcode: str = ""
    city: str = ""
    extra: Mapping[str, Any] = field(default_factory=dict)


def _int(value: Any) -> int:
    try:
        return int(value or 0)
    except (TypeError, ValueError):
        return 0


def _is_craft(data: Mapping[str, Any]) -> bool:
    kinds = get_value(data, "taetigkeit.art_des_betriebes") or []
    return "handwerk" in kinds or bool(get_value(data, "nachweise.handwerkskarte_vorhanden"))


def _employees(data: Mapping[str, Any]) -> int:
    return _int(get_value(data, "beschaeftigte.vollzeit")) + _int(get_value(data, "beschaeftigte.teilzeit"))


def _reasons(kind: str, data: Mapping[str, Any]) -> list[tuple[str, str]]:
    """The keys of the recipients of a notice of ``kind`` and why each receives it (German, for staff)."""
    reasons = [
        ("finanzamt", "jede Gewerbeanzeige (steuerliche Erfassung)"),
        ("statistik", "jede Gewerbeanzeige (Gewerbeanzeigenstatistik)"),
    ]
    if _is_craft(data):
        reasons.append(("hwk", "Handwerk oder handwerksähnliches Gewerbe"))
    else:
        reasons.append(("ihk", "Gewerbe außerhalb des Handwerks"))
    employees = _employees(data)
    if employees > 0:
        reasons.append(("gewerbeaufsicht", f"Betrieb mit Beschäftigten ({employees}): Arbeitsschutz"))
        reasons.append(("arbeitsagentur", f"Betrieb mit Beschäftigten ({employees})"))
    changes = get_value(data, "aenderung.art") or []
    activity_changed = any(c.startswith("taetigkeit_") for c in changes)
    if kind != "ummeldung" or activity_changed:
        reasons.append(("berufsgenossenschaft", "gesetzliche Unfallversicherung des Betriebs"))
    if get_value(data, "inhaber.im_register"):
        reasons.append(("registergericht", "Betrieb ist im Register eingetragen"))
    if get_value(data, "nachweise.aufenthaltstitel_vorhanden"):
        reasons.append(("auslaenderbehoerde", "Anzeige mit Aufenthaltstitel"))
    if get_value(data, "taetigkeit.messgeraete"):
        reasons.append(("eichamt", "Tätigkeit mit Messgeräten im geschäftlichen Verkehr"))
    return reasons


def recipients_for(kind: str, data: Mapping[str, Any], directory: Mapping[str, Mapping[str, Any]]) -> list[Recipient]:
    """The recipients of a notice of ``kind`` ("anmeldung", "ummeldung", "abmeldung").

    ``directory`` maps recipient keys to their details (``name``, ``praefix``, ``kennung``, ``email`` …);
    a key the directory does not list is still returned, named by its key, so nothing is dropped silently.
    """
    if kind not in ("anmeldung", "ummeldung", "abmeldung"):
        raise ValueError(f"unknown kind of Gewerbeanzeige: {kind!r}")
    result = []
    for key, reason in _reasons(kind, data):
        entry: Mapping[str, Any] = directory.get(key, {})
        result.append(
            Recipient(
                key=key,
                name=str(entry.get("name") or key),
                reason=reason,
                praefix=str(entry.get("praefix", "")),
                kennung=str(entry.get("kennung", "")),
                kennung_list_uri=str(entry.get("kennung_list_uri", "")),
                kennung_list_version=str(entry.get("kennung_list_version", "")),
                email=str(entry.get("email", "")),
                url=str(entry.get("url", "")),
                street=str(entry.get("street", "")),
                house_number=str(entry.get("house_number", "")),
                postcode=str(entry.get("postcode", "")),
                city=str(entry.get("city", "")),
            )
        )
    return result


def keys(recipients: Sequence[Recipient]) -> list[str]:
    return [r.key for r in recipients]
