"""Loads the demo district into the database, idempotently: run it as often as you like."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from django.conf import settings
from django.contrib.auth.hashers import make_password
from django.db import transaction

from buergerbuero.accounts.constants import Role, UserKind
from buergerbuero.accounts.models import StaffRole, User
from buergerbuero.analytics.services.forecasts import recompute_forecasts
from buergerbuero.catalog.geo import load_postcodes
from buergerbuero.core.tenancy import scopes_disabled
from buergerbuero.demo.applications import load_demo_applications
from buergerbuero.demo.appointments import load_demo_appointments, load_demo_bookings
from buergerbuero.demo.history import load_demo_history
from buergerbuero.demo.queue import load_demo_queue
from buergerbuero.tenants.constants import MunicipalityKind
from buergerbuero.tenants.gazetteer import kreis_entry, municipalities_of_kreis
from buergerbuero.tenants.models import Counter, District, Municipality, Office, OpeningHours

from . import district as demo
from .catalog import load_demo_catalog

Progress = Callable[[str], None]


def register_path() -> Path:
    return Path(settings.SHARED_DATA_DIR) / "geo" / "gemeindeverzeichnis_auszug.csv"


@transaction.atomic
def load_demo(*, progress: Progress = lambda message: None) -> District:
    with scopes_disabled():
        district = _load_district(progress)
        _load_staff(district, progress)
        load_postcodes(progress=progress)
        load_demo_catalog(progress=progress)
        load_demo_appointments(progress=progress)
        load_demo_bookings(progress=progress)
        load_demo_queue(progress=progress, history=False)  # the past comes from load_demo_history
        load_demo_applications(progress)
        load_demo_history(progress)
        # The offices' "best time to come" from the history just written, not only after the first night.
        runs = recompute_forecasts(stale_only=True)
        progress(f"Forecasts: {sum(1 for run in runs if run.slots)} offices")
    return district


def _load_district(progress: Progress) -> District:
    path = register_path()
    kreis = kreis_entry(path, demo.KREIS_KEY)
    if kreis is None:
        raise RuntimeError(f"Kreis {demo.KREIS_KEY} is not in the municipality register {path}")
    district, _ = District.objects.update_or_create(
        ars=demo.KREIS_KEY,
        defaults={
            "name": kreis.name,
            "slug": "rhein-kreis-neuss",
            "primary_color": demo.KREIS_COLOUR,
            "state_code": "NW",
            "website": "https://www.rhein-kreis-neuss.de",
            "contact_email": "buergerservice@example.org",
        },
    )
    progress(f"Kreis {district.name} ({district.ars})")

    register = {entry.ags: entry for entry in municipalities_of_kreis(path, demo.KREIS_KEY)}
    for spec in demo.MUNICIPALITIES:
        entry = register[spec.ags]
        municipality, _ = Municipality.objects.update_or_create(
            ags=spec.ags,
            defaults={
                "district": district,
                "kind": MunicipalityKind.MUNICIPALITY,
                "name": entry.short_name,
                "official_name": entry.name,
                "ars": entry.ars,
                "slug": spec.slug,
                "population": entry.population,
                "area_km2": entry.area_km2,
                "latitude": entry.latitude,
                "longitude": entry.longitude,
                "primary_color": spec.colour,
                "tagline": spec.tagline,
                "website": spec.website,
                "contact_email": f"buergerbuero@{spec.slug}.example.org",
                "contact_phone": "",
            },
        )
        for office in spec.offices:
            _load_office(municipality, office)
        progress(f"  {municipality.name} ({municipality.ags}): {len(spec.offices)} office(s)")

    administration, _ = Municipality.objects.update_or_create(
        ags=kreis.ags,
        defaults={
            "district": district,
            "kind": MunicipalityKind.DISTRICT_ADMINISTRATION,
            "name": f"{kreis.name} – Kreisverwaltung",
            "official_name": kreis.name,
            "ars": kreis.ars,
            "slug": demo.KREIS_ADMINISTRATION_SLUG,
            "primary_color": demo.KREIS_COLOUR,
            "tagline": "Straßenverkehrsamt, Führerscheine, Ausländerbehörde",
            "website": "https://www.rhein-kreis-neuss.de",
            "contact_email": "buergerservice@example.org",
        },
    )
    for office in demo.KREIS_OFFICES:
        _load_office(administration, office)
    progress(f"  {administration.name}: {len(demo.KREIS_OFFICES)} office(s)")
    return district


def _load_office(municipality: Municipality, spec: demo.DemoOffice) -> Office:
    office, _ = Office.objects.update_or_create(
        municipality=municipality,
        slug=spec.slug,
        defaults={
            "name": spec.name,
            "street": spec.street,
            "house_number": spec.house_number,
            "postcode": spec.postcode,
            "city": spec.city,
            "latitude": municipality.latitude,
            "longitude": municipality.longitude,
            "phone": spec.phone,
            "email": f"{spec.slug}@{municipality.slug}.example.org",
            "accessibility": spec.accessibility,
        },
    )
    wanted = {(weekday, opens, closes) for weekday, intervals in spec.hours.items() for opens, closes in intervals}
    existing = set(office.opening_hours.values_list("weekday", "opens", "closes"))
    if wanted != existing:
        office.opening_hours.all().delete()
        OpeningHours.objects.bulk_create(
            OpeningHours(office=office, weekday=w, opens=o, closes=c) for w, o, c in sorted(wanted)
        )
    for number in range(1, spec.counters + 1):
        Counter.objects.get_or_create(office=office, name=f"Platz {number}")
    return office


#: (username suffix, role) of the staff every demo municipality gets
_STAFF_ROLES = [
    ("sb", Role.CLERK, "Sachbearbeitung"),
    ("tl", Role.TEAM_LEAD, "Teamleitung"),
    ("admin", Role.MUNICIPALITY_ADMIN, "Administration"),
]


def _load_staff(district: District, progress: Progress) -> None:
    # Hash the shared demo password once: hashing is deliberately slow, and the demo has 28 accounts.
    password_hash = make_password(demo.DEMO_PASSWORD)
    for municipality in Municipality.objects.filter(district=district):
        for prefix, role, title in _STAFF_ROLES:
            user = _staff_user(
                f"{prefix}.{municipality.slug}", password_hash, first_name=title, last_name=municipality.name
            )
            StaffRole.objects.get_or_create(user=user, municipality=municipality, role=role, district=district)
    kreis_admin = _staff_user("kreisadmin", password_hash, first_name="Kreis", last_name="Administration")
    StaffRole.objects.get_or_create(user=kreis_admin, municipality=None, role=Role.DISTRICT_ADMIN, district=district)
    progress(f"  staff: {User.objects.filter(kind=UserKind.STAFF).count()} accounts")


def _staff_user(username: str, password_hash: str, *, first_name: str, last_name: str) -> User:
    user, _ = User.objects.get_or_create(
        username=username,
        defaults={
            "kind": UserKind.STAFF,
            "first_name": first_name,
            "last_name": last_name,
            "email": f"{username}@example.org",
            "password": password_hash,
        },
    )
    return user
