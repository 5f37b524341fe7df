"""Splitting a project or weeknote into passages of about 100–200 words.

Why passages (issue 11): scored whole, a 5,000-character weeknote that mentions a topic once in
passing outranked the project about it, and one embedding of a long multi-topic text means
nothing in particular. A document scores by its best passage instead. Measured with
all-MiniLM-L6-v2, 100–200-word passages retrieved better than whole 512-token chunks.

Passages follow paragraphs where they can: paragraphs are gathered until a passage has at least
``MIN_WORDS``; a paragraph too long for one passage is cut between sentences. Consecutive
passages overlap by a sentence or a short paragraph (up to ``OVERLAP_WORDS``), so a point made
across a boundary is whole in one of them. The same function serves the lexical index, the
embedder and the snippet, so passage numbers mean the same everywhere.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Sequence
from typing import Final

MIN_WORDS: Final = 100
MAX_WORDS: Final = 200
OVERLAP_WORDS: Final = 40

_PARAGRAPHS: Final = re.compile(r"\n\s*\n|\n(?=\s*(?:[-*•#]|\d+[.)])\s)")
_SENTENCE_END: Final = re.compile(r"(?<=[.!?…])[\"')\]]*\s+(?=[\"'(\[]?[A-Z0-9#*•-])")
_WORDS: Final = re.compile(r"\S+")


def passages(text: str) -> tuple[str, ...]:
    """The passages of ``text``, in order; a short text is one passage, an empty one none.

    Pieces (paragraphs, or parts of long ones, each at most MAX_WORDS // 2 words) are added to
    a passage until the next would take it past MAX_WORDS, so every passage but a short text's
    only one has more than MAX_WORDS // 2. A last passage with little new in it is folded
    into the one before.
    """
    paragraphs = _paragraphs(text)
    if sum(map(_count, paragraphs)) <= MAX_WORDS:  # most documents: one passage, cut nowhere
        return ("\n\n".join(paragraphs),) if paragraphs else ()
    pieces = [piece for paragraph in paragraphs for piece in _fit(paragraph)]
    out: list[str] = []
    current: list[str] = []
    words = fresh = 0
    for piece in pieces:
        n = _count(piece)
        if current and words + n > MAX_WORDS:
            out.append("\n\n".join(current))
            current, words = _overlap(current)
            if words + n > MAX_WORDS:
                current, words = [], 0
            fresh = 0
        current.append(piece)
        words += n
        fresh += n
    if fresh:
        if out and fresh < MIN_WORDS // 2 and _count(out[-1]) + fresh <= MAX_WORDS + MIN_WORDS // 2:
            out[-1] = "\n\n".join([out[-1], *current[len(current) - _pieces_new(current, fresh) :]])
        else:
            out.append("\n\n".join(current))
    return tuple(out)


def _pieces_new(current: list[str], fresh: int) -> int:
    """How many of the last pieces of ``current`` hold its ``fresh`` (not overlapped) words."""
    taken = count = 0
    for piece in reversed(current):
        if taken >= fresh:
            break
        taken += _count(piece)
        count += 1
    return count


def digest(texts: Sequence[str]) -> str:
    """A short fingerprint of a document's passages: stored embeddings are current while it
    matches (a changed text, or a changed way of splitting, makes them stale)."""
    h = hashlib.sha1(usedforsecurity=False)
    for text in texts:
        h.update(text.encode("utf-8"))
        h.update(b"\x00")
    return h.hexdigest()[:20]


def sentences(text: str) -> list[str]:
    """``text`` cut between sentences (for snippets and for over-long paragraphs)."""
    return [s.strip() for s in _SENTENCE_END.split(text) if s.strip()]


def _paragraphs(text: str) -> list[str]:
    return [" ".join(p.split()) for p in _PARAGRAPHS.split(text) if p.strip()]


def _count(text: str) -> int:
    return len(text.split())


def _fit(paragraph: str) -> list[str]:
    """A paragraph as pieces of at most MAX_WORDS // 2 words, cut between sentences (and
    between words only when a sentence alone is longer)."""
    limit = MAX_WORDS // 2
    if _count(paragraph) <= limit:
        return [paragraph]
    pieces: list[str] = []
    current: list[str] = []
    words = 0
    for sentence in sentences(paragraph):
        for part in _chop(sentence, limit):
            n = _count(part)
            if current and words + n > limit:
                pieces.append(" ".join(current))
                current, words = [], 0
            current.append(part)
            words += n
    if current:
        pieces.append(" ".join(current))
    return pieces


def _chop(sentence: str, limit: int) -> list[str]:
    words = sentence.split()
    return [" ".join(words[i : i + limit]) for i in range(0, len(words), limit)] or [sentence]


def _overlap(pieces: list[str]) -> tuple[list[str], int]:
    """The end of a finished passage that starts the next one: its last piece when short,
    else that piece's last sentence when short enough, else nothing."""
    last = pieces[-1]
    if _count(last) <= OVERLAP_WORDS:
        return [last], _count(last)
    tail = sentences(last)[-1:]
    if tail and _count(tail[0]) <= OVERLAP_WORDS:
        return tail, _count(tail[0])
    return [], 0
