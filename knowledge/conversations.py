"""Conversation references: what a platform needs to post into a conversation later."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlmodel import Session, select

from knowledge import tables as t


class ConversationStore:
    def __init__(self, engine: sa.Engine) -> None:
        self.engine = engine

    def remember(
        self,
        platform: str,
        conversation_id: str,
        reference: dict[str, Any],
        *,
        now: datetime,
        workspace_id: str = "",
        service_url: str = "",
        conversation_type: str = "",
    ) -> None:
        """Store (or refresh) a reference; hearing from a conversation means the bot is in it."""
        with Session(self.engine) as s:
            row = s.get(
                t.ConversationReference, (platform, conversation_id)
            ) or t.ConversationReference(
                platform=platform, conversation_id=conversation_id, updated_at=now
            )
            row.reference, row.workspace_id, row.service_url = reference, workspace_id, service_url
            row.conversation_type, row.installed, row.updated_at = conversation_type, True, now
            s.add(row)
            s.commit()

    def forget(self, platform: str, conversation_id: str, *, now: datetime) -> None:
        """The bot was removed: keep the row (for the record) but never post there again."""
        with Session(self.engine) as s:
            row = s.get(t.ConversationReference, (platform, conversation_id))
            if row is not None:
                row.installed, row.updated_at = False, now
                s.add(row)
                s.commit()

    def state(self, platform: str, conversation_id: str) -> str:
        """ "installed", "removed" (the app was taken out of it) or "unknown" (never seen)."""
        with Session(self.engine) as s:
            row = s.get(t.ConversationReference, (platform, conversation_id))
        if row is None:
            return "unknown"
        return "installed" if row.installed else "removed"

    def reference(self, platform: str, conversation_id: str) -> dict[str, Any] | None:
        with Session(self.engine) as s:
            row = s.get(t.ConversationReference, (platform, conversation_id))
            return dict(row.reference) if row is not None and row.installed else None

    def personal_chat_with(self, platform: str, user: str) -> str | None:
        """The personal (1:1) conversation with a user, by their id or AAD object id."""
        with Session(self.engine) as s:
            rows = s.exec(
                select(t.ConversationReference).where(
                    t.ConversationReference.platform == platform,
                    t.ConversationReference.conversation_type == "personal",
                    t.ConversationReference.installed == True,  # noqa: E712  (SQL, not Python)
                )
            ).all()
        for row in rows:
            person = row.reference.get("user") or {}
            if user in (person.get("aadObjectId"), person.get("id")):
                return row.conversation_id
        return None

    def installed(self, platform: str) -> list[str]:
        with Session(self.engine) as s:
            rows = s.exec(
                select(t.ConversationReference.conversation_id).where(
                    t.ConversationReference.platform == platform,
                    t.ConversationReference.installed == True,  # noqa: E712  (SQL, not Python)
                )
            ).all()
            return list(rows)
