"""Recognising a plain question the bot may answer unprompted in a channel that opted in."""

from __future__ import annotations

import re

QUESTION = re.compile(
    r"^\W*(?:(?:has|have|does|did|do|is|are)\s+(?:any|some)\s*(?:one|body|council|councils|team|teams)\b"
    r"|any\s*(?:one|body)\s+(?:know|done|built|tried|used|got|seen|made|aware)\b"
    r"|(?:is|are)\s+there\s+(?:any|a)\b.*\?)",
    re.IGNORECASE,
)


def looks_like_a_question(text: str) -> bool:
    """“has anyone…”, “does anyone know…”, “anyone tried…”, “is there a … ?”"""
    return bool(QUESTION.search(text.strip()))
