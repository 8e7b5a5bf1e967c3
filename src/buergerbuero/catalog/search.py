"""The Kreis-wide service search: German normalisation, synonyms, prefixes, typos and ranking.

Pure: the index is built from plain :class:`Document` rows and answers queries in
memory; ``catalog.selectors`` builds it once per catalogue version.

* **Normalisation** (:func:`fold`): case fold, umlauts and ß spelled out, then
  ``ae/oe/ue`` folded to ``a/o/u`` — so "Führerschein", "Fuehrerschein" and
  "Fuhrerschein" all become ``fuhrerschein`` and "Straße"/"Strasse" meet. The
  fold is applied to index and query alike, so its occasional over-folding
  ("Steuer" → ``steur``) never loses a match.
* **Compounds**: "Gewerbe-Anmeldung" is indexed as ``gewerbe``, ``anmeldung`` and
  ``gewerbeanmeldung``; a query's hyphenated word is joined. Name and keyword
  words also yield their tails that are words of the catalogue
  ("Wohnsitzanmeldung" → ``anmeldung``), so "Anmeldung Wohnsitz" finds it.
* **Prefixes**: "Perso" finds "Personalausweis"; **typos** within a bounded
  edit distance (1 up to 6 letters, 2 from 7) through a trigram index, tried
  only for query words that are not words of the catalogue.
* **Synonyms** are data (``catalog/data/synonyms_de.txt``): a query phrase adds an
  alternative query ("Auto anmelden" → "Fahrzeug zulassen").

Ranking, best first: the whole name ("Reisepass"), the start of the name, every
word in the name, every word in name or search words (or a synonym's), words
anywhere (summary, category, life situation), typo matches. Documents that
have every word of the query are shown alone when there are any, else the ones
with the most words; ties break by score, then name,
then key, so the order is deterministic.
"""

from __future__ import annotations

import heapq
import re
import unicodedata
from bisect import bisect_left
from collections import defaultdict
from collections.abc import Callable, Collection, Hashable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any, TypeVar

__all__ = [
    "Document",
    "Hit",
    "SearchIndex",
    "SearchResult",
    "edit_distance",
    "fold",
    "group_hits",
    "parse_synonyms",
    "query_terms",
    "tokens",
]

# Fields of a document, by weight.
NAME, KEYWORD, CONTEXT, SUMMARY = 4, 3, 2, 1
# How a query word met an index word.
EXACT, PART, PREFIX, FUZZY = 1.0, 0.85, 0.7, 0.4

# Tiers of a match (higher is better).
TIER_NAME_EXACT = 6
TIER_NAME_PREFIX = 5
TIER_NAME_WORDS = 4
TIER_KEYWORDS = 3
TIER_TEXT = 2
TIER_FUZZY = 1

MIN_PREFIX = 3
MAX_PREFIX_TERMS = 400
MIN_FUZZY = 4
MIN_COMPOUND_PART = 4
MAX_ALTERNATIVES = 8

STOPWORDS = frozenset(
    {
        *("a", "am", "an", "auf", "bei", "beim", "das", "dem", "den", "der", "des", "die", "ein", "eine", "einem"),
        *("einen", "einer", "for", "fur", "how", "i", "ich", "im", "in", "mein", "meine", "meinen", "meiner"),
        *("mit", "my", "of", "oder", "the", "to", "und", "von", "was", "wie", "wo", "zu", "zum", "zur"),
    }
)

_WORD = re.compile(r"[^\W_]+(?:[-‐‑/][^\W_]+)*")
_SEPARATORS = re.compile(r"[-‐‑/]")
_UMLAUTS = str.maketrans({"ä": "ae", "ö": "oe", "ü": "ue", "ß": "ss", "ẞ": "ss"})
_FOLDED = re.compile(r"([aou])e")


@lru_cache(maxsize=200_000)
def fold(word: str) -> str:
    """One word (or text) in the form the index compares: lower case, umlauts and ``ae/oe/ue`` folded, no accents."""
    # NFKC first: compatibility characters such as "ℇ" become letters ("Ɛ") that casefold can lower.
    text = unicodedata.normalize("NFKC", word).casefold().translate(_UMLAUTS)
    text = "".join(c for c in unicodedata.normalize("NFKD", text) if not unicodedata.combining(c))
    folded = _FOLDED.sub(r"\1", text)
    while folded != text:  # "äe" → "aee" → "ae" → "a": fold until nothing changes, so fold(fold(x)) == fold(x)
        text, folded = folded, _FOLDED.sub(r"\1", folded)
    return folded


def tokens(text: str) -> list[tuple[str, str]]:
    """The words of ``text`` as (folded, original) pairs; a hyphenated word gives its parts and the joined whole."""
    result: list[tuple[str, str]] = []
    for match in _WORD.finditer(text):
        chunk = match.group()
        parts = [p for p in _SEPARATORS.split(chunk) if p]
        result.extend((fold(p), p) for p in parts)
        if len(parts) > 1:
            result.append((fold("".join(parts)), chunk))
    return result


def query_terms(text: str) -> list[str]:
    """The words of a query: folded, hyphenated words joined, stop words dropped (unless nothing else is left)."""
    words = [fold(_SEPARATORS.sub("", m.group())) for m in _WORD.finditer(text)]
    words = [w for w in words if w]
    meaningful = [w for w in words if w not in STOPWORDS]
    return meaningful or words


def compact(text: str) -> str:
    """``text`` folded, without spaces or punctuation: for comparing whole names."""
    return "".join(fold(m.group()) for m in re.finditer(r"[^\W_]+", text))


def edit_distance(a: str, b: str, limit: int) -> int:
    """Optimal string alignment distance (a swap of neighbours counts once), or ``limit + 1`` when above ``limit``."""
    if abs(len(a) - len(b)) > limit:
        return limit + 1
    previous2: list[int] = []
    previous = list(range(len(b) + 1))
    for i in range(1, len(a) + 1):
        current = [i] + [0] * len(b)
        row_min = i
        for j in range(1, len(b) + 1):
            cost = 0 if a[i - 1] == b[j - 1] else 1
            value = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + cost)
            if i > 1 and j > 1 and a[i - 1] == b[j - 2] and a[i - 2] == b[j - 1]:
                value = min(value, previous2[j - 2] + 1)
            current[j] = value
            row_min = min(row_min, value)
        if row_min > limit:
            return limit + 1
        previous2, previous = previous, current
    return min(previous[len(b)], limit + 1)


def allowed_typos(term: str) -> int:
    return 1 if len(term) <= 6 else 2


def parse_synonyms(lines: Iterable[str]) -> dict[tuple[str, ...], tuple[str, ...]]:
    """Synonym lines ``phrase => replacement | replacement`` (``#`` starts a comment) as folded lookups.

    Several lines for one phrase add up; ``a, b => c`` lists several phrases.
    """
    found: dict[tuple[str, ...], list[str]] = defaultdict(list)
    for number, raw in enumerate(lines, start=1):
        line = raw.split("#", 1)[0].strip()
        if not line:
            continue
        if "=>" not in line:
            raise ValueError(f"synonyms line {number}: expected 'phrase => replacement', got {raw!r}")
        left, right = line.split("=>", 1)
        replacements = [r.strip() for r in right.split("|") if r.strip()]
        phrases = [tuple(query_terms(p)) for p in left.split(",") if p.strip()]
        if not replacements or not phrases or not all(phrases):
            raise ValueError(f"synonyms line {number}: empty phrase or replacement in {raw!r}")
        for phrase in phrases:
            found[phrase].extend(r for r in replacements if r not in found[phrase])
    return {phrase: tuple(replacements) for phrase, replacements in found.items()}


#: How one query word met one document: (weight × kind, field, kind), the best of its index words.
_Match = tuple[float, int, float]
_SortKey = tuple[int, int, float, float, str, int]
_EVERYTHING: frozenset[int] = frozenset({-1})  # marks an ``allowed`` that lets every document through


@dataclass(frozen=True)
class Document:
    """What the search knows of one service; ``key`` is the caller's identifier (the service's pk)."""

    key: int
    names: Sequence[str]
    keywords: Sequence[str] = ()
    context: Sequence[str] = ()
    summaries: Sequence[str] = ()


@dataclass(frozen=True, order=True)
class Hit:
    """One found document. Sorting hits puts the best first."""

    sort_key: _SortKey = field(repr=False)
    key: int = field(compare=False)
    tier: int = field(compare=False)
    score: float = field(compare=False)

    @property
    def matches_all(self) -> bool:
        """Whether every word of the query (or of one of its synonym forms) was found."""
        return self.sort_key[0] == -1


@dataclass(frozen=True)
class SearchResult:
    hits: list[Hit]  #: the requested page
    total: int  #: how many documents matched
    suggestion: str | None  #: "did you mean": the query with its typos corrected, when that helps


class SearchIndex:
    """An in-memory inverted index over :class:`Document` rows."""

    def __init__(
        self, documents: Iterable[Document], synonyms: Mapping[tuple[str, ...], Sequence[str]] | None = None
    ) -> None:
        self.documents: list[Document] = list(documents)
        self.synonyms = dict(synonyms or {})
        self._postings: dict[str, dict[int, int]] = defaultdict(dict)  # term → {doc: best field}
        self._parts: dict[str, dict[int, int]] = defaultdict(dict)  # compound tail → {doc: best field}
        self._surface: dict[str, str] = {}
        self._names: list[tuple[str, ...]] = []
        self._sort_names: list[str] = []
        for position, document in enumerate(self.documents):
            self._add(position, document)
        self._vocabulary = sorted(self._postings)
        self._add_compound_parts()
        self._trigrams: dict[str, list[str]] = defaultdict(list)
        for term in self._vocabulary:
            if len(term) >= MIN_FUZZY - 1:
                for gram in _trigrams(term):
                    self._trigrams[gram].append(term)
        self._postings = dict(self._postings)
        self._parts = dict(self._parts)
        self._trigrams = dict(self._trigrams)
        self._position_of = {document.key: position for position, document in enumerate(self.documents)}
        self._allowed_cache: dict[frozenset[int], frozenset[int]] = {}

    def __len__(self) -> int:
        return len(self.documents)

    def _add(self, position: int, document: Document) -> None:
        fields = (
            (NAME, document.names),
            (KEYWORD, document.keywords),
            (CONTEXT, document.context),
            (SUMMARY, document.summaries),
        )
        for weight, texts in fields:
            for text in texts:
                for term, original in tokens(text):
                    postings = self._postings[term]
                    if postings.get(position, 0) < weight:
                        postings[position] = weight
                    if weight >= KEYWORD:
                        self._surface.setdefault(term, original)
        self._names.append(tuple(compact(name) for name in document.names if name))
        self._sort_names.append(fold(document.names[0]) if document.names else "")

    def _add_compound_parts(self) -> None:
        known = self._postings
        for term in self._vocabulary:
            if len(term) < 2 * MIN_COMPOUND_PART:
                continue
            documents = [(doc, weight) for doc, weight in known[term].items() if weight >= KEYWORD]
            if not documents:
                continue
            for split in range(MIN_COMPOUND_PART, len(term) - MIN_COMPOUND_PART + 1):
                tail = term[split:]
                if tail in known:
                    parts = self._parts[tail]
                    for doc, weight in documents:
                        if parts.get(doc, 0) < weight:
                            parts[doc] = weight

    # --- answering -------------------------------------------------------------------------------

    def search(
        self, query: str, *, allowed: Collection[int] | None = None, limit: int = 25, offset: int = 0
    ) -> SearchResult:
        """Documents matching ``query`` (only those whose key is in ``allowed``, if given), best first."""
        terms = query_terms(query)
        if not terms:
            return SearchResult(hits=[], total=0, suggestion=None)
        allowed_positions = self._allowed_positions(allowed)
        prepared = []
        for alternative, is_synonym in self._alternatives(terms):
            per_term = [self._term_matches(term, allowed_positions) for term in alternative]
            complete = set(per_term[0]).intersection(*per_term[1:]) if all(per_term) else set()
            prepared.append((alternative, is_synonym, per_term, complete))
        # Some documents have every word (of the query or a synonym form): those with only some would be noise.
        any_complete = any(complete for *_rest, complete in prepared)
        best: dict[int, _SortKey] = {}
        for alternative, is_synonym, per_term, complete in prepared:
            positions = complete if any_complete else set().union(*per_term)
            query_compact = "".join(alternative)
            for position in positions:
                found = [matches[position] for matches in per_term if position in matches]
                tier = self._tier(position, found, query_compact, is_synonym)
                score = sum(match[0] for match in found) * (0.9 if is_synonym else 1.0)
                sort_key = (
                    -int(any_complete),
                    -tier,
                    -len(found) / len(alternative),
                    -score,
                    self._sort_names[position],
                    self.documents[position].key,
                )
                current = best.get(position)
                if current is None or sort_key < current:
                    best[position] = sort_key
        page = heapq.nsmallest(offset + limit, best.values())[offset:]
        hits = [Hit(sort_key=k, key=k[5], tier=-k[1], score=round(-k[3], 3)) for k in page]
        suggestion = None
        if not best or (hits and hits[0].tier == TIER_FUZZY) or (not hits and min(best.values())[1] == -TIER_FUZZY):
            suggestion = self.suggest(terms)
        return SearchResult(hits=hits, total=len(best), suggestion=suggestion)

    def browse(self, *, allowed: Collection[int] | None = None, limit: int = 25, offset: int = 0) -> SearchResult:
        """Every document (or those in ``allowed``) by name, for a listing without a query."""
        positions = self._allowed_positions(allowed)
        chosen = range(len(self.documents)) if positions is None else positions
        ordered = sorted(chosen, key=lambda p: (self._sort_names[p], self.documents[p].key))
        hits = [
            Hit(
                sort_key=(0, 0, 0.0, 0.0, self._sort_names[p], self.documents[p].key),
                key=self.documents[p].key,
                tier=0,
                score=0.0,
            )
            for p in ordered[offset : offset + limit]
        ]
        return SearchResult(hits=hits, total=len(ordered), suggestion=None)

    def suggest(self, terms: Sequence[str]) -> str | None:
        """The query with each unknown word replaced by the closest word of the catalogue, if any changed."""
        words: list[str] = []
        changed = False
        for term in terms:
            if term in self._postings or term in self._parts:
                words.append(self._surface.get(term, term))
                continue
            close = self._fuzzy_terms(term)
            if close:
                words.append(self._surface.get(close[0][1], close[0][1]))
                changed = True
            else:
                words.append(term)
        return " ".join(words) if changed else None

    def _allowed_positions(self, allowed: Collection[int] | None) -> frozenset[int] | None:
        if allowed is None:
            return None
        keys = allowed if isinstance(allowed, frozenset) else frozenset(allowed)
        positions = self._allowed_cache.get(keys)
        if positions is _EVERYTHING:
            return None
        if positions is None:
            if len(self._allowed_cache) > 64:
                self._allowed_cache.clear()
            positions = frozenset(self._position_of[key] for key in keys if key in self._position_of)
            if len(positions) == len(self.documents):
                positions = _EVERYTHING  # no filter needed: most towns list most of the catalogue
            self._allowed_cache[keys] = positions
        return None if positions is _EVERYTHING else positions

    def _alternatives(self, terms: list[str]) -> list[tuple[list[str], bool]]:
        alternatives: list[tuple[list[str], bool]] = [(terms, False)]
        for size in range(len(terms), 0, -1):
            for start in range(len(terms) - size + 1):
                replacements = self.synonyms.get(tuple(terms[start : start + size]), ())
                for replacement in replacements:
                    rewritten = [*terms[:start], *query_terms(replacement), *terms[start + size :]]
                    if (rewritten, True) not in alternatives and rewritten != terms:
                        alternatives.append((rewritten, True))
                    if len(alternatives) >= MAX_ALTERNATIVES:
                        return alternatives
        return alternatives

    def _term_matches(self, term: str, allowed: frozenset[int] | None) -> dict[int, _Match]:
        matches: dict[int, _Match] = {}

        def offer(postings: Mapping[int, int], kind: float) -> None:
            for position, weight in postings.items():
                if allowed is not None and position not in allowed:
                    continue
                value = weight * kind
                current = matches.get(position)
                if current is None or value > current[0]:
                    matches[position] = (value, weight, kind)

        exact = self._postings.get(term)
        part = self._parts.get(term)
        if exact:
            offer(exact, EXACT)
        if part:
            offer(part, PART)
        if len(term) >= MIN_PREFIX:
            start = bisect_left(self._vocabulary, term)
            for other in self._vocabulary[start : start + MAX_PREFIX_TERMS]:
                if not other.startswith(term):
                    break
                if other != term:
                    offer(self._postings[other], PREFIX)
        if not exact and not part:
            for _distance, other in self._fuzzy_terms(term):
                offer(self._postings[other], FUZZY)
        return matches

    def _fuzzy_terms(self, term: str) -> list[tuple[int, str]]:
        """Words of the catalogue within the allowed typos of ``term`` (whole word, or its start), closest first."""
        if len(term) < MIN_FUZZY:
            return []
        limit = allowed_typos(term)
        grams = _trigrams(term, closed=False)
        shared: dict[str, int] = defaultdict(int)
        for gram in grams:
            for other in self._trigrams.get(gram, ()):
                shared[other] += 1
        needed = max(1, len(grams) - 3 * limit)
        found: list[tuple[int, str]] = []
        for other, count in shared.items():
            if count < needed or other == term:
                continue
            distance = edit_distance(term, other, limit)
            if distance > limit and len(other) > len(term) and len(term) >= MIN_FUZZY + 1:
                # The start of a longer word: "Persnalaus" → "personalausweis".
                distance = edit_distance(term, other[: len(term)], 1) + 1
            if distance <= limit:
                found.append((distance, other))
        found.sort(key=lambda item: (item[0], -len(self._postings[item[1]]), item[1]))
        return found

    def _tier(self, position: int, found: list[_Match], query_compact: str, is_synonym: bool) -> int:
        if any(kind == FUZZY for _value, _field, kind in found):
            return TIER_FUZZY
        if not is_synonym:
            names = self._names[position]
            if query_compact in names:
                return TIER_NAME_EXACT
            if len(query_compact) >= MIN_PREFIX and any(name.startswith(query_compact) for name in names):
                return TIER_NAME_PREFIX
            if all(field == NAME for _value, field, _kind in found):
                return TIER_NAME_WORDS
        if all(field >= KEYWORD for _value, field, _kind in found):
            return TIER_KEYWORDS
        return TIER_TEXT


def _trigrams(term: str, *, closed: bool = True) -> list[str]:
    padded = f"^{term}$" if closed else f"^{term}"
    return list(dict.fromkeys(padded[i : i + 3] for i in range(len(padded) - 2)))


G = TypeVar("G", bound=Hashable)
T = TypeVar("T")


def group_hits(
    items: Sequence[T], group_of: Callable[[T], G | None], *, order: Callable[[G], Any] | None = None
) -> list[tuple[G | None, list[T]]]:
    """Ranked ``items`` grouped by ``group_of``: groups in the order of their best item, ungrouped ones last.

    Within a group the items keep their rank. ``order`` (optional) sorts the groups instead.
    """
    groups: dict[G, list[T]] = {}
    ungrouped: list[T] = []
    for item in items:
        group = group_of(item)
        if group is None:
            ungrouped.append(item)
        else:
            groups.setdefault(group, []).append(item)
    keys = list(groups)
    if order is not None:
        keys.sort(key=order)
    result: list[tuple[G | None, list[T]]] = [(key, groups[key]) for key in keys]
    if ungrouped:
        result.append((None, ungrouped))
    return result
