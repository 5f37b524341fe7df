"""Parsing a question into what to search: boilerplate stripped, stop words dropped, words
stemmed, unknown words spell-corrected and synonyms expanded.

A question becomes a tuple of *concepts*, one per thing the user asked about. Each concept has
alternatives — the user's own words first, then spelling corrections and synonyms — and a document
is credited with the best alternative it matches, so a document that says "ctax" and one that
says "council tax" score alike for "council tax", and saying both twice earns nothing extra.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final, Protocol

from knowledge.search.synonyms import Match, Phrase, Synonyms
from knowledge.search.text import Token, stem, strip_boilerplate, tokens

EXPANSION_WEIGHT: Final = 0.6  # a synonym counts for less than the word the user chose
MAX_CORRECTIONS: Final = 12  # per question: a pasted essay must not cost a second


@dataclass(frozen=True, slots=True)
class Alternative:
    stems: tuple[str, ...]
    weight: float


@dataclass(frozen=True, slots=True)
class Concept:
    words: tuple[str, ...]  # as the question wrote them, lower-cased
    alternatives: tuple[Alternative, ...]  # [0] is the question's own words, maybe corrected

    @property
    def own(self) -> Alternative:
        return self.alternatives[0]


@dataclass(frozen=True, slots=True)
class ParsedQuery:
    text: str  # the question after boilerplate stripping
    concepts: tuple[Concept, ...]

    @property
    def terms(self) -> tuple[str, ...]:
        """Every stem searched, the question's own (corrected) first, then expansions."""
        return terms_of(self.concepts)


def terms_of(concepts: tuple[Concept, ...]) -> tuple[str, ...]:
    seen: dict[str, None] = {}
    for concept in concepts:
        seen.update(dict.fromkeys(concept.own.stems))
    for concept in concepts:
        for alternative in concept.alternatives[1:]:
            seen.update(dict.fromkeys(alternative.stems))
    return tuple(seen)


class Vocabulary(Protocol):
    """What the parser needs from an index to correct spelling."""

    def corrections(self, word: str, stem: str) -> tuple[tuple[str, float], ...]:
        """Stems to search instead of an unknown word, each with a similarity in 0..1.

        () when the word is known, or when nothing in the vocabulary is close enough.
        """
        ...


@dataclass(frozen=True, slots=True)
class _Word:
    token: Token
    options: tuple[tuple[str, float], ...]  # (stem, weight): the word itself or its corrections
    exact: tuple[Phrase, ...]  # expansions from an exact-case synonym entry ("SEND")

    @property
    def primary(self) -> str:
        return self.options[0][0]


def query_terms(
    text: str, synonyms: Synonyms, *, vocabulary: Vocabulary | None = None
) -> ParsedQuery:
    """Parse a question. Without a ``vocabulary`` no spelling is corrected."""
    stripped = strip_boilerplate(text)
    # Exact-case entries ("SEND") are looked for in the question as written; stripping lowers it.
    exact_written = {
        token.lower: expansions
        for token in tokens(text)
        if (expansions := synonyms.exact_matches(token.surface))
    }
    words = _content_words(stripped, synonyms, exact_written, vocabulary)
    matches = {match.start: match for match in synonyms.phrase_matches([w.primary for w in words])}
    concepts: list[Concept] = []
    i = 0
    while i < len(words):
        match = matches.get(i)
        if match is None:
            concepts.append(_single(words[i]))
            i += 1
        else:
            concepts.append(_phrase(words[i : i + match.length], match))
            i += match.length
    return ParsedQuery(stripped, _dedupe(concepts))


def _content_words(
    stripped: str,
    synonyms: Synonyms,
    exact_written: dict[str, tuple[Phrase, ...]],
    vocabulary: Vocabulary | None,
) -> list[_Word]:
    known = synonyms.words
    words: list[_Word] = []
    budget = MAX_CORRECTIONS
    for token in tokens(stripped):
        exact = exact_written.get(token.lower, ())
        if token.is_stop and not exact:
            continue
        own = token.stem or stem(token.lower)
        options: tuple[tuple[str, float], ...] = ((own, 1.0),)
        if vocabulary is not None and not exact and own not in known and budget > 0:
            corrected = vocabulary.corrections(token.lower, own)
            if corrected:
                budget -= 1
                options = corrected
        words.append(_Word(token, options, exact))
    return words


def _single(word: _Word) -> Concept:
    alternatives = [Alternative((option,), weight) for option, weight in word.options]
    alternatives += [Alternative(phrase, EXPANSION_WEIGHT) for phrase in word.exact]
    return Concept((word.token.lower,), tuple(alternatives))


def _phrase(words: list[_Word], match: Match) -> Concept:
    weight = min(word.options[0][1] for word in words)
    own = Alternative(tuple(word.primary for word in words), weight)
    alternatives = [own]
    if len(words) == 1:
        alternatives += [Alternative((s,), w) for s, w in words[0].options[1:]]
    alternatives += [
        Alternative(phrase, EXPANSION_WEIGHT * weight)
        for phrase in match.expansions
        if phrase != own.stems
    ]
    return Concept(tuple(word.token.lower for word in words), tuple(alternatives))


def _dedupe(concepts: list[Concept]) -> tuple[Concept, ...]:
    seen: set[tuple[str, ...]] = set()
    out: list[Concept] = []
    for concept in concepts:
        if concept.own.stems not in seen:
            seen.add(concept.own.stems)
            out.append(concept)
    return tuple(out)
