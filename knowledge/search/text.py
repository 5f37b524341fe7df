"""Turning text into index terms: normalising, tokenising, stop words, stemming and stripping
the boilerplate people wrap round a question ("has anyone built …?").

Documents and questions go through the same functions, so a term in a question matches the same
term in a document whatever its case, inflection or apostrophes.
"""

from __future__ import annotations

import re
import threading
import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any, Final

import snowballstemmer

# A short English list, plus the words every question carries. Deliberately not "council",
# "new", "online" or "data": they carry meaning in this domain.
STOP_WORDS: Final = frozenset(
    str.split(
        """
        a about above after again against all also am an and any anybody anyone anything are aren
        as at be because been before being below between both but by can cannot could couldn did
        didn do does doesn doing don dont down during each else etc ever every few for from further
        had hadn has hasn have haven having he her here hers herself him himself his how i if im in
        into is isn it its itself ive just let lets me might more most much must mustn my myself no
        nor not now of off on once only or other our ours ourselves out over own per please re
        really same shall she should shouldn so some someone something such than thanks that thats
        the their theirs them themselves then there these they theyre this those through thus to too
        under until up upon us very via was wasn we were weren weve what whats when where whether
        which while who whom whose why will with won would wouldn yes yet you your yours yourself
        yourselves youre
        """
    )
)

MAX_WORD: Final = 40  # longer "words" are hashes, URLs or keyboard mashing

_APOSTROPHES: Final = str.maketrans({"\u2019": "'", "\u2018": "'", "\u02bc": "'", "`": "'"})
_POSSESSIVE: Final = re.compile(r"(?<=\w)'s\b")
_APOSTROPHE: Final = re.compile(r"'")
WORD: Final = re.compile(r"[^\W_]+")
_SPACES: Final = re.compile(r"\s+")

_ANYONE = (
    r"(?:any\s*one|any\s*body|some\s*one|other\s+(?:councils?|teams?|las?)|"
    r"any\s+(?:other\s+)?(?:councils?|las?|local\s+authorit(?:y|ies)|teams?|organisations?))"
)
_DONE = (
    r"(?:done|do|built|build|made|make|created|create|developed|develop|used|use|procured|"
    r"procure|bought|buy|tried|try|implemented|implement|commissioned|commission|launched|"
    r"launch|delivered|deliver|introduced|introduce|got|had|have|seen|written|write|run|"
    r"set\s+up|worked\s+on|work\s+on|looked\s+(?:at|into)|come\s+across|know|knows|"
    r"replaced|replace|moved|migrated|automated|digitised|redesigned)"
)
# Order matters: longer openings first. Verbs are only stripped when they follow "anyone",
# so "tools to collect data" keeps "collect" while "has anyone built tools" loses "built".
_BOILERPLATE: Final = tuple(
    re.compile(pattern)
    for pattern in (
        rf"\b(?:has|have|did|does|do|is|are|had)\s+{_ANYONE}(?:\s+(?:else|ever|already|here|out\s+there|previously|recently|successfully))*(?:\s+{_DONE})?(?:\s+(?:if|whether|of|about|anything|something|like))*\b",
        rf"\b{_ANYONE}(?:\s+(?:else|ever|already|here|out\s+there))*(?:\s+(?:has|have|had))?(?:\s+(?:ever|already))?\s+(?:{_DONE})(?:\s+(?:if|whether|of|about|anything|something|like))*\b",
        r"\bis\s+there\s+(?:any\s*one|any\s*body|someone)(?:\s+(?:who|that))?(?:\s+(?:has|have|had|can|could|knows?))?(?:\s+(?:ever|already))?(?:\s+"
        + _DONE
        + r")?\b",
        r"\bis\s+there\b",
        r"\bare\s+there\s+any\b",
        r"\b(?:can|could|would)\s+(?:any\s*one|any\s*body|someone|you)\s+(?:please\s+)?(?:recommend|share|point\s+(?:me|us)(?:\s+(?:to|at))?|suggest|help(?:\s+(?:me|us))?(?:\s+with)?|tell\s+(?:me|us)(?:\s+about)?)\b",
        r"\b(?:i|we)\s*(?:'?m|'?re|\s+am|\s+are)\s+(?:currently\s+)?(?:thinking|looking|planning|hoping)\s+(?:about|at|into|for|to)\b",
        r"\b(?:i|we)\s*(?:'?d|\s+would)\s+(?:love|like)\s+to\s+(?:hear|know|talk|speak)(?:\s+(?:from|about|of))?\b",
        r"\b(?:looking|searching)\s+for\b",
        r"\b(?:any|some)\s+(?:examples?|ideas?|pointers?|recommendations?|suggestions?|thoughts?|advice|experience|help)(?:\s+(?:of|on|with|for|about))?\b",
        r"\b(?:examples?|case\s+stud(?:y|ies))\s+of\b",
        r"\bwho\s+(?:has|have|had|is|are)(?:\s+(?:ever|already))?(?:\s+" + _DONE + r")?\b",
        r"\b(?:hi|hello|hey|morning|afternoon)\s+(?:all|everyone|folks|team|there)\b",
        r"\b(?:thanks|thank\s+you|cheers|ta|please|pls|plz|many\s+thanks|in\s+advance)\b",
        r"\bdoes\s+any\s*one\s+know\b",
        r"\bany\s*one\b",
    )
)


@dataclass(frozen=True, slots=True)
class Token:
    """One word of some text: as written, lower-cased, and stemmed (empty for a stop word)."""

    surface: str
    lower: str
    stem: str
    start: int
    end: int

    @property
    def is_stop(self) -> bool:
        return not self.stem


class Stemmer:
    """English Snowball stemmer with a cache (stemming is the hot path of indexing).

    Safe to call from several threads: a snowballstemmer object keeps the word it is working on
    in itself, so two threads sharing one raise IndexError or get each other's stems; each
    thread gets its own. The cache is shared: a dict lookup or store is atomic, and clearing it
    only costs some stems again.
    """

    __slots__ = ("_cache", "_local", "_max")

    def __init__(self, *, max_cached: int = 500_000) -> None:
        self._local = threading.local()
        self._cache: dict[str, str] = {}
        self._max = max_cached

    def _stemmer(self) -> Any:
        stemmer = getattr(self._local, "stemmer", None)
        if stemmer is None:
            stemmer = self._local.stemmer = snowballstemmer.stemmer("english")
        return stemmer

    def __call__(self, word: str) -> str:
        stem = self._cache.get(word)
        if stem is None:
            stem = str(self._stemmer().stemWord(word)) if word.isalpha() else word
            if len(self._cache) >= self._max:
                self._cache.clear()
            self._cache[word] = stem
        return stem


stem = Stemmer()


def normalise(text: str) -> str:
    """NFKC, lower case, one kind of apostrophe, possessive 's dropped ("London's" → "london")."""
    text = unicodedata.normalize("NFKC", text).translate(_APOSTROPHES).lower()
    return _APOSTROPHE.sub("", _POSSESSIVE.sub("", text))


def collapse_whitespace(text: str) -> str:
    return _SPACES.sub(" ", text).strip()


def index_terms(text: str) -> list[str]:
    """The stems of every non-stop word in ``text``, in order, for indexing."""
    out: list[str] = []
    for word in WORD.findall(normalise(text)):
        if 1 < len(word) <= MAX_WORD and word not in STOP_WORDS:
            out.append(stem(word))
    return out


def tokens(text: str) -> Iterator[Token]:
    """Every word of ``text`` with its offsets in ``text`` (for snippets and query parsing).

    Offsets refer to the text as given; words are normalised one at a time so that they stay
    aligned with it.
    """
    for match in WORD.finditer(text):
        surface = match.group()
        lower = normalise(surface)
        end = match.end()
        # "London's": the possessive is a separate \w run after the apostrophe; swallow it.
        if (
            text[end : end + 2].translate(_APOSTROPHES).lower() == "'s"
            and not text[end + 2 : end + 3].isalnum()
        ):
            end += 2
        if (len(lower) <= 1 and not lower.isdigit()) or len(lower) > MAX_WORD:
            continue
        is_stop = lower in STOP_WORDS
        yield Token(surface, lower, "" if is_stop else stem(lower), match.start(), end)


def strip_boilerplate(question: str) -> str:
    """Remove the question's wrapping so only what it is about remains.

    "Has anyone built tools to collect brownfield land data?" → "tools to collect brownfield
    land data?". The result is normalised (lower case, apostrophes removed).
    """
    text = " " + normalise(question) + " "
    for pattern in _BOILERPLATE:
        text = pattern.sub(" ", text)
    return collapse_whitespace(text)
