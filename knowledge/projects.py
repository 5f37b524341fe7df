"""Organisations and projects: registering, changing, owning, membership, deleting."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlmodel import col, select

from bot import model
from bot.model import Stage
from bot.ports import NotFound
from knowledge import tables as t
from knowledge.register_base import (
    MAX_ID_TRIES,
    RegisterBase,
    organisation_view,
    slugify,
    wipe_project,
    wipe_weeknote,
)


class ProjectStore(RegisterBase):
    """The organisations and projects of the register."""

    def resolve_organisation(self, name: str) -> model.Organisation | None:
        with self.session() as s:
            row = self._find_org(s, name)
            return organisation_view(row) if row else None

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
            return [organisation_view(r) for r in rows]

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
                wipe_weeknote(note, now)
                s.add(note)
            for table in (t.StageChange, t.ProjectMember, t.ProjectClaim):
                s.execute(sa.delete(table).where(col(table.project_id) == row.id))
            wipe_project(row, now)
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
