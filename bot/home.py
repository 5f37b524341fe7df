"""A person's home in the app (Slack's App Home tab): their own projects and weeknotes, and the
questions nobody could answer this week, where they might help."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta

from bot.ports import HomeSource
from bot.view import HomeView, ListSection

TITLE = "hasanyone"
EMPTY = "None yet."
RECENT_WEEKNOTES = 5
UNANSWERED = 10
NOTE_TEXT = 120  # characters of a weeknote's text its line shows


def home_for(register: HomeSource, *, person_key: str, community: str, now: datetime) -> HomeView:
    """The person's projects and recent weeknotes, and `community`'s questions that nobody
    could answer since Monday and that others may see (asked in public, or shared)."""
    projects = [f"{p.title} ({p.id}, {p.stage.value})" for p in register.projects_of(person_key)]
    notes = [
        f"{n.week.isoformat()} — {n.project_id}: {' '.join(n.text.split())[:NOTE_TEXT]}"
        for n in register.weeknotes_of(person_key, limit=RECENT_WEEKNOTES)
    ]
    monday = now.replace(hour=0, minute=0, second=0, microsecond=0)
    monday -= timedelta(days=monday.weekday())
    asked = register.unanswered_since(monday, community=community)
    return home_of(projects, notes, [q.text for q in asked])


def home_of(
    projects: Sequence[str], weeknotes: Sequence[str], unanswered: Sequence[str]
) -> HomeView:
    """The home's three lists, from their lines."""
    sections = (
        ListSection.first("Your projects", projects, limit=len(projects), empty=EMPTY),
        ListSection.first("Your recent weeknotes", weeknotes, limit=RECENT_WEEKNOTES, empty=EMPTY),
        ListSection.first(
            "Questions nobody could answer this week", unanswered, limit=UNANSWERED, empty=EMPTY
        ),
    )
    return HomeView(TITLE, sections)
