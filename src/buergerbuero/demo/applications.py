"""Demo online applications: the form files, the Kreis's file plan and about 300 cases of the last three months.

Which town takes which service online follows from the demo catalogue (``demo/catalog.py``): the seven
online services have ``online_application`` in the catalogue, towns outside ``TRADE_ONLINE`` switch the
trade services off, and ``NOT_OFFERED`` leaves a service out. The cases are generated from the forms'
own fields with a seeded random generator, so their data looks like what citizens submit: names,
addresses in the town, dogs, cars, people moving in. Cases spread over every town, service and state:
some wait for the citizen's answer to a question, some are overdue, decided ones carry a decision text,
paid ones a payment. The demo citizens of the local identity provider (``accounts.devidp``) get a few
cases of their own, so "Meine Anträge" shows something when they sign in.

Loading is idempotent: the form files create a version only when they changed, the file plan is
matched by code, and the cases are recognised by their fixed draft ids and created only once.
Needs ``scopes_disabled()``, the demo district, its staff, postcodes and catalogue.
"""

from __future__ import annotations

import datetime as dt
import random
import uuid
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.contrib.auth.hashers import make_password
from django.core.files.base import ContentFile
from django.db.models import DateTimeField, F, Model
from django.utils import timezone

from buergerbuero.accounts.constants import UserKind
from buergerbuero.accounts.devidp import DEMO_CITIZENS
from buergerbuero.accounts.models import User
from buergerbuero.accounts.services import update_citizen
from buergerbuero.applications import formdef
from buergerbuero.applications.constants import (
    CaseEventKind,
    CaseState,
    Decision,
    Direction,
    PaymentState,
    ScanStatus,
)
from buergerbuero.applications.fileplan import format_file_number
from buergerbuero.applications.formdef_paths import iter_strings
from buergerbuero.applications.hashing import canonical_sha512, sha512_hex
from buergerbuero.applications.models import (
    Attachment,
    Case,
    CaseEvent,
    FileNumberCounter,
    FilePlan,
    FilePlanEntry,
    FormDefinition,
    MailboxMessage,
    private_storage,
)
from buergerbuero.applications.services.fileplan import file_plan_code, file_plan_of
from buergerbuero.applications.services.forms import load_form_files
from buergerbuero.catalog.fees import quote
from buergerbuero.catalog.models import PostcodeArea, Service, ServiceOffering
from buergerbuero.catalog.variants import variant
from buergerbuero.payments.models import Payment, PaymentStatus
from buergerbuero.tenants.models import District, Municipality

from . import district as demo

Progress = Callable[[str], None]

#: How many cases the demo generates (plus those of the demo citizens).
CASE_COUNT = 300
#: How far back the demo cases go.
HISTORY_DAYS = 91
#: Fixed namespace of the demo cases' draft ids: the same ids on every load, so a second load finds them.
_NAMESPACE = uuid.UUID("6f1d7c36-3c4e-4bb2-9a55-6d0e1a9c2b41")

#: The Kreis's file plan (Aktenplan). Codes and titles are examples in the style of the KGSt plan
#: (2 Finanzen, 3 Sicherheit und Ordnung), not the Rhein-Kreis Neuss's real plan.
FILE_PLAN: tuple[tuple[str, str, tuple[str, ...]], ...] = (
    ("20.31", "Hundesteuer", ("hundesteuer-anmeldung",)),
    ("32.11", "Gewerbeangelegenheiten: Gewerbemeldungen (§ 14 GewO)", (
        "gewerbe-anmeldung", "gewerbe-ummeldung", "gewerbe-abmeldung",
    )),
    ("32.12", "Gewerbeangelegenheiten: Reisegewerbe", ("reisegewerbekarte",)),
    ("32.20", "Meldewesen", (
        "wohnsitzanmeldung", "wohnsitzabmeldung", "meldebescheinigung", "haushaltsbescheinigung",
        "melderegisterauskunft", "auskunftssperre", "uebermittlungssperre",
    )),
    ("32.31", "Straßenverkehr: Parkausweise und Parkerleichterungen", ("bewohnerparkausweis", "eu-parkausweis")),
)  # fmt: skip

#: Realistic streets of each town (for addresses in the generated data).
STREETS: dict[str, tuple[str, ...]] = {
    "dormagen": ("Kölner Straße", "Römerstraße", "Bahnhofstraße", "Nettergasse", "Knechtstedener Straße"),
    "grevenbroich": ("Kölner Straße", "Lindenstraße", "Bahnstraße", "Montanusstraße", "Am Hagelkreuz"),
    "juechen": ("Kölner Straße", "Odenkirchener Straße", "Stadionstraße", "Bahnhofstraße", "Am Rathaus"),
    "kaarst": ("Neersener Straße", "Maubisstraße", "Am Holzbüttger Haus", "Girmes-Kreuz-Straße", "Alte Heerstraße"),
    "korschenbroich": ("Hindenburgstraße", "Steinstraße", "Rheydter Straße", "Friedrich-Ebert-Straße"),
    "meerbusch": ("Dorfstraße", "Moerser Straße", "Düsseldorfer Straße", "Uerdinger Straße", "Necklenbroicher Straße"),
    "neuss": ("Büchel", "Krefelder Straße", "Further Straße", "Hammer Landstraße", "Jülicher Landstraße"),
    "rommerskirchen": ("Bahnstraße", "Venloer Straße", "Nettesheimer Straße", "Giller Straße"),
}
FIRST_NAMES = {
    "weiblich": ("Anna", "Laura", "Sabine", "Monika", "Julia", "Elif", "Katarzyna", "Maria", "Sophie", "Petra"),
    "maennlich": ("Thomas", "Lukas", "Michael", "Jan", "Ahmet", "Stefan", "Paul", "Marco", "Dirk", "Tobias"),
}
LAST_NAMES = (
    "Müller", "Schmitz", "Schneider", "Fischer", "Weber", "Becker", "Hoffmann", "Wagner", "Kaya", "Nowak",
    "Hermanns", "Jansen", "Koch", "Richter", "Klein", "Wolf", "Schröder", "Neumann", "Braun", "Özdemir",
)  # fmt: skip
ELSEWHERE = (("40210", "Düsseldorf"), ("50667", "Köln"), ("47798", "Krefeld"), ("41061", "Mönchengladbach"))
DOG_NAMES = ("Bello", "Luna", "Balu", "Emma", "Paul", "Frieda", "Rocky", "Maja", "Buddy", "Nala")
BREEDS = ("Labrador Retriever", "Dackel", "Golden Retriever", "Labrador-Mischling", "Jack Russell Terrier",
          "Australian Shepherd", "Französische Bulldogge", "Border Collie", "Malteser", "Beagle")  # fmt: skip
CARS = ("VW Golf", "Opel Corsa", "Ford Fiesta", "Škoda Octavia", "BMW 3er", "Renault Zoe", "Toyota Yaris")
TRADES = (
    ("Einzelhandel mit Backwaren", "Bäckerei"), ("Softwareentwicklung und IT-Beratung", "IT-Service"),
    ("Friseurhandwerk", "Salon"), ("Gebäudereinigung", "Reinigung"), ("Onlinehandel mit Bekleidung", "Mode"),
    ("Gastronomie: Café", "Café"), ("Elektroinstallation", "Elektrotechnik"), ("Hausmeisterdienste", "Service"),
)  # fmt: skip
QUESTIONS = (
    "Guten Tag, uns fehlt noch ein lesbarer Nachweis. Bitte laden Sie ihn in Ihrem Konto hoch.",
    "Guten Tag, bitte bestätigen Sie uns das genaue Datum. Vielen Dank!",
    "Guten Tag, die Angaben zur Anschrift sind unvollständig. Bitte ergänzen Sie die Hausnummer.",
)
ANSWERS = (
    "Vielen Dank, ich habe den Nachweis hochgeladen.",
    "Das Datum stimmt so, wie ich es angegeben habe.",
    "Entschuldigung, die Hausnummer ist 12a.",
)
APPROVED_TEXT = "Ihrem Antrag wird entsprochen. Die Angaben wurden geprüft und sind vollständig."
REJECTED_TEXT = "Ihr Antrag wird abgelehnt, weil die erforderlichen Nachweise trotz Nachfrage nicht vorgelegt wurden."

#: Which cases the demo citizens have: (subject, service, state, days ago).
CITIZEN_CASES: tuple[tuple[str, str, str, int], ...] = (
    ("erika.mustermann", "meldebescheinigung", CaseState.CLOSED, 40),
    ("erika.mustermann", "hundesteuer-anmeldung", CaseState.WAITING, 6),
    ("jonas.schmitz", "bewohnerparkausweis", CaseState.IN_REVIEW, 3),
    ("fatma.yilmaz", "wohnsitzanmeldung", CaseState.RECEIVED, 1),
)


def load_demo_applications(progress: Progress = lambda message: None) -> None:
    """Load the form files, the file plan and the demo cases (once)."""
    forms = {form.service.slug: form for form in load_form_files()}
    progress(f"  online forms: {len(forms)} ({', '.join(sorted(forms))})")
    district = District.objects.get(ars=demo.KREIS_KEY)
    _load_file_plan(district)
    progress(f"  file plan: {len(FILE_PLAN)} groups")
    every_id = [_draft_id(number) for number in range(1, CASE_COUNT + len(CITIZEN_CASES) + 1)]
    if Case.objects.filter(draft_id__in=every_id).exists():
        progress("  demo cases: already loaded")
        return
    count = _load_cases(district, forms)
    progress(f"  demo cases: {count}")


def _load_file_plan(district: District) -> FilePlan:
    plan, _ = FilePlan.objects.get_or_create(district=district)
    services = {s.slug: s for s in Service.objects.filter(slug__in=[x for e in FILE_PLAN for x in e[2]])}
    for code, title, slugs in FILE_PLAN:
        entry, _ = FilePlanEntry.objects.update_or_create(plan=plan, code=code, defaults={"title": title})
        entry.services.add(*(services[slug] for slug in slugs if slug in services))
    return plan


def _draft_id(number: int) -> uuid.UUID:
    return uuid.uuid5(_NAMESPACE, f"demo-case-{number}")


@dataclass(frozen=True)
class Person:
    first: str
    last: str
    sex: str
    birth: dt.date
    street: str
    number: str
    postcode: str
    town: str

    @property
    def email(self) -> str:
        plain = f"{self.first}.{self.last}".lower()
        for umlaut, ascii_ in (("ä", "ae"), ("ö", "oe"), ("ü", "ue"), ("ß", "ss"), ("š", "s")):
            plain = plain.replace(umlaut, ascii_)
        return f"{plain}@example.org"


@dataclass(frozen=True)
class Town:
    municipality: Municipality
    postcodes: tuple[str, ...]
    clerk: User | None


@dataclass
class Planned:
    """One demo case before it is saved."""

    number: int
    town: Town
    form: FormDefinition
    spec: formdef.FormSpec
    person: Person
    submitted_at: dt.datetime
    state: str
    citizen: User | None = None


def _load_cases(district: District, forms: dict[str, FormDefinition]) -> int:
    rng = random.Random(20260401)  # noqa: S311 - demo data, not security
    now = timezone.now()
    towns = _towns(district)
    online = _online_offerings(towns, forms)
    specs = {slug: formdef.parse_definition(form.definition) for slug, form in forms.items()}
    planned: list[Planned] = []
    for number in range(1, CASE_COUNT + 1):
        town_slug, slug = rng.choice(online)
        town = towns[town_slug]
        age = rng.random() ** 1.3 * HISTORY_DAYS
        submitted_at = now - dt.timedelta(days=age, minutes=rng.randrange(0, 600))
        person = _person(rng, town)
        state = _state_for_age(rng, age)
        planned.append(Planned(number, town, forms[slug], specs[slug], person, submitted_at, state))
    for offset, (subject, slug, state, days) in enumerate(CITIZEN_CASES, start=CASE_COUNT + 1):
        citizen = _demo_citizen(subject)
        home = next((t for t in towns.values() if citizen.postcode in t.postcodes), None)
        if home is None or slug not in forms:
            continue
        town = home
        sex = "maennlich" if citizen.first_name in FIRST_NAMES["maennlich"] + ("Jonas",) else "weiblich"
        person = Person(
            citizen.first_name, citizen.last_name, sex, citizen.birth_date or dt.date(1980, 1, 1),
            citizen.street.rsplit(" ", 1)[0], citizen.street.rsplit(" ", 1)[-1], citizen.postcode, citizen.city,
        )  # fmt: skip
        submitted_at = now - dt.timedelta(days=days, hours=2)
        planned.append(Planned(offset, town, forms[slug], specs[slug], person, submitted_at, state, citizen))
    planned.sort(key=lambda item: item.submitted_at)
    numbers = _file_numbers(district, planned)
    citizens = demo_citizens([p for p in planned if p.citizen is None])
    fees = _FeeRules()
    pdf_name = _demo_pdf()
    cases: list[Case] = []
    attachments: list[Attachment] = []
    for item in planned:
        citizen = item.citizen or citizens[item.number]
        data, files = _data(rng, item)
        fee = fees.fee(item, data)
        case = Case(
            municipality=item.town.municipality,
            service=item.form.service,
            form=item.form,
            file_number=numbers[item.number],
            draft_id=_draft_id(item.number),
            citizen=citizen,
            applicant_name=formdef.applicant_name(item.spec, data)[:200] or citizen.get_full_name(),
            applicant_email=formdef.applicant_email(item.spec, data) or citizen.email,
            language="de",
            data=data,
            data_sha512=canonical_sha512(data),
            submitted_at=item.submitted_at,
            due_at=item.submitted_at + dt.timedelta(days=item.spec.processing_days),
            legal_basis=item.form.service.legal_basis,
            fee_amount=fee,
            payment_state=PaymentState.OPEN if fee > 0 else PaymentState.NOT_REQUIRED,
        )
        _advance(rng, case, item, now)
        cases.append(case)
        for field, public_id in files:
            attachments.append(_attachment(public_id, field, citizen, pdf_name, item.submitted_at))
    Case.objects.bulk_create(cases)
    for case, attachment_list in _attachments_by_case(cases, attachments):
        for attachment in attachment_list:
            attachment.case = case
    Attachment.objects.bulk_create(attachments)
    _timelines(rng, cases, planned, now)
    return len(cases)


def _towns(district: District) -> dict[str, Town]:
    municipalities = {m.slug: m for m in Municipality.objects.filter(district=district, slug__in=STREETS)}
    postcodes: dict[str, list[str]] = {}
    for area in PostcodeArea.objects.filter(ags__in=[m.ags for m in municipalities.values()]).order_by("postcode"):
        postcodes.setdefault(area.ags, []).append(area.postcode)
    clerks = {u.username: u for u in User.objects.filter(username__in=[f"sb.{slug}" for slug in municipalities])}
    return {
        slug: Town(m, tuple(postcodes.get(m.ags, ())), clerks.get(f"sb.{slug}"))
        for slug, m in municipalities.items()
        if postcodes.get(m.ags)
    }


def _online_offerings(towns: dict[str, Town], forms: dict[str, FormDefinition]) -> list[tuple[str, str]]:
    """(town, service) pairs where the town takes the service online, as the catalogue says."""
    pairs: list[tuple[str, str]] = []
    offerings = ServiceOffering.objects.filter(
        municipality__in=[t.municipality for t in towns.values()], service__slug__in=forms
    ).select_related("service", "municipality")
    for offering in offerings.order_by("municipality__slug", "service__slug"):
        if variant(offering.service, offering).online_application:
            pairs.append((offering.municipality.slug, offering.service.slug))
    return pairs


def _person(rng: random.Random, town: Town) -> Person:
    sex = rng.choice(("weiblich", "maennlich"))
    birth = dt.date(rng.randrange(1950, 2004), rng.randrange(1, 13), rng.randrange(1, 29))
    return Person(
        rng.choice(FIRST_NAMES[sex]), rng.choice(LAST_NAMES), sex, birth,
        rng.choice(STREETS[town.municipality.slug]), str(rng.randrange(1, 120)), rng.choice(town.postcodes),
        town.municipality.name,
    )  # fmt: skip


def _state_for_age(rng: random.Random, age: float) -> str:
    roll = rng.random()
    if age < 3:
        return CaseState.RECEIVED if roll < 0.7 else CaseState.IN_REVIEW
    if age < 20:
        choices = (CaseState.RECEIVED, CaseState.IN_REVIEW, CaseState.WAITING, CaseState.DECIDED)
        return rng.choices(choices, weights=(2, 4, 2, 3))[0]
    choices = (CaseState.IN_REVIEW, CaseState.WAITING, CaseState.DECIDED, CaseState.CLOSED)
    return rng.choices(choices, weights=(1, 1, 3, 6))[0]


def _demo_citizen(subject: str) -> User:
    citizen = next(c for c in DEMO_CITIZENS if c.sub == subject)
    return update_citizen(issuer=settings.OIDC_ISSUER, claims={**citizen.claims, "sub": citizen.sub})


def demo_citizens(planned: Iterable[Planned], *, prefix: str = "demo", digits: int = 4) -> dict[int, User]:
    """An account for each generated case's applicant (as their first sign-in would have created it)."""
    password = make_password(None)
    users = {
        item.number: User(
            username=f"{prefix}-citizen-{item.number:0{digits}d}",
            kind=UserKind.CITIZEN,
            oidc_issuer="https://demo.invalid/idp",
            oidc_subject=f"{prefix}-{item.number:0{digits}d}",
            first_name=item.person.first,
            last_name=item.person.last,
            email=item.person.email,
            street=f"{item.person.street} {item.person.number}",
            postcode=item.person.postcode,
            city=item.person.town,
            birth_date=item.person.birth,
            password=password,
        )
        for item in planned
    }
    User.objects.bulk_create(users.values(), batch_size=1000)
    return users


# ---------------------------------------------------------------------------------------------- data


def _data(rng: random.Random, item: Planned) -> tuple[dict[str, Any], list[tuple[str, str]]]:
    """Data for the case's form from its fields, hidden ones dropped; and (field, attachment id) per upload."""
    data: dict[str, Any] = {}
    company = rng.random() < 0.3
    for step in item.spec.steps:
        for field in step.fields:
            value = _value(rng, item, field, field.path, company)
            if value is not None:
                formdef.set_value(data, field.path, value)
    data = formdef.clean_data(item.spec, data)
    files: list[tuple[str, str]] = []
    for path, field in item.spec.fields_by_path.items():
        if field.widget == "file" and formdef.get_value(data, path) == ["<file>"]:
            public_id = str(uuid.uuid5(_NAMESPACE, f"{item.number}-{path}"))
            formdef.set_value(data, path, [public_id])
            files.append((path, public_id))
    return data, files


def _value(rng: random.Random, item: Planned, field: formdef.FieldSpec, path: str, company: bool) -> Any:
    person, day = item.person, item.submitted_at.date()
    name = path.rsplit(".", 1)[-1]
    parent = path.rsplit(".", 1)[0] if "." in path else ""
    elsewhere = parent.startswith(("bisherige", "aenderung.alt"))
    if field.widget == "file":
        return ["<file>"]
    if field.widget == "repeat":
        return _items(rng, item, field)
    if field.widget == "checkbox":
        return name in ("hauptwohnsitz", "mandat") or (name not in ("ausland", "listenhund") and rng.random() < 0.2)
    if field.widget in ("select", "radio") and field.options:
        wanted = {"art": "company" if company else None, "geschlecht": person.sex, "staatsangehoerigkeit": "DEU"}
        values = [o.value for o in field.options]
        if wanted.get(name) in values:
            return wanted[name]
        if name == "beguenstigung":
            return "keine" if rng.random() < 0.85 else rng.choice(values[1:])
        return rng.choice(values)
    if field.widget == "checkboxes" and field.options:
        return [rng.choice(field.options).value]
    if field.widget == "number":
        return rng.randrange(0, 6)
    if field.widget == "email":
        return person.email
    if field.widget == "tel":
        return f"0{rng.choice(('2131', '2133', '2181', '2161'))} {rng.randrange(100000, 999999)}"
    if field.widget == "date":
        if name == "geburtsdatum":
            return person.birth.isoformat() if not parent.startswith("hund") else _days_before(rng, day, 90, 3000)
        return _days_before(rng, day, 1, 25)
    if field.widget == "postcode":
        return rng.choice(ELSEWHERE)[0] if elsewhere else person.postcode
    texts: dict[str, Any] = {
        "vorname": person.first,
        "vornamen": person.first,
        "familienname": person.last,
        "ort": rng.choice(ELSEWHERE)[1] if elsewhere else person.town,
        "hausnummer": person.number,
        "geburtsort": rng.choice(("Neuss", "Düsseldorf", "Köln", "Mönchengladbach", "Izmir", "Krakau")),
        "geburtsland": "Deutschland",
        "staatsangehoerigkeit": "deutsch",
        "name": rng.choice(DOG_NAMES),
        "rasse": rng.choice(BREEDS),
        "chipnummer": f"276{rng.randrange(10**11, 10**12)}",
        "kennzeichen": f"NE-{rng.choice('ABCDEFGHKLMNPRSTUVWXZ')}{rng.choice('ABCDEFGHKLMNPRSTUVWXZ')} "
        f"{rng.randrange(1, 9999)}",
        "hersteller": rng.choice(CARS),
        "halter_name": f"{rng.choice(FIRST_NAMES['weiblich'])} {person.last}",
        "stelle": rng.choice(("Familienkasse Krefeld", "Deutsche Rentenversicherung Rheinland", "Wohngeldstelle")),
        "bisherige_gemeinde": rng.choice(ELSEWHERE)[1],
        "bisheriger_ausweis": f"BP-{rng.randrange(1000, 9999)}",
        "hauptwohnung": f"{rng.choice(STREETS['neuss'])} 5, 41460 Neuss",
        "staat": "Niederlande",
        "kontoinhaber": f"{person.first} {person.last}",
        "iban": _iban(rng),
        "firma": f"{person.last} {rng.choice(TRADES)[1]} GmbH",
        "register_gericht": "Amtsgericht Neuss",
        "register_nummer": f"HRB {rng.randrange(10000, 29999)}",
        "schwerpunkt": rng.choice(TRADES)[0],
    }
    if name == "strasse":
        street = rng.choice(STREETS["neuss"]) if elsewhere else person.street
        has_number = item.spec.field(f"{parent}.hausnummer") is not None
        return street if has_number else f"{street} {person.number}"
    return texts.get(name)


def _items(rng: random.Random, item: Planned, field: formdef.FieldSpec) -> list[dict[str, Any]] | None:
    if field.path != "personen":
        return None  # e.g. the trade forms' further representatives: the demo applicants have none
    person = item.person
    people = [(person.first, person.last, person.sex, person.birth, "verheiratet" if rng.random() < 0.5 else "ledig")]
    if people[0][4] == "verheiratet":
        sex = "maennlich" if person.sex == "weiblich" else "weiblich"
        people.append((rng.choice(FIRST_NAMES[sex]), person.last, sex, person.birth.replace(day=1), "verheiratet"))
        for _ in range(rng.randrange(0, 3)):
            sex = rng.choice(("weiblich", "maennlich"))
            birth = dt.date(rng.randrange(2008, 2024), rng.randrange(1, 13), rng.randrange(1, 29))
            people.append((rng.choice(FIRST_NAMES[sex]), person.last, sex, birth, "ledig"))
    return [
        {
            "familienname": last,
            "vornamen": first,
            "geburtsdatum": birth.isoformat(),
            "geburtsort": rng.choice(("Neuss", "Düsseldorf", "Köln")),
            "geschlecht": sex,
            "staatsangehoerigkeit": "deutsch",
            "familienstand": status,
            "religion": rng.choice(("keine", "ev", "rk")),
        }
        for first, last, sex, birth, status in people
    ]


def _days_before(rng: random.Random, day: dt.date, low: int, high: int) -> str:
    return (day - dt.timedelta(days=rng.randrange(low, high))).isoformat()


def _iban(rng: random.Random) -> str:
    """A German IBAN with correct check digits (ISO 13616: mod 97 of the rearranged number is 1)."""
    bban = f"{rng.randrange(10**7, 10**8)}{rng.randrange(10**9, 10**10)}"
    check = 98 - int(f"{bban}131400") % 97  # "DE" is 13 14, check digits 00 while computing
    return f"DE{check:02d}{bban}"


class _FeeRules:
    """The fee rule of each (town, service), read once."""

    def __init__(self) -> None:
        self._rules: dict[tuple[int, int], Any] = {}

    def fee(self, item: Planned, data: dict[str, Any]) -> Decimal:
        municipality, service = item.town.municipality, item.form.service
        key = (municipality.pk, service.pk)
        if key not in self._rules:
            offering = ServiceOffering.objects.filter(municipality=municipality, service=service).first()
            self._rules[key] = variant(service, offering).fee
        fee = quote(self._rules[key], formdef.fee_answers(item.spec, data), language="de")
        return (fee.maximum if fee.maximum is not None else fee.minimum) or Decimal("0.00")


def _file_numbers(district: District, planned: list[Planned]) -> dict[int, str]:
    """File numbers for the planned cases in submission order, through the Kreis's counters.

    The same counters ``claim_file_number`` uses, so later submissions continue after the demo's numbers;
    each (code, year) counter is locked and moved on once for all its cases instead of once per case.
    """
    plan = file_plan_of(district)
    services = {item.form.service.slug: item.form.service for item in planned}
    codes = {slug: file_plan_code(plan, service) for slug, service in services.items()}
    groups: dict[tuple[str, int], list[Planned]] = {}
    for item in planned:
        groups.setdefault((codes[item.form.service.slug], item.submitted_at.year), []).append(item)
    numbers: dict[int, str] = {}
    for (code, year), items in groups.items():
        counter, _ = FileNumberCounter.objects.select_for_update().get_or_create(plan=plan, code=code, year=year)
        FileNumberCounter.objects.filter(pk=counter.pk).update(last_value=F("last_value") + len(items))
        for offset, item in enumerate(items, start=1):
            numbers[item.number] = format_file_number(
                plan.number_format, code=code, year=year, number=counter.last_value + offset
            )
    return numbers


# ---------------------------------------------------------------------------------------------- workflow


def _advance(rng: random.Random, case: Case, item: Planned, now: dt.datetime) -> None:
    """Move the unsaved case to its planned state, with the times that go with it."""
    case.state = item.state
    if item.state != CaseState.RECEIVED:
        case.assignee = item.town.clerk
    if rng.random() < 0.15 and item.state in (CaseState.RECEIVED, CaseState.IN_REVIEW) and case.due_at:
        case.due_at = min(case.due_at, now - dt.timedelta(days=rng.randrange(1, 6)))  # overdue
    if item.state in (CaseState.DECIDED, CaseState.CLOSED):
        span = max((now - item.submitted_at).total_seconds(), 3600)
        case.decided_at = item.submitted_at + dt.timedelta(seconds=span * rng.uniform(0.2, 0.6))
        approved = rng.random() < 0.9
        case.decision = Decision.APPROVED if approved else Decision.REJECTED
        case.decision_text = APPROVED_TEXT if approved else REJECTED_TEXT
        if item.state == CaseState.CLOSED:
            case.closed_at = case.decided_at + dt.timedelta(days=rng.uniform(0.5, 5))
            case.closed_at = min(case.closed_at, now)
    if case.fee_amount > 0:
        if item.state in (CaseState.DECIDED, CaseState.CLOSED) or rng.random() < 0.6:
            case.payment_state = PaymentState.PAID
        elif rng.random() < 0.3:
            case.payment_state = PaymentState.CANCELLED


def _timelines(rng: random.Random, cases: list[Case], planned: list[Planned], now: dt.datetime) -> None:
    events: list[tuple[CaseEvent, dt.datetime]] = []
    messages: list[tuple[MailboxMessage, dt.datetime]] = []
    payments: list[Payment] = []
    for case, item in zip(cases, planned, strict=True):
        at = item.submitted_at
        events.append((CaseEvent(case=case, kind=CaseEventKind.SUBMITTED, actor=case.citizen, data={
            "file_number": case.file_number, "municipality": case.municipality.name, "fee": str(case.fee_amount),
            "data_sha512": case.data_sha512,
        }), at))  # fmt: skip
        if case.payment_state == PaymentState.PAID:
            paid_at = at + dt.timedelta(minutes=3)
            payments.append(Payment(
                case=case, amount=case.fee_amount, provider="demo", provider_reference=f"DEMO-{uuid.uuid4().hex[:12]}",
                status=PaymentStatus.PAID, paid_at=paid_at,
            ))  # fmt: skip
            events.append((CaseEvent(case=case, kind=CaseEventKind.PAYMENT, data={"state": "paid"}), paid_at))
        if item.state == CaseState.RECEIVED:
            continue
        review_at = at + dt.timedelta(hours=rng.uniform(2, 48))
        events.append((CaseEvent(case=case, kind=CaseEventKind.ASSIGNED, actor=case.assignee, data={
            "assignee": case.assignee.get_full_name() if case.assignee else "",
        }, visible_to_citizen=False), review_at))  # fmt: skip
        events.append((CaseEvent(case=case, kind=CaseEventKind.STATE, actor=case.assignee, data={
            "from": CaseState.RECEIVED, "to": CaseState.IN_REVIEW,
        }), review_at))  # fmt: skip
        asked = item.state == CaseState.WAITING or rng.random() < 0.2
        if asked:
            which = rng.randrange(len(QUESTIONS))
            asked_at = review_at + dt.timedelta(hours=rng.uniform(1, 24))
            messages.append((MailboxMessage(
                case=case, direction=Direction.TO_CITIZEN, author=case.assignee, body=QUESTIONS[which],
                read_at=None if item.state == CaseState.WAITING else asked_at + dt.timedelta(hours=3),
            ), asked_at))  # fmt: skip
            events.append((CaseEvent(case=case, kind=CaseEventKind.QUESTION, actor=case.assignee), asked_at))
            events.append((CaseEvent(case=case, kind=CaseEventKind.STATE, actor=case.assignee, data={
                "from": CaseState.IN_REVIEW, "to": CaseState.WAITING,
            }), asked_at))  # fmt: skip
            if item.state != CaseState.WAITING:
                answered_at = asked_at + dt.timedelta(hours=rng.uniform(4, 72))
                messages.append((MailboxMessage(
                    case=case, direction=Direction.FROM_CITIZEN, author=case.citizen, body=ANSWERS[which],
                    read_at=answered_at + dt.timedelta(hours=2),
                ), answered_at))  # fmt: skip
                events.append((CaseEvent(case=case, kind=CaseEventKind.ANSWER, actor=case.citizen), answered_at))
                events.append((CaseEvent(case=case, kind=CaseEventKind.STATE, actor=case.citizen, data={
                    "from": CaseState.WAITING, "to": CaseState.IN_REVIEW,
                }), answered_at))  # fmt: skip
        if case.decided_at is not None:
            events.append((CaseEvent(case=case, kind=CaseEventKind.DECIDED, actor=case.assignee, data={
                "decision": case.decision,
            }), case.decided_at))  # fmt: skip
        if case.closed_at is not None:
            events.append((CaseEvent(case=case, kind=CaseEventKind.STATE, actor=case.assignee, data={
                "from": CaseState.DECIDED, "to": CaseState.CLOSED,
            }), case.closed_at))  # fmt: skip
    for event, at in events:
        event.created_at = min(at, now)
    for message, at in messages:
        message.created_at = min(at, now)
    with _given_times(CaseEvent, MailboxMessage):
        CaseEvent.objects.bulk_create([event for event, _at in events])
        MailboxMessage.objects.bulk_create([message for message, _at in messages])
    Payment.objects.bulk_create(payments)


@contextmanager
def _given_times(*models: type[Model]) -> Iterator[None]:
    """Let ``created_at`` (``auto_now_add``) keep the time set on the rows: the demo's history is in the past."""
    fields = [field for model in models if isinstance(field := model._meta.get_field("created_at"), DateTimeField)]
    try:
        for field in fields:
            field.auto_now_add = False
        yield
    finally:
        for field in fields:
            field.auto_now_add = True


# ---------------------------------------------------------------------------------------------- uploads


def _attachment(public_id: str, field: str, owner: User, stored_name: str, at: dt.datetime) -> Attachment:
    attachment = Attachment(
        public_id=uuid.UUID(public_id),
        owner=owner,
        field=field,
        original_name=f"{field.rsplit('.', 1)[-1]}.pdf",
        content_type="application/pdf",
        size=len(DEMO_PDF),
        sha512=sha512_hex(DEMO_PDF),
        scan_status=ScanStatus.SKIPPED,
    )
    attachment.file.name = stored_name
    return attachment


def _attachments_by_case(cases: list[Case], attachments: list[Attachment]) -> Iterable[tuple[Case, list[Attachment]]]:
    by_id = {a.public_id: a for a in attachments}
    for case in cases:
        ids = [uuid.UUID(value) for value in iter_strings(case.data) if _is_uuid(value)]
        yield case, [by_id[i] for i in ids if i in by_id]


def _is_uuid(value: str) -> bool:
    try:
        uuid.UUID(value)
    except ValueError:
        return False
    return len(value) == 36


def _demo_pdf() -> str:
    """The one small PDF every demo upload points to (demo cases' uploads are never deleted one by one)."""
    name = "attachments/demo/nachweis.pdf"
    if not private_storage.exists(name):
        name = private_storage.save(name, ContentFile(DEMO_PDF))
    return name


def _pdf(text: str) -> bytes:
    """A minimal, valid one-page PDF showing ``text`` (ASCII)."""
    stream = f"BT /F1 18 Tf 72 720 Td ({text}) Tj ET".encode()
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R "
        b"/Resources << /Font << /F1 5 0 R >> >> >>",
        b"<< /Length %d >>\nstream\n%s\nendstream" % (len(stream), stream),
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ]
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n%s\nendobj\n" % (number, body)
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % offset for offset in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, xref)
    return bytes(out)


DEMO_PDF = _pdf("Demo-Nachweis (Buergerbuero-Demo)")
