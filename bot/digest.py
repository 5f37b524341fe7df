"""Composing the weekly digest from a period's activity. Pure: no I/O, no platform."""

from __future__ import annotations

from bot.model import Reply, Stage
from bot.ports import Activity

MAX_ITEMS = 10


def compose_digest(activity: Activity) -> Reply:
    title = f"hasanyone digest: {activity.start:%d %b} – {activity.end:%d %b %Y}"
    sections = [s for s in _sections(activity) if s]
    if not sections:
        return Reply(text=f"{title}\nA quiet week: nothing new.", title=title)
    return Reply(text=title + "\n\n" + "\n\n".join(sections), title=title)


def _sections(activity: Activity) -> list[str]:
    return [
        _section(
            "New projects",
            [
                f"• {p.title} — {p.organisation_name} ({p.stage.value})"
                for p in activity.new_projects
            ],
        ),
        _section(
            "Stage changes",
            [
                f"• {c.project.title}: {_stage(c.from_stage)} → {c.to_stage.value}"
                for c in activity.stage_changes
            ],
        ),
        _section(
            "Weeknotes",
            [
                f"• {project.title if project else 'Other'}: "
                + ", ".join(n.title or f"week of {n.week.isoformat()}" for n in notes)
                for project, notes in activity.weeknotes
            ],
        ),
        _section(
            "Can you help? Nobody had an answer for",
            [
                f"• “{q.text}”" + (f" (asked {q.times} times)" if q.times > 1 else "")
                for q in activity.unanswered
            ],
        ),
    ]


def _section(heading: str, lines: list[str]) -> str:
    if not lines:
        return ""
    more = len(lines) - MAX_ITEMS
    shown = lines[:MAX_ITEMS] + ([f"…and {more} more"] if more > 0 else [])
    return heading + "\n" + "\n".join(shown)


def _stage(stage: Stage | None) -> str:
    return stage.value if stage else "new"
