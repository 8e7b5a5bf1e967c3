"""Reading the level of assurance from ``acr`` claims, and demanding one from API handlers."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from django.contrib.auth.models import AnonymousUser
from django.contrib.sessions.middleware import SessionMiddleware
from django.http import HttpRequest, HttpResponse
from django.test import RequestFactory
from django.utils import translation
from hypothesis import given
from hypothesis import strategies as st
from ninja.errors import HttpError

from buergerbuero.accounts.assurance import assert_assurance, level_from_acr, start_citizen_session
from buergerbuero.accounts.constants import AssuranceLevel, UserKind
from buergerbuero.accounts.models import User

NONE, LOW, SUBSTANTIAL, HIGH = (
    AssuranceLevel.NONE,
    AssuranceLevel.LOW,
    AssuranceLevel.SUBSTANTIAL,
    AssuranceLevel.HIGH,
)


@pytest.mark.parametrize(
    ("acr", "level"),
    [
        ("http://eidas.europa.eu/LoA/low", LOW),
        ("http://eidas.europa.eu/LoA/substantial", SUBSTANTIAL),
        ("http://eidas.europa.eu/LoA/high", HIGH),
        ("HTTP://EIDAS.EUROPA.EU/LOA/HIGH", HIGH),
        ("low", LOW),
        ("substantial", SUBSTANTIAL),
        ("high", HIGH),
        ("normal", LOW),
        ("substanziell", SUBSTANTIAL),
        ("hoch", HIGH),
        ("Hoch", HIGH),
        ("urn:bund:bsi:tr-03107:loa:normal", LOW),
        ("urn:bund:bsi:tr-03107:loa:substanziell", SUBSTANTIAL),
        ("URN:ExAmple:LoA:HOCH", HIGH),
        ("urn:example:loa:substantial", SUBSTANTIAL),
        ("STORK-QAA-Level-1", LOW),
        ("STORK-QAA-Level-2", LOW),
        ("STORK-QAA-Level-3", SUBSTANTIAL),
        ("stork-qaa-level-4", HIGH),
        ("  http://eidas.europa.eu/LoA/substantial ", SUBSTANTIAL),
        # Unknown, malformed or missing: no assurance at all.
        ("STORK-QAA-Level-5", NONE),
        ("STORK-QAA-Level-0", NONE),
        ("http://eidas.europa.eu/LoA/hoch", NONE),
        ("http://eidas.europa.eu/NotNotified/LoA/high", NONE),
        ("https://evil.example/LoA/high", NONE),
        ("very high", NONE),
        ("highest", NONE),
        ("urn:", NONE),
        ("", NONE),
        (None, NONE),
        (3, NONE),
        (["high"], NONE),
    ],
)
def test_it_reads_the_level_of_assurance_from_the_acr_claim(acr: object, level: AssuranceLevel) -> None:
    assert level_from_acr(acr) == level


@given(st.text())
def test_it_reads_any_string_without_failing(acr: str) -> None:
    assert level_from_acr(acr) in AssuranceLevel


@given(
    st.one_of(
        st.none(), st.integers(), st.floats(), st.booleans(), st.lists(st.text()), st.dictionaries(st.text(), st.text())
    )
)
def test_it_gives_no_assurance_for_claims_that_are_not_strings(acr: object) -> None:
    assert level_from_acr(acr) == NONE


@given(st.text(alphabet=st.characters(codec="ascii")))
def test_it_ignores_the_case_of_the_claim(acr: str) -> None:
    assert level_from_acr(acr.upper()) == level_from_acr(acr.lower())


@given(
    st.lists(st.text(alphabet=st.characters(codec="ascii", exclude_characters=":"), min_size=1), max_size=5),
    st.sampled_from(["low", "normal", "substantial", "substanziell", "high", "hoch", "STORK-QAA-Level-3"]),
)
def test_it_reads_a_word_behind_any_urn_prefix(segments: list[str], word: str) -> None:
    assert level_from_acr(":".join(["urn", *segments, word])) == level_from_acr(word) != NONE


@given(st.text().filter(lambda s: not any(w in s.lower() for w in ("low", "normal", "subst", "high", "hoch", "stork"))))
def test_it_gives_no_assurance_for_strings_without_a_known_level(acr: str) -> None:
    assert level_from_acr(acr) == NONE


# --- assert_assurance, for API handlers -------------------------------------------------


@pytest.fixture(autouse=True)
def english() -> Iterator[None]:
    """Messages in English, so the assertions do not depend on the German catalogue."""
    with translation.override("en"):
        yield


def _request() -> HttpRequest:
    request = RequestFactory().get("/api/gewerbe/")
    SessionMiddleware(lambda r: HttpResponse()).process_request(request)
    request.user = AnonymousUser()
    return request


def _citizen_request(level: AssuranceLevel) -> HttpRequest:
    request = _request()
    citizen = User.objects.create(username=f"citizen-{level.name}", kind=UserKind.CITIZEN, oidc_subject=level.name)
    start_citizen_session(
        request,
        citizen,
        level=level,
        id_token="header.claims.signature",
        id_token_expires_at=None,
        authenticated_at=None,
    )
    return request


def test_it_refuses_api_calls_without_a_citizen_login(db: None) -> None:
    with pytest.raises(HttpError) as refused:
        assert_assurance(_request(), LOW)

    assert refused.value.status_code == 401
    assert "log in" in str(refused.value)


def test_it_refuses_api_calls_of_a_citizen_with_too_weak_a_login(db: None) -> None:
    with pytest.raises(HttpError) as refused:
        assert_assurance(_citizen_request(LOW), SUBSTANTIAL)

    assert refused.value.status_code == 403
    message = str(refused.value)
    assert str(SUBSTANTIAL.label) in message
    assert str(LOW.label) in message
    assert "Online-Ausweis" in message


@pytest.mark.parametrize("level", [SUBSTANTIAL, HIGH])
def test_it_admits_api_calls_of_a_citizen_with_a_strong_enough_login(db: None, level: AssuranceLevel) -> None:
    assert_assurance(_citizen_request(level), SUBSTANTIAL)


def test_it_refuses_api_calls_of_staff(db: None, clerk_a: User) -> None:
    request = _request()
    request.user = clerk_a

    with pytest.raises(HttpError) as refused:
        assert_assurance(request, NONE)

    assert refused.value.status_code == 401
