"""A period's activity for the digest: new projects, stage changes, weeknotes, questions
nobody answered, and new projects that look like ones already registered."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from datetime import datetime, timedelta

import sqlalchemy as sa
from sqlmodel import Session, col, select

from bot import model
from bot.model import DigestFilter, Stage
from bot.ports import Activity, UnansweredQuestion
from bot.ports import StageChange as StageChangeView
from knowledge import tables as t
from knowledge.questions import unanswered
from knowledge.register_base import RegisterBase, weeknote_view
from knowledge.search.similar import TitleIndex

LOOK_ALIKE_LIMIT = 2  # look-alikes named per new project
LATE_WEEKNOTE = timedelta(days=14)  # a weeknote about an older week is not the period's news


class ActivityStore(RegisterBase):
    """What happened in the register in a period, for the digest and App Home."""

    def activity_between(
        self, start: datetime, end: datetime, *, only: DigestFilter | None = None
    ) -> Activity:
        only = only or DigestFilter()
        with self.session() as s:
            # Organisations are few: one query for all. Projects come in batches by id, so a
            # week of weeknotes costs a handful of queries, not one per weeknote.
            orgs = {o.id: o.name for o in s.exec(select(t.Organisation))}
            new = [
                project
                for project in (
                    self._project(s, row, orgs, with_members=False)
                    for row in _created(s, start, end)
                )
                if _admits(only, project)
            ]
            change_rows = _changes(s, start, end)
            notes = _notes(s, start, end)
            ids = {c.project_id for c in change_rows} | {
                n.project_id for n in notes if n.project_id
            }
            projects = self._projects_by_id(s, ids, orgs)
            changes = [
                change
                for change in (self._stage_change(c, projects) for c in change_rows)
                if _admits(only, change.project)
            ]
            return Activity(
                start=start.date(),
                end=end.date(),
                new_projects=tuple(new),
                stage_changes=tuple(changes),
                weeknotes=self._grouped(notes, projects, only=only),
                unanswered=unanswered(s, start, end),
                similar_pairs=self._similar_pairs(s, new, orgs),
            )

    def _projects_by_id(
        self, s: Session, ids: set[str], orgs: dict[str, str]
    ) -> dict[str, model.Project]:
        found: dict[str, model.Project] = {}
        wanted = sorted(ids)
        for i in range(0, len(wanted), 500):
            batch = wanted[i : i + 500]
            for row in s.exec(select(t.Project).where(col(t.Project.id).in_(batch))):
                found[row.id] = self._project(s, row, orgs, with_members=False)
        return found

    def _similar_pairs(
        self, s: Session, new: Sequence[model.Project], orgs: dict[str, str]
    ) -> tuple[tuple[model.Project, model.Project], ...]:
        """Each new project with the registered projects (at most LOOK_ALIKE_LIMIT, other
        organisations) whose titles look like its own. Titles are indexed by term so each new
        project is scored only against titles sharing two of its terms: at 10k projects, ~0.2 s
        to prepare the titles, then well under a millisecond each."""
        if not new:
            return ()
        rows = s.exec(
            select(t.Project.id, t.Project.title, t.Project.organisation_id).where(
                col(t.Project.deleted_at).is_(None)
            )
        ).all()
        titles = TitleIndex([title for _, title, _ in rows])
        pairs: list[tuple[model.Project, str]] = []
        seen: set[frozenset[str]] = set()
        for project in new:
            named = 0
            for i in titles.look_alikes(project.title):
                other_id, _, other_org = rows[i]
                pair = frozenset((project.id, other_id))
                if other_org == project.organisation_id or other_id == project.id or pair in seen:
                    continue
                seen.add(pair)
                pairs.append((project, other_id))
                named += 1
                if named == LOOK_ALIKE_LIMIT:
                    break
        others = self._projects_by_id(s, {other_id for _, other_id in pairs}, orgs)
        return tuple((project, others[other_id]) for project, other_id in pairs)

    def _stage_change(
        self, change: t.StageChange, projects: dict[str, model.Project]
    ) -> StageChangeView:
        project = projects[change.project_id]
        return StageChangeView(
            project=project,
            from_stage=Stage.parse(change.from_stage or ""),
            to_stage=Stage.parse(change.to_stage) or Stage.DISCOVERY,
            at=change.at,
        )

    @staticmethod
    def _grouped(
        notes: Sequence[t.Weeknote],
        projects: dict[str, model.Project],
        *,
        only: DigestFilter | None = None,
    ) -> tuple[tuple[model.Project | None, tuple[model.Weeknote, ...]], ...]:
        only = only or DigestFilter()
        groups: dict[str | None, list[model.Weeknote]] = defaultdict(list)
        for note in notes:
            groups[note.project_id].append(weeknote_view(note))
        out = []
        for project_id, items in groups.items():
            project = projects.get(project_id) if project_id else None
            if project is not None:
                kept = items if _admits(only, project) else []
            else:  # no project to go by: its organisation decides, and it has no service area
                kept = [
                    n
                    for n in items
                    if only.admits(service_area="", organisation_id=n.organisation_id)
                ]
            if kept:
                out.append((project, tuple(kept)))
        return tuple(out)

    def unanswered_since(
        self, start: datetime, *, community: str
    ) -> tuple[UnansweredQuestion, ...]:
        with self.session() as s:
            return tuple(q for q in unanswered(s, start, None) if q.community == community)


def _created(s: Session, start: datetime, end: datetime) -> Sequence[t.Project]:
    """The period's new projects: registered through the bot in it, or loaded in it and
    started in it. An imported register is not news: its projects started long ago."""
    started_then = sa.and_(
        col(t.Project.registered_at).is_(None),
        col(t.Project.created_at) >= start,
        col(t.Project.created_at) < end,
        col(t.Project.started) >= start.date(),
    )
    registered_then = sa.and_(
        col(t.Project.registered_at) >= start, col(t.Project.registered_at) < end
    )
    return s.exec(
        select(t.Project)
        .where(sa.or_(registered_then, started_then), col(t.Project.deleted_at).is_(None))
        .order_by(col(t.Project.created_at), t.Project.title)
    ).all()


def _changes(s: Session, start: datetime, end: datetime) -> Sequence[t.StageChange]:
    return s.exec(
        select(t.StageChange)
        .where(
            t.StageChange.at >= start,
            t.StageChange.at < end,
            col(t.StageChange.from_stage).is_not(None),
        )
        .order_by(col(t.StageChange.at))
    ).all()


def _notes(s: Session, start: datetime, end: datetime) -> Sequence[t.Weeknote]:
    """The period's weeknotes: posted in it and about a recent week, so a note written a week or
    two late is news but an archive imported today is not."""
    return s.exec(
        select(t.Weeknote)
        .where(
            t.Weeknote.created_at >= start,
            t.Weeknote.created_at < end,
            t.Weeknote.week >= start.date() - LATE_WEEKNOTE,
            col(t.Weeknote.deleted_at).is_(None),
            col(t.Weeknote.internal).is_(False),
        )
        .order_by(col(t.Weeknote.week))
    ).all()


def _admits(only: DigestFilter, project: model.Project) -> bool:
    return only.admits(service_area=project.service_area, organisation_id=project.organisation_id)
