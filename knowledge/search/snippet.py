"""The one-line "why it matched" excerpt shown under each answer."""

from __future__ import annotations

from collections.abc import Sequence

from knowledge.search.text import collapse_whitespace, tokens

ELLIPSIS = "…"


def snippet(text: str, terms: Sequence[str], *, width: int = 160) -> str:
    """The ``width``-character window of ``text`` with the most query terms, cut at words.

    ``terms`` are stems, as in ``SearchResult.terms``. Whitespace is collapsed; "…" marks text
    cut off at either end and counts towards ``width``. With no term in the text, the opening.
    """
    text = collapse_whitespace(text)
    if len(text) <= width:
        return text
    wanted = set(terms)
    hits = [(t.start, t.end, t.stem) for t in tokens(text) if t.stem in wanted]
    start = _best_window_start(hits, width - 2) if hits else 0
    return _cut(text, start, width)


def _best_window_start(hits: list[tuple[int, int, str]], room: int) -> int:
    """Start of the window holding the most distinct terms (then most hits), a little early so
    the first hit has some context before it."""
    best_key = (-1, -1)
    best_start = 0
    j = 0
    for i, (start, _, _) in enumerate(hits):
        j = max(j, i)
        while j + 1 < len(hits) and hits[j + 1][1] - start <= room:
            j += 1
        window = hits[i : j + 1]
        key = (len({stem for _, _, stem in window}), len(window))
        if key > best_key:
            best_key, best_start = key, start
            span = window[-1][1] - start
    lead = max(0, (room - span) // 3)
    return max(0, best_start - lead)


def _cut(text: str, start: int, width: int) -> str:
    if start > 0:
        space = text.rfind(" ", 0, start + 1)
        start = space + 1 if space >= 0 else 0
    prefix = ELLIPSIS if start > 0 else ""
    room = width - len(prefix)
    if len(text) - start <= room:
        return prefix + text[start:]
    room -= 1  # the closing ellipsis
    end = text.rfind(" ", start, start + room + 1)
    if end <= start:
        end = start + room
    return prefix + text[start:end].rstrip(" ,;:-") + ELLIPSIS
