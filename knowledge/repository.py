"""Data access in one place: implements the core's ports on top of the SQLModel tables."""

from __future__ import annotations

import re
import unicodedata
from collections import Counter, defaultdict
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from datetime import datetime, timedelta
from functools import lru_cache
from typing import Any

import sqlalchemy as sa
from rapidfuzz import fuzz
from sqlmodel import Session, col, select

from bot import model
from bot.model import DigestFilter, Stage
from bot.ports import Activity, NotAllowed, NotFound, UnansweredQuestion
from bot.ports import StageChange as StageChangeView
from bot.text import one_line
from knowledge import tables as t
from knowledge.orgs import AuthorityNames
from knowledge.questions import unanswered
from knowledge.search.text import index_terms

MAX_ID_TRIES = 50
LOOK_ALIKE = 90  # token_set_ratio of two projects' title stems
LOOK_ALIKE_LIMIT = 2  # look-alikes named per new project
LATE_WEEKNOTE = timedelta(days=14)  # a weeknote about an older week is not the period's news


def slugify(text: str, *, max_length: int = 60) -> str:
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    slug = re.sub(r"[^a-z0-9]+", "-", ascii_text.lower()).strip("-")
    return slug[:max_length].rstrip("-") or "item"


class Repository:
    """Projects, organisations, weeknotes, questions and digest activity in one database."""

    def __init__(self, engine: sa.Engine, *, authorities: AuthorityNames | None = None) -> None:
        self.engine = engine
        self._authorities = authorities
        self._listeners: list[Callable[[], None]] = []
        self._people: dict[str, tuple[str, str]] = {}

    def on_change(self, listener: Callable[[], None]) -> None:
        """Call `listener` after every write to projects or weeknotes made through this object."""
        self._listeners.append(listener)

    def changed(self) -> None:
        for listener in self._listeners:
            listener()

    @property
    def authorities(self) -> AuthorityNames:
        if self._authorities is None:  # loaded on first use: 470 councils, a few ms
            self._authorities = AuthorityNames.load()
        return self._authorities

    @contextmanager
    def session(self) -> Iterator[Session]:
        with Session(self.engine, expire_on_commit=False) as session:
            yield session

    # -- organisations ---------------------------------------------------------------------

    def resolve_organisation(self, name: str) -> model.Organisation | None:
        with self.session() as s:
            row = self._find_org(s, name)
            return _org(row) if row else None

    def _find_org(self, s: Session, name: str) -> t.Organisation | None:
        name = name.strip()
        if not name:
            return None
        row = s.get(t.Organisation, name) or s.get(t.Organisation, slugify(name))
        if row:
            return row
        row = s.exec(
            select(t.Organisation).where(sa.func.lower(t.Organisation.name) == name.lower())
        ).first()
        if row:
            return row
        authority = self.authorities.match(name)
        if authority is None or not authority.gss:
            return None
        return s.exec(select(t.Organisation).where(t.Organisation.code == authority.gss)).first()

    def organisation_for(self, s: Session, name: str, *, now: datetime) -> t.Organisation:
        """The organisation called `name`, created (with its official name and code when it is
        a council) if we have not met it before."""
        row = self._find_org(s, name)
        if row:
            return row
        authority = self.authorities.match(name)
        display = authority.official_name if authority else name.strip()
        code = (authority.gss or None) if authority else None
        row = t.Organisation(
            id=self._free_id(s, t.Organisation, slugify(display)),
            name=display,
            code=code,
            changed_at=now,
        )
        s.add(row)
        s.flush()
        return row

    # -- projects ---------------------------------------------------------------------------

    def get_project(self, project_id: str) -> model.Project | None:
        with self.session() as s:
            row = s.get(t.Project, project_id.strip())
            if row is None or row.deleted_at is not None:
                return None
            return self._project(s, row)

    def projects_of(self, person_key: str) -> Sequence[model.Project]:
        with self.session() as s:
            rows = s.exec(
                select(t.Project)
                .where(t.Project.owner_key == person_key, col(t.Project.deleted_at).is_(None))
                .order_by(col(t.Project.changed_at).desc())
            ).all()
            return [self._project(s, r) for r in rows]

    def project_choices(
        self, person_key: str | None, *, limit: int = 100
    ) -> Sequence[model.Project]:
        own = list(self.projects_of(person_key)) if person_key else []
        with self.session() as s:
            rows = s.exec(
                select(t.Project)
                .where(col(t.Project.deleted_at).is_(None))
                .order_by(col(t.Project.updated).desc().nulls_last(), t.Project.title)
                .limit(limit)
            ).all()
            others = [
                self._project(s, r, with_members=False)
                for r in rows
                if r.owner_key != person_key or not person_key
            ]
        return (own + others)[:limit]

    def match_projects(
        self, text: str, *, person_key: str | None, limit: int = 100
    ) -> Sequence[model.Project]:
        wanted = text.strip().lower()
        if not wanted:
            return self.project_choices(person_key, limit=limit)
        escaped = wanted.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        pattern, starts = f"%{escaped}%", f"{escaped}%"
        title, key = sa.func.lower(t.Project.title), sa.func.lower(t.Project.id)
        rank = sa.case(
            (col(t.Project.owner_key) == (person_key or ""), 0),
            (sa.or_(key.like(starts, escape="\\"), title.like(starts, escape="\\")), 1),
            else_=2,
        )
        with self.session() as s:
            rows = s.exec(
                select(t.Project)
                .where(col(t.Project.deleted_at).is_(None))
                .where(sa.or_(title.like(pattern, escape="\\"), key.like(pattern, escape="\\")))
                .order_by(rank, t.Project.title, t.Project.id)
                .limit(limit)
            ).all()
            return [self._project(s, r, with_members=False) for r in rows]

    def organisations(self) -> Sequence[model.Organisation]:
        with self.session() as s:
            rows = s.exec(select(t.Organisation).order_by(t.Organisation.name)).all()
            return [_org(r) for r in rows]

    def service_areas(self) -> Sequence[str]:
        with self.session() as s:
            rows = s.exec(
                select(t.Project.service_area)
                .where(col(t.Project.deleted_at).is_(None), t.Project.service_area != "")
                .distinct()
            ).all()
        return sorted(set(rows), key=str.casefold)

    def add_project(self, draft: model.ProjectDraft, *, now: datetime) -> model.Project:
        for _ in range(MAX_ID_TRIES):
            try:
                return self._insert_project(draft, now=now)
            except sa.exc.IntegrityError:  # another process took the id first: pick the next one
                continue
        raise RuntimeError("could not find a free project id")

    def _insert_project(self, draft: model.ProjectDraft, *, now: datetime) -> model.Project:
        with self.session() as s:
            org = self.organisation_for(s, draft.organisation, now=now)
            row = t.Project(
                id=self._free_id(s, t.Project, slugify(draft.title)),
                title=draft.title,
                organisation_id=org.id,
                stage=draft.stage.value,
                description=draft.description,
                contact=draft.contact,
                url=draft.url,
                service_area=draft.service_area,
                tags=list(draft.tags),
                owner_key=draft.owner_key,
                started=now.date(),
                updated=now.date(),
                created_at=now,
                registered_at=now,
                changed_at=now,
            )
            s.add(row)
            s.add(
                t.StageChange(
                    project_id=row.id,
                    from_stage=None,
                    to_stage=row.stage,
                    by_key=draft.owner_key,
                    at=now,
                )
            )
            s.commit()
            self.changed()
            return self._project(s, row)

    def set_stage(
        self, project_id: str, stage: Stage, *, by: model.Person, now: datetime
    ) -> model.Project:
        with self.session() as s:
            row = s.get(t.Project, project_id.strip())
            if row is None or row.deleted_at is not None:
                raise NotFound(project_id)
            if row.stage != stage.value:
                s.add(
                    t.StageChange(
                        project_id=row.id,
                        from_stage=row.stage,
                        to_stage=stage.value,
                        by_key=by.key,
                        at=now,
                    )
                )
                row.stage, row.updated, row.changed_at = stage.value, now.date(), now
                s.add(row)
                s.commit()
                self.changed()
            return self._project(s, row)

    def list_projects(
        self,
        *,
        owner_key: str | None = None,
        organisation_id: str | None = None,
        stage: Stage | None = None,
        limit: int = 25,
    ) -> tuple[list[model.Project], int]:
        where: list[sa.ColumnElement[bool]] = [col(t.Project.deleted_at).is_(None)]
        if owner_key is not None:
            where.append(col(t.Project.owner_key) == owner_key)
        if organisation_id is not None:
            where.append(col(t.Project.organisation_id) == organisation_id)
        if stage is not None:
            where.append(col(t.Project.stage) == stage.value)
        with self.session() as s:
            total = s.exec(select(sa.func.count()).select_from(t.Project).where(*where)).one()
            rows = s.exec(
                select(t.Project).where(*where).order_by(t.Project.title, t.Project.id).limit(limit)
            ).all()
            return [self._project(s, r, with_members=False) for r in rows], int(total)

    def update_project(
        self, project_id: str, changes: model.ProjectDraft, *, by: model.Person, now: datetime
    ) -> model.Project:
        with self.session() as s:
            row = s.get(t.Project, project_id.strip())
            if row is None or row.deleted_at is not None:
                raise NotFound(project_id)
            org = self.organisation_for(s, changes.organisation, now=now)
            if row.stage != changes.stage.value:
                s.add(
                    t.StageChange(
                        project_id=row.id,
                        from_stage=row.stage,
                        to_stage=changes.stage.value,
                        by_key=by.key,
                        at=now,
                    )
                )
            row.title, row.organisation_id, row.stage = changes.title, org.id, changes.stage.value
            row.description, row.contact, row.url = (
                changes.description,
                changes.contact,
                changes.url,
            )
            row.service_area, row.tags = changes.service_area, list(changes.tags)
            row.updated, row.changed_at = now.date(), now
            s.add(row)
            s.commit()
            self.changed()
            return self._project(s, row)

    def organisations_of(self, person_key: str) -> frozenset[str]:
        with self.session() as s:
            owned = select(t.Project.organisation_id).where(
                t.Project.owner_key == person_key, col(t.Project.deleted_at).is_(None)
            )
            member = (
                select(t.Project.organisation_id)
                .join(t.ProjectMember, col(t.ProjectMember.project_id) == t.Project.id)
                .where(
                    t.ProjectMember.person_key == person_key,
                    col(t.Project.deleted_at).is_(None),
                )
            )
            recorded = select(t.Person.organisation_id).where(
                t.Person.key == person_key, col(t.Person.organisation_id).is_not(None)
            )
            found = {*s.exec(owned), *s.exec(member), *s.exec(recorded)}
        return frozenset(org for org in found if org)

    def delete_project(self, project_id: str, *, now: datetime) -> int:
        """The project's words and its weeknotes' words go; the rows stay as tombstones (so
        other processes' indexes drop them, and no re-import brings them back)."""
        with self.session() as s:
            row = s.get(t.Project, project_id.strip())
            if row is None or row.deleted_at is not None:
                raise NotFound(project_id)
            notes = s.exec(
                select(t.Weeknote).where(
                    t.Weeknote.project_id == row.id, col(t.Weeknote.deleted_at).is_(None)
                )
            ).all()
            for note in notes:
                _wipe_weeknote(note, now)
                s.add(note)
            for table in (t.StageChange, t.ProjectMember, t.ProjectClaim):
                s.execute(sa.delete(table).where(col(table.project_id) == row.id))
            _wipe_project(row, now)
            s.add(row)
            s.commit()
        self.changed()
        return len(notes)

    def add_member(
        self, project_id: str, person_key: str, *, by: model.Person, now: datetime
    ) -> bool:
        with self.session() as s:
            row = s.get(t.Project, project_id.strip())
            if row is None or row.deleted_at is not None:
                raise NotFound(project_id)
            if s.get(t.ProjectMember, (row.id, person_key)) is not None:
                return False
            s.add(
                t.ProjectMember(
                    project_id=row.id, person_key=person_key, added_by=by.key, added_at=now
                )
            )
            try:
                s.commit()
            except sa.exc.IntegrityError:  # added by someone else at the same moment
                return False
            return True

    def remove_member(self, project_id: str, person_key: str) -> bool:
        with self.session() as s:
            gone: Any = s.execute(
                sa.delete(t.ProjectMember).where(
                    col(t.ProjectMember.project_id) == project_id.strip(),
                    col(t.ProjectMember.person_key) == person_key,
                )
            )
            s.commit()
            return bool(gone.rowcount)

    def set_owner(self, project_id: str, person_key: str, *, now: datetime) -> model.Project:
        with self.session() as s:
            row = s.get(t.Project, project_id.strip())
            if row is None or row.deleted_at is not None:
                raise NotFound(project_id)
            row.owner_key, row.changed_at = person_key, now
            s.add(row)
            s.commit()
            return self._project(s, row)

    def _project(
        self,
        s: Session,
        row: t.Project,
        orgs: dict[str, str] | None = None,
        *,
        with_members: bool = True,
    ) -> model.Project:
        """The core's view of a row. Members are read only where someone may act on the
        project (one project at a time), not for the hundreds a digest lists."""
        if orgs is not None:
            name = orgs.get(row.organisation_id, row.organisation_id)
        else:
            org = s.get(t.Organisation, row.organisation_id)
            name = org.name if org else row.organisation_id
        members: tuple[str, ...] = ()
        if with_members:
            members = tuple(
                s.exec(
                    select(t.ProjectMember.person_key)
                    .where(t.ProjectMember.project_id == row.id)
                    .order_by(col(t.ProjectMember.added_at))
                ).all()
            )
        return model.Project(
            id=row.id,
            title=row.title,
            organisation_id=row.organisation_id,
            organisation_name=name,
            stage=Stage.parse(row.stage) or Stage.DISCOVERY,
            description=row.description,
            summary=row.summary,
            tags=tuple(row.tags),
            service_area=row.service_area,
            contact=row.contact,
            url=row.url,
            started=row.started,
            updated=row.updated,
            owner_key=row.owner_key,
            member_keys=members,
            partners=tuple(row.partners),
            suppliers=tuple(row.suppliers),
            outcomes=row.outcomes or "",
        )

    @staticmethod
    def _free_id(s: Session, table: Any, base: str) -> str:
        candidate, n = base, 1
        while s.get(table, candidate) is not None:
            n += 1
            candidate = f"{base}-{n}"
        return candidate

    # -- weeknotes --------------------------------------------------------------------------

    def add_weeknote(self, draft: model.WeeknoteDraft, *, now: datetime) -> model.Weeknote:
        for _ in range(MAX_ID_TRIES):
            try:
                return self._insert_weeknote(draft, now=now)
            except sa.exc.IntegrityError:
                continue
        raise RuntimeError("could not find a free weeknote id")

    def _insert_weeknote(self, draft: model.WeeknoteDraft, *, now: datetime) -> model.Weeknote:
        week = draft.week - timedelta(days=draft.week.weekday())  # filed by its Monday
        with self.session() as s:
            project = s.get(t.Project, draft.project_id)
            if project is None or project.deleted_at is not None:
                raise NotFound(draft.project_id)
            row = t.Weeknote(
                id=self._free_id(s, t.Weeknote, f"{project.id}-{week.isoformat()}"),
                project_id=project.id,
                organisation_id=project.organisation_id,
                author=draft.author.name or draft.author.key,
                author_key=draft.author.key,
                week=week,
                title=one_line(draft.title),
                text=draft.text,
                internal=draft.internal,
                created_at=now,
                changed_at=now,
            )
            project.updated, project.changed_at = now.date(), now
            s.add(row)
            s.add(project)
            s.commit()
            self.changed()
            return _weeknote(row)

    def _own_weeknote(self, s: Session, weeknote_id: str, by: model.Person) -> t.Weeknote:
        row = s.get(t.Weeknote, weeknote_id.strip())
        if row is None or row.deleted_at is not None:
            raise NotFound(weeknote_id)
        if row.author_key != by.key:
            raise NotAllowed(weeknote_id)
        return row

    def edit_weeknote(
        self, weeknote_id: str, text: str, *, by: model.Person, now: datetime
    ) -> model.Weeknote:
        with self.session() as s:
            row = self._own_weeknote(s, weeknote_id, by)
            row.text, row.changed_at = text, now
            s.add(row)
            s.commit()
            self.changed()
            return _weeknote(row)

    def get_weeknote(self, weeknote_id: str) -> model.Weeknote | None:
        with self.session() as s:
            row = s.get(t.Weeknote, weeknote_id.strip())
            return _weeknote(row) if row is not None and row.deleted_at is None else None

    def delete_weeknote(self, weeknote_id: str, *, now: datetime) -> model.Weeknote:
        with self.session() as s:
            row = s.get(t.Weeknote, weeknote_id.strip())
            if row is None or row.deleted_at is not None:
                raise NotFound(weeknote_id)
            gone = _weeknote(row)
            # The row stays as a tombstone so other processes' search indexes see the deletion
            # and no re-import brings it back; the words themselves are gone.
            _wipe_weeknote(row, now)
            s.add(row)
            s.commit()
            self.changed()
            return gone

    def weeknotes_of(self, person_key: str, *, limit: int = 10) -> Sequence[model.Weeknote]:
        return self._weeknotes(t.Weeknote.author_key == person_key, limit=limit)

    def weeknotes_for_project(
        self, project_id: str, *, internal_from: frozenset[str] | None, limit: int = 10
    ) -> Sequence[model.Weeknote]:
        visible = (
            sa.true()
            if internal_from is None
            else sa.or_(
                col(t.Weeknote.internal).is_(False),
                col(t.Weeknote.organisation_id).in_(sorted(internal_from)),
            )
        )
        return self._weeknotes(
            sa.and_(col(t.Weeknote.project_id) == project_id.strip(), visible), limit=limit
        )

    def _weeknotes(self, where: Any, *, limit: int) -> Sequence[model.Weeknote]:
        with self.session() as s:
            rows = s.exec(
                select(t.Weeknote)
                .where(where, col(t.Weeknote.deleted_at).is_(None))
                .order_by(col(t.Weeknote.week).desc(), col(t.Weeknote.created_at).desc())
                .limit(limit)
            ).all()
            return [_weeknote(r) for r in rows]

    # -- digest activity --------------------------------------------------------------------

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
        titles = _TitleIndex([title for _, title, _ in rows])
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
            groups[note.project_id].append(_weeknote(note))
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


@lru_cache(maxsize=50_000)  # titles rarely change: a digest or preview re-reads them all
def _title_key(title: str) -> str:
    return " ".join(sorted(set(index_terms(title))))


class _TitleIndex:
    """Project titles reduced to their sorted index terms, with a term -> titles index."""

    def __init__(self, titles: Sequence[str]) -> None:
        self.keys = [_title_key(title) for title in titles]
        self.postings: dict[str, list[int]] = {}
        for i, key in enumerate(self.keys):
            for term in key.split():
                self.postings.setdefault(term, []).append(i)

    def look_alikes(self, title: str) -> list[int]:
        """Indexes of the titles that look like `title`, best first. token_set_ratio scores a
        title contained in another 100, which is what a copied or extended title looks like;
        two shared terms (or the very same terms) keep one common word ("Website") from
        matching everything, and let the index pick the few titles worth scoring. Titles
        only: on the demo data, adding summaries found no real pair and two false ones."""
        key = _title_key(title)
        if not key:
            return []
        shared: Counter[int] = Counter()
        for term in key.split():
            shared.update(self.postings.get(term, ()))
        found = []
        for i, n in shared.items():
            choice = self.keys[i]
            if n < 2 and choice != key:
                continue
            score = fuzz.token_set_ratio(key, choice, processor=None, score_cutoff=LOOK_ALIKE)
            if score:
                found.append((-score, -n, i))
        return [i for *_, i in sorted(found)]


def _org(row: t.Organisation) -> model.Organisation:
    return model.Organisation(id=row.id, name=row.name, code=row.code)


def _weeknote(row: t.Weeknote) -> model.Weeknote:
    return model.Weeknote(
        id=row.id,
        project_id=row.project_id,
        organisation_id=row.organisation_id,
        author=row.author,
        week=row.week,
        title=row.title,
        text=row.text,
        author_key=row.author_key,
        url=row.url,
        internal=row.internal,
    )


def _wipe_weeknote(row: t.Weeknote, now: datetime) -> None:
    row.text, row.title, row.url, row.extra = "", "", "", {}
    row.deleted_at, row.changed_at = now, now


def _wipe_project(row: t.Project, now: datetime) -> None:
    """Everything a project said goes; its id (and organisation, a foreign key) stay."""
    row.title, row.description, row.summary, row.contact, row.url = "", "", "", "", ""
    row.service_area, row.cost, row.outcomes, row.owner_key = "", None, None, None
    row.tags, row.partners, row.suppliers, row.extra = [], [], [], {}
    row.deleted_at, row.changed_at = now, now
