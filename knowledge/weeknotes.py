"""Weeknotes: posting, editing, deleting and reading them back."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlmodel import Session, col, select

from bot import model
from bot.ports import NotAllowed, NotFound
from bot.text import one_line
from knowledge import tables as t
from knowledge.register_base import MAX_ID_TRIES, RegisterBase, weeknote_view, wipe_weeknote


class WeeknoteStore(RegisterBase):
    """The weeknotes of the register."""

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
            return weeknote_view(row)

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
            return weeknote_view(row)

    def get_weeknote(self, weeknote_id: str) -> model.Weeknote | None:
        with self.session() as s:
            row = s.get(t.Weeknote, weeknote_id.strip())
            return weeknote_view(row) if row is not None and row.deleted_at is None else None

    def delete_weeknote(self, weeknote_id: str, *, now: datetime) -> model.Weeknote:
        with self.session() as s:
            row = s.get(t.Weeknote, weeknote_id.strip())
            if row is None or row.deleted_at is not None:
                raise NotFound(weeknote_id)
            gone = weeknote_view(row)
            # The row stays as a tombstone so other processes' search indexes see the deletion
            # and no re-import brings it back; the words themselves are gone.
            wipe_weeknote(row, now)
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
            return [weeknote_view(r) for r in rows]
