"""Responsibility against the database: postcodes loaded from the real file, offerings of the towns and the Kreis."""

from __future__ import annotations

import datetime as dt

import pytest
from django.contrib.auth.models import AnonymousUser
from django.contrib.sessions.backends.db import SessionStore
from django.test import RequestFactory

from buergerbuero.accounts.constants import UserKind
from buergerbuero.accounts.models import User
from buergerbuero.catalog.constants import Level
from buergerbuero.catalog.geo import load_postcodes, postcode_path
from buergerbuero.catalog.models import OfferingHours, PostcodeArea
from buergerbuero.catalog.responsibility import PlaceStatus, Status, Via
from buergerbuero.catalog.selectors import (
    HOME_SESSION_KEY,
    available_service_ids,
    home_municipality,
    resolve_postcode,
    responsibility_for,
)
from buergerbuero.tenants.constants import MunicipalityKind
from buergerbuero.tenants.models import District, Municipality, Office
from tests.catalog.factories import ServiceFactory, ServiceOfferingFactory
from tests.tenants.factories import MunicipalityFactory, OfficeFactory

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("kreis_scope")]

POSTCODES = {"41564", "41363", "33154", "50667", "40213"}


@pytest.fixture
def postcodes(db: None) -> None:
    load_postcodes(postcodes=POSTCODES)


@pytest.fixture
def kreis(district: District) -> Municipality:
    return MunicipalityFactory(
        district=district,
        kind=MunicipalityKind.DISTRICT_ADMINISTRATION,
        name="Rhein-Kreis Neuss – Kreisverwaltung",
        official_name="Rhein-Kreis Neuss",
        slug="kreis",
        ags="05162000",
        ars="051620000000",
    )


@pytest.fixture
def kreis_office(kreis: Municipality) -> Office:
    return OfficeFactory(municipality=kreis, name="Straßenverkehrsamt Grevenbroich", slug="stva", postcode="41515")


def test_it_loads_the_postcodes_idempotently() -> None:
    first = load_postcodes(postcodes={"41564", "33154"})
    second = load_postcodes(postcodes={"41564", "33154"})

    assert first.created == 3  # Kaarst, and 33154 of Paderborn and Salzkotten
    assert (second.created, second.updated, second.unchanged) == (0, 0, 3)
    assert PostcodeArea.objects.count() == 3


def test_it_loads_the_whole_file_quickly_and_prunes_only_when_asked() -> None:
    PostcodeArea.objects.create(postcode="99999", ags="99999999", place="Nirgendwo")

    result = load_postcodes(postcode_path(), prune=True)

    assert result.created == 12883
    assert result.deleted == 1
    assert PostcodeArea.objects.filter(postcode="41564").get().ags == "05162016"


def test_it_resolves_a_kaarst_postcode_to_kaarst(postcodes: None, municipality_a: Municipality) -> None:
    resolution = resolve_postcode("41564")

    assert resolution.status == PlaceStatus.INSIDE
    assert resolution.place is not None and resolution.place.ags == municipality_a.ags


def test_it_asks_about_a_shared_postcode_and_resolves_a_town_of_the_kreis_with_that_ags(
    postcodes: None, district: District
) -> None:
    # No postcode of the Rhein-Kreis Neuss is shared, so a test town gets the AGS of Paderborn (33154 is shared).
    town = MunicipalityFactory(district=district, name="Paderborn (Test)", ags="05774032", ars="057740032032")

    ambiguous = resolve_postcode("33154")
    chosen = resolve_postcode("33154", chosen_ags="05774032")
    other = resolve_postcode("33154", chosen_ags="05774036")

    assert ambiguous.status == PlaceStatus.AMBIGUOUS
    assert [(c.ags, c.name) for c in ambiguous.candidates] == [("05774032", "Paderborn"), ("05774036", "Salzkotten")]
    assert chosen.status == PlaceStatus.INSIDE and chosen.place is not None and chosen.place.ags == town.ags
    assert other.status == PlaceStatus.OUTSIDE


@pytest.mark.parametrize(("postcode", "ags"), [("50667", "05315000"), ("40213", "05111000")])
def test_it_says_outside_for_koeln_and_duesseldorf(
    postcodes: None, municipality_a: Municipality, postcode: str, ags: str
) -> None:
    resolution = resolve_postcode(postcode)

    assert resolution.status == PlaceStatus.OUTSIDE
    assert resolution.place is not None and resolution.place.ags == ags


def test_it_knows_no_unknown_postcode(postcodes: None) -> None:
    assert resolve_postcode("00001").status == PlaceStatus.UNKNOWN


def test_it_sends_a_kaarst_resident_to_the_kreis_office_for_a_district_service(
    municipality_a: Municipality, office_a: Office, kreis: Municipality, kreis_office: Office
) -> None:
    service = ServiceFactory(name_de="Fahrzeug zulassen", level=Level.DISTRICT)
    ServiceOfferingFactory(municipality=kreis, service=service, offices=[kreis_office])

    result = responsibility_for(service, municipality_a)

    assert result.status == Status.RESOLVED
    assert result.via == Via.DISTRICT
    assert result.authority == "Rhein-Kreis Neuss"
    assert result.provider == kreis
    assert [item.office for item in result.offices] == [kreis_office]
    assert result.offices[0].week[0].text == "08:00–12:00, 13:00–16:00"


def test_it_uses_the_towns_own_offering_with_service_hours_and_overrides(
    municipality_a: Municipality, office_a: Office, kreis: Municipality
) -> None:
    service = ServiceFactory(name_de="Personalausweis beantragen", by_appointment=True, walk_in=False)
    offering = ServiceOfferingFactory(
        municipality=municipality_a, service=service, offices=[office_a], name_de="Perso in Kaarst", walk_in=True
    )
    OfferingHours.objects.create(offering=offering, weekday=0, opens=dt.time(7, 30), closes=dt.time(11))

    result = responsibility_for(service, municipality_a)

    assert result.via == Via.OWN
    assert result.authority == municipality_a.name
    assert result.variant.name == "Perso in Kaarst"
    assert result.offices[0].service_hours
    assert result.offices[0].week[0].text == "07:30–11:00"
    assert result.offices[0].week[1].text == ""
    assert [step.channel for step in result.steps] == ["appointment", "walk_in"]


def test_it_finds_another_tenant_that_serves_the_town(
    municipality_a: Municipality, municipality_b: Municipality, office_b: Office
) -> None:
    service = ServiceFactory()
    offering = ServiceOfferingFactory(municipality=municipality_b, service=service, offices=[office_b])
    offering.serves.add(municipality_a)

    result = responsibility_for(service, municipality_a)

    assert result.via == Via.SERVED_BY
    assert result.provider == municipality_b
    assert service.pk in available_service_ids(municipality_a)


def test_it_says_not_offered_with_the_towns_contact(municipality_a: Municipality) -> None:
    municipality_a.contact_email = "buergerbuero@kaarst.example.org"
    municipality_a.save()
    service = ServiceFactory()

    result = responsibility_for(service, municipality_a)

    assert result.status == Status.NOT_OFFERED
    assert result.contact_email == "buergerbuero@kaarst.example.org"
    assert result.steps == []
    assert service.pk not in available_service_ids(municipality_a)


def test_it_names_the_authority_of_a_federal_service_and_where_to_apply(
    municipality_a: Municipality, office_a: Office
) -> None:
    service = ServiceFactory(level=Level.FEDERAL, authority_de="Bundesamt für Justiz")
    ServiceOfferingFactory(municipality=municipality_a, service=service, offices=[office_a])
    bare = ServiceFactory(level=Level.STATE, authority_de="Bezirksregierung Düsseldorf")

    result = responsibility_for(service, municipality_a)
    without_offering = responsibility_for(bare, municipality_a)

    assert result.authority == "Bundesamt für Justiz"
    assert [item.office for item in result.offices] == [office_a]
    assert without_offering.status == Status.RESOLVED
    assert without_offering.authority == "Bezirksregierung Düsseldorf"
    assert bare.pk in available_service_ids(municipality_a)


def test_it_remembers_the_home_municipality_from_the_session_or_the_citizens_postcode(
    postcodes: None, municipality_a: Municipality, municipality_b: Municipality, rf: RequestFactory
) -> None:
    request = rf.get("/")
    request.session = SessionStore()
    request.user = AnonymousUser()
    assert home_municipality(request) is None

    request = rf.get("/")
    request.session = SessionStore()
    request.session[HOME_SESSION_KEY] = municipality_b.ags
    request.user = AnonymousUser()
    assert home_municipality(request) == municipality_b

    request = rf.get("/")
    request.session = SessionStore()
    request.user = User.objects.create(username="citizen1", kind=UserKind.CITIZEN, postcode="41564")
    assert home_municipality(request) == municipality_a

    request = rf.get("/")
    request.session = SessionStore()
    request.user = User.objects.create(
        username="citizen2", kind=UserKind.CITIZEN, postcode="33154"
    )  # shared: not decided without asking
    assert home_municipality(request) is None


def test_it_keeps_a_towns_own_office_when_the_kreis_names_the_towns_it_serves(
    municipality_a: Municipality,
    municipality_b: Municipality,
    office_a: Office,
    kreis: Municipality,
    kreis_office: Office,
) -> None:
    # The Kreis foreigners' office serves the smaller towns; Kaarst (here) has its own.
    service = ServiceFactory(name_de="Aufenthaltstitel", level=Level.DISTRICT)
    ServiceOfferingFactory(municipality=municipality_a, service=service, offices=[office_a])
    ServiceOfferingFactory(municipality=kreis, service=service, offices=[kreis_office]).serves.add(municipality_b)

    assert responsibility_for(service, municipality_a).provider == municipality_a
    assert responsibility_for(service, municipality_a).authority == municipality_a.name
    assert responsibility_for(service, municipality_b).provider == kreis
    assert responsibility_for(service, municipality_b).via == Via.DISTRICT
