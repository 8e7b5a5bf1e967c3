"""The pure rules of the responsibility finder: where the citizen lives, which offering applies, how to proceed."""

from __future__ import annotations

from django.utils import translation

from buergerbuero.catalog.constants import Level
from buergerbuero.catalog.models import Service, ServiceOffering
from buergerbuero.catalog.responsibility import (
    Place,
    PlaceStatus,
    Via,
    outside_message,
    pick_offering,
    proceed_steps,
    resolve_place,
)
from buergerbuero.catalog.variants import variant

KAARST = Place("41564", "05162016", "Kaarst", "Rhein-Kreis Neuss", "Nordrhein-Westfalen")
PADERBORN = Place("33154", "05774032", "Paderborn", "Kreis Paderborn", "Nordrhein-Westfalen")
SALZKOTTEN = Place("33154", "05774036", "Salzkotten", "Kreis Paderborn", "Nordrhein-Westfalen")
KOELN = Place("50667", "05315000", "Köln", "", "Nordrhein-Westfalen")
LOCAL = {"05162016", "05162012"}


def test_it_resolves_a_postcode_of_one_town_of_the_kreis() -> None:
    resolution = resolve_place("41564", [KAARST], local_ags=LOCAL)

    assert resolution.status == PlaceStatus.INSIDE
    assert resolution.place == KAARST


def test_it_asks_which_municipality_for_a_shared_postcode_listing_them_by_name() -> None:
    resolution = resolve_place("33154", [SALZKOTTEN, PADERBORN], local_ags=LOCAL)

    assert resolution.status == PlaceStatus.AMBIGUOUS
    assert [c.name for c in resolution.candidates] == ["Paderborn", "Salzkotten"]
    assert not resolution.choice_rejected


def test_it_takes_the_choice_among_the_candidates_then_says_outside() -> None:
    resolution = resolve_place("33154", [SALZKOTTEN, PADERBORN], local_ags=LOCAL, chosen_ags="05774036")

    assert resolution.status == PlaceStatus.OUTSIDE
    assert resolution.place == SALZKOTTEN


def test_it_asks_again_when_the_choice_is_not_a_candidate() -> None:
    resolution = resolve_place("33154", [SALZKOTTEN, PADERBORN], local_ags=LOCAL, chosen_ags="05162016")

    assert resolution.status == PlaceStatus.AMBIGUOUS
    assert resolution.choice_rejected


def test_it_resolves_a_shared_postcode_to_a_town_of_the_kreis_once_chosen() -> None:
    resolution = resolve_place("33154", [SALZKOTTEN, PADERBORN], local_ags={*LOCAL, "05774032"}, chosen_ags="05774032")

    assert resolution.status == PlaceStatus.INSIDE
    assert resolution.place == PADERBORN


def test_it_knows_an_unknown_postcode() -> None:
    assert resolve_place("00000", [], local_ags=LOCAL).status == PlaceStatus.UNKNOWN


def test_it_names_the_right_municipality_and_kreis_outside() -> None:
    with translation.override("de"):
        text = outside_message(SALZKOTTEN, district_name="Rhein-Kreis Neuss", level=Level.DISTRICT)

    assert "33154" in text
    assert "Salzkotten" in text
    assert "05774036" in text
    assert "Kreis Paderborn" in text
    assert "Rhein-Kreis Neuss" in text


def test_it_says_an_independent_city_serves_district_services_itself() -> None:
    with translation.override("en"):
        text = outside_message(KOELN, district_name="Rhein-Kreis Neuss", level=Level.DISTRICT)

    assert "independent city" in text
    assert "Köln as an independent city is responsible itself" in text


def test_it_prefers_the_own_offering_for_municipal_services() -> None:
    assert pick_offering(Level.MUNICIPALITY, own="own", serving=["other"], administration="kreis") == ("own", Via.OWN)
    assert pick_offering(Level.MUNICIPALITY, own=None, serving=["other"], administration="kreis") == (
        "other",
        Via.SERVED_BY,
    )
    assert pick_offering(Level.MUNICIPALITY, own=None, serving=[], administration="kreis") == ("kreis", Via.DISTRICT)
    assert pick_offering(Level.MUNICIPALITY, own=None, serving=[], administration=None) == (None, Via.NONE)


def test_it_sends_district_services_to_the_kreis_before_the_town() -> None:
    assert pick_offering(Level.DISTRICT, own="own", serving=[], administration="kreis") == ("kreis", Via.DISTRICT)
    assert pick_offering(Level.DISTRICT, own="own", serving=[], administration=None) == ("own", Via.OWN)


def test_it_lists_online_first_with_the_level_of_assurance() -> None:
    service = Service(
        name_de="Meldebescheinigung",
        online_application=True,
        online_url="https://example.org/antrag",
        by_appointment=True,
        walk_in=True,
        by_post=False,
    )

    with translation.override("en"):
        steps = proceed_steps(variant(service), counter_minutes=10, assurance_label="substantial")

    assert [step.channel for step in steps] == ["online", "appointment", "walk_in"]
    assert "substantial" in steps[0].text
    assert steps[0].url == "https://example.org/antrag"
    assert "10 minutes" in steps[1].text


def test_it_sends_an_imported_service_to_its_origin_and_skips_offices_when_there_are_none() -> None:
    service = Service(name_de="Import", by_appointment=True, origin_url="https://other.example.org/leistungen/x/")
    offering = ServiceOffering(service=service, by_appointment=None)

    steps = proceed_steps(
        variant(service, offering),
        counter_minutes=10,
        assurance_label="x",
        origin_url=service.origin_url,
        has_offices=False,
    )

    assert [step.channel for step in steps] == ["origin"]
    assert steps[0].url == "https://other.example.org/leistungen/x/"
