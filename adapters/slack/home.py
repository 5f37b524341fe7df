"""The App Home tab: a person's own projects and weeknotes, and the questions nobody answered."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from adapters.slack import blocks
from adapters.slack.incoming import PLATFORM
from knowledge.repository import Repository


def home_view(repo: Repository, *, team: str, key: str, now: datetime) -> dict[str, Any]:
    """The person's own projects and weeknotes, and this workspace's questions that nobody
    could answer this week and that others may see (asked in public channels, or shared)."""
    projects = [f"{p.title} ({p.id}, {p.stage.value})" for p in repo.projects_of(key)]
    notes = [
        f"{n.week.isoformat()} — {n.project_id}: {' '.join(n.text.split())[:120]}"
        for n in repo.weeknotes_of(key, limit=5)
    ]
    week_start = now.replace(hour=0, minute=0, second=0, microsecond=0)
    week_start -= timedelta(days=week_start.weekday())
    asked = repo.unanswered_since(week_start, community=f"{PLATFORM}:{team}")[:10]
    return blocks.home_view(projects=projects, weeknotes=notes, unanswered=[q.text for q in asked])
