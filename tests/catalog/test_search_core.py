"""The pure search core: normalisation, compounds, prefixes, typos, synonyms, ranking, grouping."""

from __future__ import annotations

import time

import pytest
from hypothesis import given
from hypothesis import strategies as st

from buergerbuero.catalog.search import (
    TIER_FUZZY,
    TIER_KEYWORDS,
    TIER_NAME_EXACT,
    TIER_NAME_PREFIX,
    TIER_NAME_WORDS,
    TIER_TEXT,
    Document,
    SearchIndex,
    edit_distance,
    fold,
    group_hits,
    parse_synonyms,
    query_terms,
    tokens,
)
from buergerbuero.catalog.synonyms import synonyms

DOCUMENTS = [
    Document(1, ["Personalausweis", "Identity card"], ["Ausweis, ID-Karte"], ["Ausweise und Pässe"], ["Beantragen."]),
    Document(2, ["Reisepass", "Passport"], [], ["Ausweise und Pässe"], ["Für Reisen ins Ausland."]),
    Document(3, ["Führerschein umtauschen"], ["Führerschein umschreiben"], ["Kfz und Führerschein"], ["Umtausch."]),
    Document(4, ["Gewerbe-Anmeldung"], [], ["Gewerbe"], ["Wer ein Gewerbe beginnt, meldet es an."]),
    Document(5, ["Wohnsitzanmeldung"], [], ["Umzug"], ["Nach dem Umzug innerhalb von zwei Wochen melden."]),
    Document(6, ["Fahrzeug zulassen"], [], ["Kfz und Führerschein"], ["Ein neues oder gebrauchtes Fahrzeug."]),
    Document(7, ["Eheschließung anmelden"], [], ["Heiraten"], ["Beim Standesamt."]),
    Document(8, ["Verlust oder Diebstahl Personalausweis"], [], ["Ausweise und Pässe"], ["Sofort melden."]),
    Document(9, ["Bewohnerparkausweis"], ["Anwohnerparken"], [], ["Parken in der Straße, in der Sie wohnen."]),
    Document(10, ["Reisepass für Kinder"], [], [], ["Ein Reisepass für Kinder unter zwölf Jahren."]),
    Document(11, ["Fundsache abholen"], ["Reisepass gefunden"], [], ["Fundbüro."]),
    Document(12, ["Meldebescheinigung"], [], [], ["Bescheinigung für den Reisepass-Antrag im Ausland."]),
]


@pytest.fixture(scope="module")
def index() -> SearchIndex:
    return SearchIndex(DOCUMENTS, synonyms())


def keys(index: SearchIndex, query: str, **kwargs: object) -> list[int]:
    return [hit.key for hit in index.search(query, **kwargs).hits]  # type: ignore[arg-type]


# --- normalisation ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("spelling", ["Führerschein", "Fuehrerschein", "Fuhrerschein", "FÜHRERSCHEIN", "fuehrerSchein"])
def test_it_folds_umlaut_spellings_together(spelling: str) -> None:
    assert fold(spelling) == "fuhrerschein"


def test_it_folds_sharp_s_and_accents() -> None:
    assert fold("Straße") == fold("Strasse") == fold("STRASSE")
    assert fold("Café") == fold("Cafe")


@given(st.text(max_size=40))
def test_it_folds_idempotently(text: str) -> None:
    assert fold(fold(text)) == fold(text)


@given(st.text(alphabet="abcdefghijklmnopqrstuvwxyz", min_size=1, max_size=12))
def test_it_makes_umlaut_and_spelled_out_forms_meet(word: str) -> None:
    assert fold(word.replace("u", "ü")) == fold(word.replace("u", "ue")) == fold(word.replace("u", "ue").upper())


def test_it_indexes_hyphenated_words_as_parts_and_whole() -> None:
    assert [t for t, _ in tokens("Gewerbe-Anmeldung")] == ["gewerbe", "anmeldung", "gewerbeanmeldung"]


def test_it_joins_a_hyphenated_query_word_and_drops_stop_words() -> None:
    assert query_terms("Gewerbe-Anmeldung für meine Firma") == ["gewerbeanmeldung", "firma"]
    assert query_terms("die") == ["die"]  # nothing else left: keep it


# --- edit distance ---------------------------------------------------------------------------------------


def test_it_counts_a_swap_of_neighbours_as_one_edit() -> None:
    assert edit_distance("furherschein", "fuhrerschein", 2) == 1
    assert edit_distance("persnalausweis", "personalausweis", 2) == 1
    assert edit_distance("abc", "xyz", 1) == 2  # above the limit: limit + 1


@given(st.text(alphabet="abcde", max_size=8), st.text(alphabet="abcde", max_size=8))
def test_it_is_symmetric_and_zero_only_for_equal_words(a: str, b: str) -> None:
    assert edit_distance(a, b, 3) == edit_distance(b, a, 3)
    assert (edit_distance(a, b, 3) == 0) == (a == b)


# --- matching --------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("Personalausweis", 1),
        ("personalausweis", 1),
        ("Perso", 1),  # a prefix, and a synonym
        ("Persnalausweis", 1),  # a typo
        ("Reisepas", 2),  # a prefix
        ("Reisepasss", 2),  # a typo
        ("Furherschein", 3),  # swapped letters
        ("Fuehrerschein", 3),
        ("Fuhrerschein umtauschen", 3),
        ("Gewerbeanmeldung", 4),
        ("Gewerbe-Anmeldung", 4),
        ("Gewerbe Anmeldung", 4),
        ("Gewerbeschein", 4),  # synonym
        ("Anmeldung Wohnsitz", 5),  # a compound's tail
        ("Ummelden", 5),  # synonym
        ("Auto anmelden", 6),  # phrase synonym
        ("Kfz zulassen", 6),  # synonym of one word
        ("Heiraten", 7),  # synonym, and the life situation
        ("Anwohnerparken", 9),  # the service's own search words
        ("Passport", 2),  # English name
    ],
)
def test_it_finds_the_service_first(index: SearchIndex, query: str, expected: int) -> None:
    assert keys(index, query)[0] == expected


def test_it_finds_nothing_for_gibberish(index: SearchIndex) -> None:
    result = index.search("xyzzy qwrtz")

    assert result.hits == []
    assert result.total == 0


def test_it_ignores_an_empty_query(index: SearchIndex) -> None:
    assert index.search("  - ").hits == []


def test_it_suggests_the_corrected_query_for_typos(index: SearchIndex) -> None:
    assert index.search("Persnalausweis").suggestion == "Personalausweis"
    assert index.search("Furherschein").suggestion == "Führerschein"
    assert index.search("Personalausweis").suggestion is None


def test_it_shows_only_documents_with_every_word_when_there_are_any(index: SearchIndex) -> None:
    assert keys(index, "Reisepass Kinder") == [10]


def test_it_falls_back_to_documents_with_some_words(index: SearchIndex) -> None:
    # "Zeppelin" is nowhere: the documents with "Reisepass" still help.
    assert keys(index, "Reisepass Zeppelin")[0] == 2


def test_it_filters_by_allowed_keys(index: SearchIndex) -> None:
    assert keys(index, "Reisepass", allowed=frozenset({10, 12})) == [10, 12]
    assert keys(index, "Reisepass", allowed=frozenset()) == []


def test_it_pages(index: SearchIndex) -> None:
    everything = keys(index, "Reisepass")
    result = index.search("Reisepass", limit=2, offset=1)

    assert [hit.key for hit in result.hits] == everything[1:3]
    assert result.total == len(everything)


# --- ranking ---------------------------------------------------------------------------------------------


def test_it_ranks_exact_name_then_prefix_then_keyword_then_text(index: SearchIndex) -> None:
    hits = index.search("Reisepass").hits

    assert [(hit.key, hit.tier) for hit in hits] == [
        (2, TIER_NAME_EXACT),
        (10, TIER_NAME_PREFIX),
        (11, TIER_KEYWORDS),
        (12, TIER_TEXT),
    ]


def test_it_ranks_name_words_above_search_words() -> None:
    index = SearchIndex(
        [
            Document(1, ["Antrag auf Parkausweis"], [], [], []),
            Document(2, ["Sondernutzung"], ["Parkausweis"], [], []),
            Document(3, ["Parkausweis"], [], [], []),
        ]
    )

    assert [(h.key, h.tier) for h in index.search("parkausweis").hits] == [
        (3, TIER_NAME_EXACT),
        (1, TIER_NAME_WORDS),
        (2, TIER_KEYWORDS),
    ]


def test_it_gives_typo_matches_the_lowest_tier() -> None:
    index = SearchIndex([Document(1, ["Reisepass für Kinder"], [], [], []), Document(2, ["Reisepass"], [], [], [])])

    assert [(h.key, h.tier) for h in index.search("Reisepass Kinder").hits] == [(1, TIER_NAME_WORDS)]
    # Every word, one with a typo, still beats only some of the words.
    assert [(h.key, h.tier) for h in index.search("Reisepass Kinnder").hits] == [(1, TIER_FUZZY)]


def test_it_orders_equal_matches_by_name_then_key() -> None:
    index = SearchIndex([Document(k, [name], [], [], []) for k, name in [(3, "Beta Antrag"), (1, "Alpha Antrag")]])

    assert [hit.key for hit in index.search("Antrag").hits] == [1, 3]


@given(st.text(max_size=30))
def test_it_answers_any_query_deterministically(query: str) -> None:
    index = SearchIndex(DOCUMENTS, synonyms())

    first = index.search(query)
    assert first == index.search(query)
    assert len({hit.key for hit in first.hits}) == len(first.hits)


def test_it_lists_documents_by_name_without_a_query(index: SearchIndex) -> None:
    result = index.browse(allowed=frozenset({2, 1, 4}))

    assert [hit.key for hit in result.hits] == [4, 1, 2]


def test_it_builds_an_index_of_6000_services_in_under_two_seconds() -> None:
    words = ["Antrag", "Bescheinigung", "Erlaubnis", "Genehmigung", "Anmeldung", "Abmeldung", "Auskunft"]
    objects = ["Hund", "Gewerbe", "Fahrzeug", "Wohnsitz", "Baum", "Brunnen", "Grab", "Schornstein", "Markt"]
    documents = [
        Document(
            n,
            [f"{objects[n % 9]}{words[n % 7].lower()} {n}", f"{words[n % 7]} {objects[(n // 7) % 9]} Nr. {n}"],
            [f"{objects[(n + 3) % 9]}, Wort{n % 97}"],
            ["Kategorie", f"Lebenslage {n % 11}"],
            [f"Mit diesem Antrag erhalten Sie eine {words[(n + 1) % 7]} für {objects[(n + 2) % 9]} Nummer {n}."] * 2,
        )
        for n in range(6000)
    ]
    started = time.perf_counter()
    index = SearchIndex(documents, synonyms())
    elapsed = time.perf_counter() - started

    assert len(index) == 6000
    assert elapsed < 2.0
    assert index.search("Hundantrag").total > 0


# --- synonyms and grouping -------------------------------------------------------------------------------


def test_it_parses_synonym_lines() -> None:
    parsed = parse_synonyms(["# comment", "perso, Ausweis => Personalausweis", "Auto anmelden => Fahrzeug | Kfz", ""])

    assert parsed == {
        ("perso",): ("Personalausweis",),
        ("ausweis",): ("Personalausweis",),
        ("auto", "anmelden"): ("Fahrzeug", "Kfz"),
    }


def test_it_rejects_a_malformed_synonym_line() -> None:
    with pytest.raises(ValueError, match="line 2"):
        parse_synonyms(["a => b", "only a phrase"])


def test_the_shipped_synonyms_parse() -> None:
    assert ("heiraten",) in synonyms()
    assert ("auto", "anmelden") in synonyms()


def test_it_groups_by_the_best_ranked_member_with_ungrouped_last() -> None:
    ranked = [("a", "Umzug"), ("b", None), ("c", "Heiraten"), ("d", "Umzug")]

    groups = group_hits(ranked, lambda item: item[1])

    assert [(group, [name for name, _ in members]) for group, members in groups] == [
        ("Umzug", ["a", "d"]),
        ("Heiraten", ["c"]),
        (None, ["b"]),
    ]
