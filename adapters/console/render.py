"""Plain-text rendering of replies, for the terminal and `render --platform text`."""

from __future__ import annotations

import json
from typing import Any

from bot.model import Finding, Form, Reply, ResultCard
from bot.text import plain


def to_text(reply: Reply) -> str:
    parts = [plain(reply.text)]
    if reply.usage:
        parts.append("Usage: " + reply.usage.replace("\n", "\n       "))
    parts.extend(plain(line) for line in reply.extra_lines)
    if reply.actions:
        parts.append("   ".join(f"[{i}] {a.label}" for i, a in enumerate(reply.actions, 1)))
    return "\n".join(p for p in parts if p)


def form_intro(form: Form) -> str:
    lines = [form.title]
    lines.extend(f"  {f.label}: {f.error}" for f in form.fields if f.error)
    return "\n".join(lines)


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
