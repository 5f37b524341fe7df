"""People: who has spoken to the bot, how they are named, and forgetting them on request."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlmodel import Session, col, select

from bot import model
from bot.ports import Forgotten
from knowledge import tables as t
from knowledge.questions import INTRODUCED


class PeopleStore:
    """Implements the core's People port."""

    def __init__(self, engine: sa.Engine) -> None:
        self.engine = engine
        self._seen: dict[str, tuple[str, str]] = {}

    @contextmanager
    def session(self) -> Iterator[Session]:
        with Session(self.engine, expire_on_commit=False) as session:
            yield session

    def seen(self, person: model.Person, where: model.ConversationRef, *, now: datetime) -> None:
        """Record a person the first time this process meets them (or under a new name or
        timezone)."""
        if self._seen.get(person.key) == (person.name, person.timezone):
            return
        user_id = person.key.rsplit(":", 1)[-1]
        with self.session() as s:
            row = s.exec(select(t.Person).where(t.Person.key == person.key)).first() or t.Person(
                key=person.key,
                platform=where.platform,
                workspace_id=where.workspace_id,
                user_id=user_id,
                created_at=now,
            )
            if person.name:
                row.display_name = person.name
            if person.timezone:
                row.timezone = person.timezone
            s.add(row)
            try:
                s.commit()
            except sa.exc.IntegrityError:  # another process recorded them first: fine
                s.rollback()
        self._seen[person.key] = (person.name, person.timezone)

    def display_name(self, person_key: str) -> str:
        with self.session() as s:
            name = s.exec(select(t.Person.display_name).where(t.Person.key == person_key)).first()
            return name or ""

    def find_people(self, community: str, name: str) -> Sequence[model.Person]:
        platform, _, workspace = community.partition(":")
        wanted = name.strip()
        if not wanted:
            return []
        with self.session() as s:
            rows = s.exec(
                select(t.Person).where(
                    t.Person.platform == platform,
                    t.Person.workspace_id == workspace,
                    sa.or_(
                        col(t.Person.key) == wanted,
                        col(t.Person.user_id) == wanted,
                        sa.func.lower(t.Person.display_name) == wanted.lower(),
                    ),
                )
            ).all()
            return [model.Person(r.key, r.display_name, r.timezone) for r in rows]

    def forget(self, person_key: str, *, now: datetime) -> Forgotten:
        """Everything keyed on the person is removed; what they wrote for a project stays with
        it, under no name. One transaction: all of it or none."""
        key = person_key
        with self.session() as s:
            person = s.exec(select(t.Person).where(t.Person.key == key)).first()
            user_id = person.user_id if person is not None else key.rsplit(":", 1)[-1]
            notes = _update(
                s,
                t.Weeknote,
                col(t.Weeknote.author_key) == key,
                author="",
                author_key=None,
                changed_at=now,
            )
            questions = _update(s, t.Question, col(t.Question.asker_key) == key, asker_key="")
            projects = _update(
                s, t.Project, col(t.Project.owner_key) == key, owner_key=None, changed_at=now
            )
            _update(s, t.StageChange, col(t.StageChange.by_key) == key, by_key=None)
            _update(s, t.ProjectClaim, col(t.ProjectClaim.decided_by) == key, decided_by=None)
            _update(s, t.ChannelSetting, col(t.ChannelSetting.changed_by) == key, changed_by="")
            _update(
                s,
                t.DigestSubscription,
                col(t.DigestSubscription.created_by) == key,
                created_by="",
            )
            claims = s.exec(
                select(t.ProjectClaim.id).where(t.ProjectClaim.claimant_key == key)
            ).all()
            for claim_id in claims:  # the managers' pending "X asks to own…" messages
                s.execute(
                    sa.delete(t.OutboxMessage).where(
                        col(t.OutboxMessage.key).startswith(f"claim:{claim_id}:"),
                        col(t.OutboxMessage.status) != "sent",
                    )
                )
            for table, column in (
                (t.FeedbackVote, t.FeedbackVote.person_key),
                (t.ProjectMember, t.ProjectMember.person_key),
                (t.ProjectClaim, t.ProjectClaim.claimant_key),
                (t.ReminderSent, t.ReminderSent.person_key),
                (t.OutboxMessage, t.OutboxMessage.person_key),
            ):
                s.execute(sa.delete(table).where(col(column) == key))
            s.execute(
                sa.delete(t.ProcessedEvent).where(
                    col(t.ProcessedEvent.platform) == INTRODUCED,
                    col(t.ProcessedEvent.event_id).endswith(f":{key}"),
                )
            )
            self._forget_personal_chats(s, key, user_id)
            if person is not None:
                s.delete(person)
            s.commit()
        self._seen.pop(key, None)
        return Forgotten(
            person=person is not None, weeknotes=notes, questions=questions, projects=projects
        )

    @staticmethod
    def _forget_personal_chats(s: Session, key: str, user_id: str) -> None:
        """A Teams personal chat's stored reference names the person: it goes too."""
        platform = key.split(":", 1)[0]
        rows = s.exec(
            select(t.ConversationReference).where(
                t.ConversationReference.platform == platform,
                t.ConversationReference.conversation_type == "personal",
            )
        ).all()
        for row in rows:
            user = row.reference.get("user") or {}
            if user_id and user_id in (user.get("aadObjectId"), user.get("id")):
                s.delete(row)


def _update(s: Session, table: Any, where: sa.ColumnElement[bool], **values: object) -> int:
    result: Any = s.execute(sa.update(table).where(where).values(**values))
    return int(result.rowcount or 0)
