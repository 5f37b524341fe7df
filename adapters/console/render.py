"""Plain-text rendering of replies, for the terminal and `render --platform text`."""

from __future__ import annotations

import json
from typing import Any

from adapters.text_safety import visible
from bot.model import Finding, Form, FormField, Reply, ResultCard
from bot.text import plain
from bot.view import AnswerView, DigestView, NoticeView, view_of

USAGE = "Usage: "


def to_text(reply: Reply) -> str:
    """The reply as the terminal shows it, laid out as the core's view of it says, then its
    buttons, with nothing that hides or reorders text."""
    view = view_of(reply)
    if isinstance(view, AnswerView):
        parts = [plain(line) for line in view.lines()]
    elif isinstance(view, DigestView):
        parts = [plain(view.text())]
    else:
        parts = _notice(view)
    if reply.actions:
        parts.append("   ".join(f"[{i}] {a.label}" for i, a in enumerate(reply.actions, 1)))
    return visible("\n".join(p for p in parts if p))


def _notice(notice: NoticeView) -> list[str]:
    """Title, text, fields, usage, then the user's own text: the order Slack and Teams use."""
    parts = [plain(notice.title), plain(notice.text)]
    parts.extend(f"{k}: {plain(v)}" for k, v in notice.fields)
    if notice.usage:
        parts.append(USAGE + ("\n" + " " * len(USAGE)).join(notice.usage))
    parts.extend(plain(line) for line in notice.extra)
    return parts


def form_intro(form: Form) -> str:
    lines = [form.title]
    lines.extend(f"  {f.label}: {f.error}" for f in form.fields if f.error)
    return visible("\n".join(lines))


def field_prompt(f: FormField, *, clear: str, end: str) -> list[str]:
    """What the terminal shows before asking for one field: its error, hint and choices,
    the value Enter keeps, and how a multi-line answer ends."""
    lines = []
    if f.error:
        lines.append(f"! {f.label}: {f.error}")
    if f.hint:
        lines.append(f"  {f.hint}")
    lines.extend(f"  {i}. {c.label}" for i, c in enumerate(f.choices, 1))
    if f.value:
        lines.append(f"  (press Enter to keep: {f.value[:80]}, or {clear!r} to clear it)")
    if f.kind == "multiline":
        lines.append(f"  (end with a line holding only {end!r})")
    return [visible(line) for line in lines]


def card_json(card: ResultCard) -> dict[str, Any]:
    return {
        "kind": card.kind,
        "id": card.id,
        "title": card.title,
        "organisation": card.organisation,
        "stage": card.stage,
        "updated": card.updated.isoformat() if card.updated else None,
        "score": card.score,
        "snippet": card.snippet,
        "contact": card.contact,
        "url": card.url,
        "weeknotes": list(card.weeknote_ids),
    }


def finding_json(finding: Finding) -> str:
    """The shape other tools depend on: {"query", "confident", "results": [...]}."""
    return json.dumps(
        {
            "query": finding.query,
            "confident": finding.confident,
            "results": [card_json(c) for c in finding.results],
        },
        ensure_ascii=False,
    )
