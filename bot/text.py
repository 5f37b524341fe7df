"""Text rules that hold on every platform, applied on the way in."""

from __future__ import annotations

import re

# Control characters (Unicode category Cc: U+0000-U+001F and U+007F-U+009F, U+0085 among
# them, a set Unicode promises never to change) and the line and paragraph separators, which
# are not control characters but still break a line. One pattern, not a test per character:
# an import folds a few hundred thousand fields.
_BREAKS = re.compile("[\x00-\x1f\x7f-\x9f\u2028\u2029]")
_SPACES = re.compile(r"\s+")


def one_line(text: str) -> str:
    """A single-line field (a title, an organisation's name, a contact): control characters and
    line breaks become spaces and runs of space become one, so nobody can start a new line — a
    forged "Stage changes" heading in a digest — from inside a title."""
    return _SPACES.sub(" ", _BREAKS.sub(" ", text)).strip()


# The bot's own inline code ("say `digest on`") is marked with two control characters nobody
# types (shift out, shift in), taken out of everything people send, so a renderer can show
# the bot's code as code and escape every backtick a person typed.
CODE_START, CODE_END = "\x0e", "\x0f"


def code(text: str) -> str:
    """`text` shown as inline code, by every platform."""
    return f"{CODE_START}{without_marks(text)}{CODE_END}"


def without_marks(text: str) -> str:
    """Text from a person, with the code marks (which they cannot mean) taken out."""
    return text.replace(CODE_START, "").replace(CODE_END, "")


def spans(text: str) -> list[tuple[str, bool]]:
    """(piece, is_code) in order; a mark left open (text cut in the middle) closes at the end."""
    out: list[tuple[str, bool]] = []
    inside, piece = False, list[str]()
    for ch in text:
        if ch in (CODE_START, CODE_END):
            if piece:
                out.append(("".join(piece), inside))
                piece = []
            inside = ch == CODE_START
            continue
        piece.append(ch)
    if piece:
        out.append(("".join(piece), inside))
    return out


def plain(text: str) -> str:
    """For plain text (the terminal, notifications): code spans in backticks."""
    return "".join(f"`{piece}`" if is_code else piece for piece, is_code in spans(text))


def marked(text: str) -> str:
    """The bot's own message with its `code` in backticks turned into code spans. Only for
    text the bot wrote: apply it before anything a person typed is put in."""
    return re.sub(r"`([^`\n]+)`", lambda m: code(m.group(1)), text)
