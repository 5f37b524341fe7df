"""One text-safety rule for every renderer (issue 12), and the bot's own code shown as code
while a person's backticks stay inert (issue 13, item 12)."""

from __future__ import annotations

import re
import sys
import unicodedata

import pytest

from adapters.slack.blocks import escape_mrkdwn, to_message
from adapters.teams.cards import escape_markdown, to_activity
from adapters.text_safety import neutralised
from bot.model import Reply
from bot.text import code, marked, one_line, plain, without_marks

TROJAN = "\u2066\u2067\u2068\u2069\u202a\u202b\u202c\u202d\u202e"


@pytest.mark.parametrize("escape", [escape_mrkdwn, escape_markdown, neutralised])
def test_every_renderer_removes_bidi_overrides_and_isolates(escape: object) -> None:
    shown = escape(f"evil{TROJAN}.example")  # type: ignore[operator]
    assert not any(ch in shown for ch in TROJAN)


def test_the_bots_own_code_is_code_and_a_persons_backticks_are_not() -> None:
    said = marked("Say `digest on` here.") + " You wrote: " + without_marks("`rm -rf` \x0e!")
    slack = to_message(Reply(text=said))
    assert "`digest on`" in slack["blocks"][0]["text"]["text"]
    assert "`rm -rf`" not in slack["blocks"][0]["text"]["text"]
    assert "ˋrm -rfˋ" in slack["blocks"][0]["text"]["text"]
    card = to_activity(Reply(text=said))["attachments"][0]["content"]
    shown = card["body"][0]["text"]
    assert "`digest on`" in shown and "`rm -rf`" not in shown
    assert plain(said) == "Say `digest on` here. You wrote: `rm -rf` !"


def test_code_cannot_be_broken_out_of() -> None:
    assert code("a`b") == "\x0ea`b\x0f"
    assert "``" not in to_message(Reply(text=code("a`b")))["blocks"][0]["text"]["text"]


def _strings(node: object) -> list[str]:
    if isinstance(node, str):
        return [node]
    if isinstance(node, dict):
        return [s for k, v in node.items() for s in (*_strings(k), *_strings(v))]
    if isinstance(node, list | tuple):
        return [s for v in node for s in _strings(v)]
    return []


@pytest.mark.parametrize("case", ["trojan", "trojan-notice", "trojan-notice-no-form"])
def test_no_renderer_shows_bidi_controls_or_hidden_characters_anywhere(case: str) -> None:
    """Issue 12's drift: Slack's plain_text (headers, buttons, labels, options), Teams'
    summary, labels and button titles, and the terminal kept the "Trojan Source" isolates
    U+2066-9 that the escaped text dropped. Every string every renderer emits is checked."""
    from tests.test_golden import REPLIES, rendered

    hidden = "\u200c\u200d\u2060\ufeff"  # the escapers add U+200B on purpose, never these
    for text in _strings(rendered(REPLIES[case])):
        assert not any(ch in text for ch in TROJAN + hidden), text
        assert "admin\u200b" not in text and "Tax\u200b" not in text, text


def test_one_line_folds_every_control_character_and_line_break_and_nothing_else() -> None:
    every = "".join(map(chr, range(sys.maxunicode + 1)))  # every code point, in one string
    folds = [ch in "\u2028\u2029" or unicodedata.category(ch) == "Cc" for ch in every]
    expected = re.sub(
        r"\s+", " ", "".join(" " if f else ch for ch, f in zip(every, folds, strict=True))
    )
    assert one_line(every) == expected.strip()
