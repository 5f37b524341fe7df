"""Local-government synonyms and abbreviations (bins ↔ waste collection, ctax ↔ council tax).

The groups live in ``synonyms.txt`` beside this module; its header documents the format.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path

from knowledge.search.text import index_terms

Phrase = tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Match:
    """A synonym entry found in a question: ``length`` content stems from ``start`` on."""

    start: int
    length: int
    expansions: tuple[Phrase, ...]


@dataclass(frozen=True, slots=True)
class Synonyms:
    """Groups of interchangeable phrases, each phrase a tuple of stems.

    ``exact`` entries (written ``=SEND`` in the file) match only when the question spells them
    exactly so, and are never added as an expansion: "SEND" means special educational needs,
    "send" is a verb.
    """

    groups: tuple[tuple[Phrase, ...], ...] = ()
    exact: tuple[tuple[str, int], ...] = ()  # (surface spelling, group number)
    _by_phrase: dict[Phrase, tuple[int, ...]] = field(default_factory=dict, repr=False)
    _by_surface: dict[str, tuple[int, ...]] = field(default_factory=dict, repr=False)
    _longest: int = 1
    _words: frozenset[str] = frozenset()

    @classmethod
    def from_lines(cls, lines: Iterable[str]) -> Synonyms:
        """Parse the synonyms file format (see the header of ``synonyms.txt``)."""
        groups: list[tuple[Phrase, ...]] = []
        exact: list[tuple[str, int]] = []
        for raw in lines:
            line = raw.split("#", 1)[0].strip()
            if line:
                phrases, spellings = _parse_group(line)
                exact += [(spelling, len(groups)) for spelling in spellings]
                groups.append(phrases)
        by_phrase: dict[Phrase, list[int]] = {}
        for number, phrases_ in enumerate(groups):
            for phrase in phrases_:
                by_phrase.setdefault(phrase, []).append(number)
        by_surface: dict[str, list[int]] = {}
        for surface, number in exact:
            by_surface.setdefault(surface, []).append(number)
        return cls(
            groups=tuple(groups),
            exact=tuple(exact),
            _by_phrase={key: tuple(value) for key, value in by_phrase.items()},
            _by_surface={key: tuple(value) for key, value in by_surface.items()},
            _longest=max((len(phrase) for phrase in by_phrase), default=1),
            _words=frozenset(stem for phrase in by_phrase for stem in phrase),
        )

    def __len__(self) -> int:
        return len(self.groups)

    @property
    def words(self) -> frozenset[str]:
        """Every stem that appears in some phrase (known words, never "corrected")."""
        return self._words

    def phrase_matches(self, stems: Sequence[str]) -> list[Match]:
        """Greedy longest-first phrase matches over content stems (no exact-case entries)."""
        matches: list[Match] = []
        i = 0
        while i < len(stems):
            for length in range(min(self._longest, len(stems) - i), 0, -1):
                phrase = tuple(stems[i : i + length])
                groups = self._by_phrase.get(phrase)
                if groups:
                    matches.append(Match(i, length, self._expansions(groups, exclude=phrase)))
                    i += length
                    break
            else:
                i += 1
        return matches

    def exact_matches(self, surface: str) -> tuple[Phrase, ...]:
        """Expansions for a word written exactly as an exact-case entry, else ()."""
        groups = self._by_surface.get(surface, ())
        return self._expansions(groups, exclude=()) if groups else ()

    def _expansions(self, groups: Iterable[int], *, exclude: Phrase) -> tuple[Phrase, ...]:
        out: list[Phrase] = []
        for number in groups:
            for phrase in self.groups[number]:
                if phrase != exclude and phrase not in out:
                    out.append(phrase)
        return tuple(out)


def _parse_group(line: str) -> tuple[tuple[Phrase, ...], list[str]]:
    """One line of the file: its phrases as stems, and its exact-case spellings."""
    phrases: list[Phrase] = []
    spellings: list[str] = []
    for entry in (part.strip() for part in line.split(",")):
        if entry.startswith("="):
            if entry[1:].strip():
                spellings.append(entry[1:].strip())
            continue
        phrase = tuple(index_terms(entry))
        if phrase and phrase not in phrases:
            phrases.append(phrase)
    return tuple(phrases), spellings


def load_synonyms(path: Path | None = None) -> Synonyms:
    """Read a synonyms file; by default the one shipped with this package."""
    if path is None:
        text = resources.files("knowledge.search").joinpath("synonyms.txt").read_text("utf-8")
    else:
        text = path.read_text("utf-8")
    return Synonyms.from_lines(text.splitlines())
