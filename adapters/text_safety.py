"""What every renderer does to text that came from a person, before its own escaping: one
module, so Slack, Teams and the terminal cannot drift apart.

- Look-alikes of syntax: characters that NFKC folds to ASCII punctuation (full-width `＜`,
  small-form `﹤`, `⑴`…) are folded first, so the platform's own escaping then makes them
  inert too, and a later normalisation (a search index, a client, a copy-paste) cannot turn
  them back into live syntax. Dots are left alone (“…”): never syntax on their own.
- Invisible characters that could hide inside syntax (`<!chan\u200bnel>`) are removed next to
  ASCII; elsewhere zero-width (non-)joiners are real letters (emoji, Persian, Arabic).
- Bidirectional controls that reorder what is shown (the "Trojan Source" overrides U+202A-E
  and isolates U+2066-9) are removed; right-to-left text needs neither.
- The core's own code spans (bot.text.code) are kept apart from user text by `spans`.

`neutralised` is for text a platform parses (mrkdwn, TextBlock markdown); `visible` is for
plain text nobody parses (Slack's plain_text, Teams' labels and notification summary, the
terminal), where look-alikes are harmless but invisible and reordering characters are not.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable
from functools import cache

ELLIPSIS = "…"
_ASCII_PUNCTUATION = re.compile(r"[!-/:-@\[-`{-~]")
_INVISIBLE = "[\u00ad\u034f\u180e\u200b-\u200d\u2060-\u2064\ufeff]"
_HIDDEN = re.compile(rf"(?:(?<=[\x00-\x7f])|^){_INVISIBLE}+|{_INVISIBLE}+(?=[\x00-\x7f]|$)")
BIDI_CONTROLS = re.compile("[\u202a-\u202e\u2066-\u2069]")


@cache
def lookalikes() -> dict[int, str]:
    """Code point → the ASCII it folds to, for every character NFKC folds to punctuation."""
    table = {}
    for point in range(0xA0, 0x10000):
        if 0xD800 <= point <= 0xDFFF:
            continue
        folded = unicodedata.normalize("NFKC", chr(point))
        if (
            folded.isascii()
            and folded.isprintable()
            and _ASCII_PUNCTUATION.search(folded.replace(".", ""))
        ):
            table[point] = folded
    return table


def neutralised(text: str) -> str:
    """Look-alikes folded, hidden invisible characters and bidi controls removed."""
    return visible(_newlines(text).translate(lookalikes()))


def visible(text: str) -> str:
    """Hidden invisible characters and bidi controls removed, and a carriage return (which
    a terminal obeys by writing over the line) made a line break."""
    return BIDI_CONTROLS.sub("", _HIDDEN.sub("", _newlines(text)))


def _newlines(text: str) -> str:
    return text.replace("\r\n", "\n").replace("\r", "\n")


def cut_at_word(text: str, limit: int, *, size: Callable[[str], int] = len) -> str:
    """Plain text cut with "…" to fit `limit` as `size` counts (Slack counts UTF-16 code
    units, Teams characters), at a word end when one falls in the second half."""
    if size(text) <= limit:
        return text
    cut = prefix_within(text, limit - len(ELLIPSIS), size=size)
    ends = (i for i in range(cut, cut // 2, -1) if i < len(text) and text[i].isspace())
    return text[: next(ends, cut)].rstrip() + ELLIPSIS


def prefix_within(text: str, units: int, *, size: Callable[[str], int] = len) -> int:
    """How many characters of `text` fit in `units` as `size` counts them."""
    n = min(len(text), units)
    while n > 0 and size(text[:n]) > units:
        n -= max(1, size(text[:n]) - units)
    return n
