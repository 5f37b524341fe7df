"""What the register's stores share: the engine, change listeners, sessions, and turning a
project row into the core's `Project` (with its organisation's name and its members)."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlmodel import Session, col, select

from bot import model
from bot.model import Stage
from knowledge import tables as t
from knowledge.orgs import AuthorityNames

MAX_ID_TRIES = 50


def slugify(text: str, *, max_length: int = 60) -> str:
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    slug = re.sub(r"[^a-z0-9]+", "-", ascii_text.lower()).strip("-")
    return slug[:max_length].rstrip("-") or "item"


class RegisterBase:
    """One database; listeners told after every write to projects or weeknotes."""

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


def organisation_view(row: t.Organisation) -> model.Organisation:
    return model.Organisation(id=row.id, name=row.name, code=row.code)


def weeknote_view(row: t.Weeknote) -> model.Weeknote:
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


def wipe_weeknote(row: t.Weeknote, now: datetime) -> None:
    row.text, row.title, row.url, row.extra = "", "", "", {}
    row.deleted_at, row.changed_at = now, now


def wipe_project(row: t.Project, now: datetime) -> None:
    """Everything a project said goes; its id (and organisation, a foreign key) stay."""
    row.title, row.description, row.summary, row.contact, row.url = "", "", "", "", ""
    row.service_area, row.cost, row.outcomes, row.owner_key = "", None, None, None
    row.tags, row.partners, row.suppliers, row.extra = [], [], [], {}
    row.deleted_at, row.changed_at = now, now
