"""Per-conversation state: listening, and once-only markers (digests live in
knowledge/subscriptions.py).

The once-only markers (`first_time_for_event`, `first_answer_in_thread`) rely on a primary key:
of two processes racing to insert the same row, exactly one succeeds.
"""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlmodel import Session, SQLModel

from bot.model import ConversationRef, Person
from knowledge import tables as t


class ChannelStore:
    def __init__(self, engine: sa.Engine) -> None:
        self.engine = engine

    def set_listening(self, where: ConversationRef, on: bool, *, by: Person, now: datetime) -> None:
        with Session(self.engine) as s:
            key = (where.platform, where.workspace_id, where.channel_id)
            row = s.get(t.ChannelSetting, key) or t.ChannelSetting(
                platform=key[0], workspace_id=key[1], channel_id=key[2], changed_at=now
            )
            row.listening, row.changed_by, row.changed_at = on, by.key, now
            s.add(row)
            s.commit()

    def is_listening(self, where: ConversationRef) -> bool:
        with Session(self.engine) as s:
            row = s.get(t.ChannelSetting, (where.platform, where.workspace_id, where.channel_id))
            return bool(row and row.listening)

    def first_time_for_event(self, platform: str, event_id: str, *, now: datetime) -> bool:
        """True the first time an event id is seen; False for every retried delivery."""
        return self._claim(t.ProcessedEvent(platform=platform, event_id=event_id, received_at=now))

    def first_answer_in_thread(
        self, where: ConversationRef, thread_id: str, *, now: datetime
    ) -> bool:
        row = t.AnsweredThread(
            platform=where.platform, channel_id=where.channel_id, thread_id=thread_id, at=now
        )
        return self._claim(row)

    def _claim(self, row: SQLModel) -> bool:
        with Session(self.engine) as s:
            s.add(row)
            try:
                s.commit()
            except sa.exc.IntegrityError:
                return False
            return True
