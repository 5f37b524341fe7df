"""Composing the weekly digest from a period's activity. Pure: no I/O, no platform.

The digest's layout is a `DigestView`; its text is the plain fallback. Each platform's
renderer lays the view out and escapes it.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import replace
from typing import Literal, TypeVar, overload

from bot.model import DigestFilter, Project, Reply, Stage, Subscription, Weeknote
from bot.ports import Activity
from bot.text import one_line
from bot.view import DigestView, ListSection

MAX_ITEMS = 10  # lines per section before "…and N more"
NOTES_NAMED = 3  # weeknote titles named per project before the rest are only counted
QUIET_LINE = "a quiet week: nothing new."

Quiet = Literal["line", "nothing"]
T = TypeVar("T")


@overload
def compose_digest(activity: Activity, *, quiet: Literal["line"] = "line") -> Reply: ...


@overload
def compose_digest(activity: Activity, *, quiet: Quiet) -> Reply | None: ...


def compose_digest(activity: Activity, *, quiet: Quiet = "line") -> Reply | None:
    """The digest for `activity`. A quiet period gives a one-line digest, or None when the
    subscription asked for nothing (`quiet="nothing"`)."""
    title = f"hasanyone digest: {activity.start:%d %b} – {activity.end:%d %b %Y}"
    sections = tuple(s for s in _sections(activity) if s.items)
    if not sections and quiet == "nothing":
        return None
    view = DigestView(title, sections, quiet="" if sections else QUIET_LINE)
    return Reply(text=view.text(), title=title, digest=view)


def _sections(activity: Activity) -> list[ListSection]:
    once = [q for q in activity.unanswered if q.times <= 1]
    repeated = [q for q in activity.unanswered if q.times > 1]
    return [
        _section(
            "New projects",
            activity.new_projects,
            lambda p: f"{one_line(p.title)} — {one_line(p.organisation_name)} ({p.stage.value})",
        ),
        _section(
            "Stage changes",
            activity.stage_changes,
            lambda c: f"{_named(c.project)}: {_stage(c.from_stage)} → {c.to_stage.value}",
        ),
        _section("Weeknotes", activity.weeknotes, lambda group: _weeknotes(*group)),
        _section("Can you help? Nobody had an answer for", once, lambda q: f"“{one_line(q.text)}”"),
        _section(
            "Asked more than once, with nothing registered yet",
            repeated,
            lambda q: f"“{one_line(q.text)}” (asked {q.times} times)",
        ),
        _section(
            "Looks alike",
            activity.similar_pairs,
            lambda pair: f"{_named(pair[0])} and {_named(pair[1])} look alike — worth a chat?",
        ),
    ]


def _weeknotes(project: Project | None, notes: tuple[Weeknote, ...]) -> str:
    who = _named(project) if project else "Not linked to a project"
    labels = [one_line(n.title) or f"week of {n.week.isoformat()}" for n in notes[:NOTES_NAMED]]
    if len(notes) == 1:
        return f"{who}: {labels[0]}"
    rest = ", …" if len(notes) > NOTES_NAMED else ""
    return f"{who} — {len(notes)} weeknotes: {', '.join(labels)}{rest}"


def _named(project: Project) -> str:
    return f"{one_line(project.title)} ({one_line(project.organisation_name)})"


def _section(heading: str, items: Sequence[T], line: Callable[[T], str]) -> ListSection:
    """The heading and a line for each of the first MAX_ITEMS items (only those are written),
    and how many more there are."""
    shown = tuple(line(item) for item in items[:MAX_ITEMS])
    return ListSection(heading, shown, more=max(0, len(items) - MAX_ITEMS))


def _stage(stage: Stage | None) -> str:
    return stage.value if stage else "new"


def digest_for(sub: Subscription, activity: Activity) -> Reply | None:
    """The one way a subscription's digest is made from a period's activity: narrowed to its
    filters and its community, then composed; None when a quiet week posts nothing."""
    narrowed = narrow(activity, sub.only, community=sub.where.community)
    return compose_digest(narrowed, quiet="line" if sub.post_when_quiet else "nothing")


def narrow(activity: Activity, only: DigestFilter, *, community: str | None = None) -> Activity:
    """The part of a period's activity a subscription gets: the same rules as
    ActivityFeed.activity_between(only=...), applied in memory so one load serves every filter.
    A weeknote with no project goes by its organisation. Unanswered questions are not narrowed
    by the filter, but only those of the subscriber's `community` are kept: what is asked in one
    Slack workspace or Teams tenant is never shown in another (None: every community's, for
    the operator's own preview)."""
    if community is not None:
        activity = replace(
            activity,
            unanswered=tuple(q for q in activity.unanswered if q.community == community),
        )
    if not only.service_areas and not only.organisations:
        return activity

    def admits(project: Project) -> bool:
        return only.admits(
            service_area=project.service_area, organisation_id=project.organisation_id
        )

    weeknotes = []
    for project, notes in activity.weeknotes:
        if project is not None:
            kept = notes if admits(project) else ()
        else:
            kept = tuple(
                n for n in notes if only.admits(service_area="", organisation_id=n.organisation_id)
            )
        if kept:
            weeknotes.append((project, kept))
    return replace(
        activity,
        new_projects=tuple(p for p in activity.new_projects if admits(p)),
        stage_changes=tuple(c for c in activity.stage_changes if admits(c.project)),
        weeknotes=tuple(weeknotes),
        similar_pairs=tuple(pair for pair in activity.similar_pairs if admits(pair[0])),
    )
