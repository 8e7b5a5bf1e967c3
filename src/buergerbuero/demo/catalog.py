"""The demo catalogue: the Kreis's services (``data/catalog.json``) and which municipality offers what.

The services are loaded through the catalogue importer, the same code path as
``manage.py import_catalog``. The offerings are demo values chosen to make the
availability map interesting: every town offers the municipal services at its
offices, the Kreisverwaltung the Kreis services at its own; some towns take trade
registrations online and others do not, Kaarst and Neuss adapt fees and texts,
Rommerskirchen has no residents' parking, Grevenbroich's trade office keeps
mornings only, and Neuss and Dormagen run their own foreigners' offices while the
Kreis's serves the other towns. Loading is idempotent.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from buergerbuero.catalog.importer import import_catalog, read_file
from buergerbuero.catalog.models import Service, ServiceOffering
from buergerbuero.catalog.services import (
    OFFERING_FIELDS,
    HoursData,
    set_offering_serves,
    update_offering,
)
from buergerbuero.tenants.models import Municipality, Office

from . import district as demo

Progress = Callable[[str], None]

CATALOG_PATH = Path(__file__).resolve().parent / "data" / "catalog.json"

#: The Standesamt and the trade office sit in the town hall: these services only at a town's first office.
TOWN_HALL_ONLY = frozenset(
    {
        "eheschliessung-anmelden",
        "personenstandsurkunde-bestellen",
        "sterbeurkunde",
        "vaterschaftsanerkennung",
        "gewerbe-anmeldung",
        "gewerbe-ummeldung",
        "gewerbe-abmeldung",
        "reisegewerbekarte",
        "fundsache",
        "fischereischein",
        "rente-beantragen",
        "hinterbliebenenrente",
    }
)
#: Towns that take trade registrations online; the others only at the counter.
TRADE_ONLINE = frozenset({"dormagen", "kaarst", "meerbusch", "neuss"})
TRADE_SERVICES = ("gewerbe-anmeldung", "gewerbe-ummeldung", "gewerbe-abmeldung")
#: Towns with their own foreigners' office; the Kreis's foreigners' office serves the rest.
OWN_FOREIGNERS_OFFICE = frozenset({"dormagen", "neuss"})
FOREIGNERS_CATEGORY = "aufenthalt-und-einbuergerung"
#: Services a town does not offer at all.
NOT_OFFERED = {"rommerskirchen": frozenset({"bewohnerparkausweis"})}
#: Kreis offices by the categories of Kreis services they handle.
KREIS_VEHICLE_OFFICES: tuple[str, ...] = ("strassenverkehrsamt-neuss", "strassenverkehrsamt-grevenbroich")
KREIS_HOUSE_OFFICES: tuple[str, ...] = ("kreishaus-neuss",)

_T = dt.time


@dataclass(frozen=True)
class OfferingPlan:
    """One demo offering: who offers which service where, with which local changes."""

    municipality: str
    service: str
    offices: tuple[str, ...]
    data: dict[str, Any] = field(default_factory=dict)
    hours: tuple[HoursData, ...] = ()
    serves: tuple[str, ...] = ()


#: Local changes of single offerings, by (town, service).
LOCAL_CHANGES: dict[tuple[str, str], dict[str, Any]] = {
    ("kaarst", "meldebescheinigung"): {
        "fee": {
            "kind": "rules",
            "rules": [
                {
                    "when": {"q": "purpose", "op": "in", "value": ["pension", "child_benefit", "housing_benefit"]},
                    "amount": "0.00",
                    "label_de": "für Rente, Kindergeld oder Wohngeld",
                    "label_en": "for a pension, child benefit or housing benefit",
                }
            ],
            "default": "9.00",
            "note_de": "Gebührenfrei für Renten-, Kindergeld- und Wohngeldzwecke.",
            "note_en": "Free of charge for pension, child benefit and housing benefit purposes.",
        },
        "note_de": "In Kaarst erhalten Sie die Meldebescheinigung am Schalter sofort. Online beantragte "
        "Bescheinigungen schicken wir Ihnen ohne Versandkosten zu.",
        "note_en": "In Kaarst you receive the certificate at the counter immediately. Certificates applied for "
        "online are sent to you free of postage.",
    },
    ("neuss", "bewohnerparkausweis"): {
        "fee": {"kind": "fixed", "amount": "50.00", "note_de": "pro Jahr", "note_en": "per year"},
        "summary_de": "In den Bewohnerparkgebieten der Neusser Innenstadt parken Anwohnerinnen und Anwohner mit "
        "Bewohnerparkausweis auf den gekennzeichneten Flächen. Der Ausweis gilt für die Zone, die auf ihm steht.",
        "summary_en": "In the residents' parking zones of central Neuss, residents with a permit may park in the "
        "marked spaces. The permit is valid for the zone printed on it.",
        "procedure_de": "Sie beantragen den Ausweis im Bürgeramt am Markt oder online. Wir prüfen Ihren "
        "Hauptwohnsitz in der Zone und stellen den Ausweis für ein Jahr aus. Bei einem Fahrzeugwechsel lassen Sie "
        "ihn umschreiben.",
        "procedure_en": "You apply at the Bürgeramt on the Markt or online. We check that your main residence is in "
        "the zone and issue the permit for one year. If you change your vehicle, have the permit changed.",
    },
    ("grevenbroich", "gewerbe-anmeldung"): {
        "note_de": "Das Gewerbeamt Grevenbroich berät Sie vormittags; bitte buchen Sie einen Termin.",
        "note_en": "The Grevenbroich trade office sees you in the mornings; please book an appointment.",
    },
}
#: Service-specific hours, by (town, service): Grevenbroich's trade office only in the mornings.
LOCAL_HOURS: dict[tuple[str, str], tuple[HoursData, ...]] = {
    ("grevenbroich", "gewerbe-anmeldung"): tuple(HoursData(day, _T(8), _T(12)) for day in range(5)),
}


def offering_plan(
    services: Sequence[tuple[str, str, Sequence[str]]],
    towns: Sequence[tuple[str, Sequence[str]]],
    kreis: str = demo.KREIS_ADMINISTRATION_SLUG,
) -> list[OfferingPlan]:
    """The demo offerings for ``services`` (slug, level, category slugs) and ``towns`` (slug, office slugs).

    Pure: the rules of this module applied to plain data.
    """
    plans: list[OfferingPlan] = []
    town_slugs = [slug for slug, _offices in towns]
    for slug, level, categories in services:
        if level == "state":
            continue  # e.g. leaving the church: at the Amtsgericht, not offered here
        if level == "district":
            foreign = FOREIGNERS_CATEGORY in categories
            offices = KREIS_HOUSE_OFFICES if foreign or slug in _KREIS_HOUSE_SERVICES else KREIS_VEHICLE_OFFICES
            serves = tuple(town for town in town_slugs if not (foreign and town in OWN_FOREIGNERS_OFFICE))
            plans.append(OfferingPlan(kreis, slug, offices, serves=serves))
            if foreign:
                for town, town_offices in towns:
                    if town in OWN_FOREIGNERS_OFFICE:
                        plans.append(OfferingPlan(town, slug, tuple(town_offices[:1])))
            continue
        for town, town_offices in towns:
            if slug in NOT_OFFERED.get(town, frozenset()):
                continue
            offices = tuple(town_offices[:1]) if slug in TOWN_HALL_ONLY else tuple(town_offices)
            data = dict(LOCAL_CHANGES.get((town, slug), {}))
            if slug in TRADE_SERVICES and town not in TRADE_ONLINE:
                data["online_application"] = False
            plans.append(OfferingPlan(town, slug, offices, data, LOCAL_HOURS.get((town, slug), ())))
    return plans


#: Kreis services that sit in the Kreishaus rather than at the vehicle registration offices.
_KREIS_HOUSE_SERVICES = frozenset({"jagdschein", "waffenbesitzkarte", "kleiner-waffenschein"})


def load_demo_catalog(*, progress: Progress = lambda message: None) -> None:
    """Import the demo catalogue and set up the offerings. Needs ``scopes_disabled()`` and the demo district."""
    data = read_file(CATALOG_PATH, "json")
    result = import_catalog(data, progress=progress)
    if result.errors:
        raise RuntimeError("\n".join(str(error) for error in result.errors))
    progress(result.summary())

    municipalities = {m.slug: m for m in Municipality.objects.filter(district__ars=demo.KREIS_KEY)}
    offices: dict[str, list[Office]] = {}
    for office in Office.objects.filter(municipality__in=municipalities.values()).order_by("pk"):
        offices.setdefault(office.municipality.slug, []).append(office)
    towns = [
        (spec.slug, [office.slug for office in _in_demo_order(offices.get(spec.slug, []), spec.offices)])
        for spec in demo.MUNICIPALITIES
    ]
    services = {service.slug: service for service in Service.objects.prefetch_related("categories")}
    catalogue = [
        (slug, services[slug].level, [category.slug for category in services[slug].categories.all()])
        for slug in (record.slug for record in data.services)
    ]
    existing = {
        (offering.municipality_id, offering.service_id): offering
        for offering in ServiceOffering.objects.filter(municipality__in=municipalities.values())
    }
    plans = offering_plan(catalogue, towns)
    for plan in plans:
        municipality = municipalities[plan.municipality]
        service = services[plan.service]
        wanted = _full_data(plan.data)
        offering = existing.get((municipality.pk, service.pk))
        if offering is not None:
            wanted = {name: value for name, value in wanted.items() if getattr(offering, name) != value}
        by_slug = {office.slug: office for office in offices.get(plan.municipality, [])}
        offering = update_offering(
            municipality=municipality,
            service=service,
            actor=None,
            data=wanted,
            offices=[by_slug[slug] for slug in plan.offices],
            hours=list(plan.hours),
        )
        set_offering_serves(
            offering=offering, municipalities=[municipalities[slug] for slug in plan.serves], actor=None
        )
    by_kreis = sum(1 for plan in plans if plan.municipality == demo.KREIS_ADMINISTRATION_SLUG)
    progress(f"  offerings: {len(plans)} ({by_kreis} by the Kreisverwaltung)")


def _in_demo_order(offices: list[Office], specs: Sequence[demo.DemoOffice]) -> list[Office]:
    order = {spec.slug: number for number, spec in enumerate(specs)}
    return sorted(offices, key=lambda office: order.get(office.slug, len(order)))


def _full_data(changes: dict[str, Any]) -> dict[str, Any]:
    """Every offering field: the plan's changes, the rest back to "as the catalogue says"."""
    blank: dict[str, Any] = {
        name: None if name in ("online_application", "by_appointment", "walk_in", "by_post", "fee") else ""
        for name in OFFERING_FIELDS
    }
    return blank | changes
