"""Text rules that hold on every platform, applied on the way in."""

from __future__ import annotations

import re
import unicodedata

# Line and paragraph separators that are not control characters but still break a line.
_BREAKS = "\u0085\u2028\u2029"


def one_line(text: str) -> str:
    """A single-line field (a title, an organisation's name, a contact): control characters and
    line breaks become spaces and runs of space become one, so nobody can start a new line — a
    forged "Stage changes" heading in a digest — from inside a title."""
    folded = "".join(
        " " if ch in _BREAKS or unicodedata.category(ch) == "Cc" else ch for ch in text
    )
    return re.sub(r"\s+", " ", folded).strip()
