"""Which profile fields a citizen's claims fill in (pure: no database, no provider)."""

from __future__ import annotations

import datetime as dt

import pytest

from buergerbuero.accounts.claims import citizen_username, profile_from_claims


def test_it_takes_the_profile_from_the_standard_claims() -> None:
    claims = {
        "sub": "erika.mustermann",
        "given_name": "Erika",
        "family_name": "Mustermann",
        "email": "erika@example.org",
        "birthdate": "1964-08-12",
        "address": {"street_address": "Neersener Straße 12\nHinterhaus", "postal_code": "41564", "locality": "Kaarst"},
    }

    assert profile_from_claims(claims) == {
        "first_name": "Erika",
        "last_name": "Mustermann",
        "email": "erika@example.org",
        "birth_date": dt.date(1964, 8, 12),
        "street": "Neersener Straße 12, Hinterhaus",
        "postcode": "41564",
        "city": "Kaarst",
    }


def test_it_leaves_fields_alone_that_the_claims_say_nothing_about() -> None:
    assert profile_from_claims({"sub": "x", "email": "x@example.org"}) == {"email": "x@example.org"}


def test_it_splits_the_full_name_when_given_and_family_name_are_missing() -> None:
    assert profile_from_claims({"name": "Anna Lena Schulte"}) == {"first_name": "Anna Lena", "last_name": "Schulte"}


@pytest.mark.parametrize("birthdate", ["0000-08-12", "1964", "12.08.1964", "19640812"])
def test_it_keeps_no_date_of_birth_it_cannot_be_sure_of(birthdate: str) -> None:
    assert profile_from_claims({"birthdate": birthdate}) == {"birth_date": None}


def test_it_ignores_claims_of_the_wrong_shape() -> None:
    assert profile_from_claims({"given_name": 42, "address": "Neersener Straße 12", "email": None}) == {}


def test_it_cuts_overlong_values_to_the_field_lengths() -> None:
    profile = profile_from_claims({"address": {"postal_code": "4156400000000", "locality": "K" * 300}})

    assert (len(profile["postcode"]), len(profile["city"])) == (10, 100)


def test_it_gives_each_subject_of_each_issuer_its_own_username() -> None:
    names = {
        citizen_username("https://id.bund.de", "abc"),
        citizen_username("https://id.bund.de", "abd"),
        citizen_username("https://servicekonto.nrw", "abc"),
    }

    assert len(names) == 3
    assert citizen_username("https://id.bund.de", "abc") == citizen_username("https://id.bund.de", "abc")
