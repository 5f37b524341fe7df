"""Per-conversation state: listening, digest subscriptions, and once-only markers.

The once-only markers (`first_time_for_event`, `first_answer_in_thread`) rely on a primary key:
of two processes racing to insert the same row, exactly one succeeds.
"""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlmodel import Session, SQLModel, select

from bot.model import ConversationRef, DigestFilter, Person, Subscription
from knowledge import tables as t
from knowledge.digests import digest_filter, filters_row


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

    def subscribe(
        self,
        where: ConversationRef,
        *,
        by: Person,
        now: datetime,
        day: str | None = None,
        time: str | None = None,
        timezone: str | None = None,
        post_when_quiet: bool | None = None,
        only: DigestFilter | None = None,
    ) -> Subscription:
        with Session(self.engine) as s:
            row = self._row(s, where) or t.DigestSubscription(
                platform=where.platform,
                workspace_id=where.workspace_id,
                channel_id=where.channel_id,
                created_by=by.key,
                created_at=now,
            )
            row.day = day or row.day
            row.time = time or row.time
            row.timezone = timezone or row.timezone
            if post_when_quiet is not None:
                row.post_when_quiet = post_when_quiet
            if only is not None:
                row.filters = filters_row(only)
            row.active, row.paused_reason = True, None
            s.add(row)
            s.commit()
            return _subscription(row, where)

    def pause_workspace(self, platform: str, workspace_id: str, *, reason: str) -> int:
        """Pause every active digest of a workspace (the app was removed from it); how many."""
        with Session(self.engine) as s:
            rows = s.exec(
                select(t.DigestSubscription).where(
                    t.DigestSubscription.platform == platform,
                    t.DigestSubscription.workspace_id == workspace_id,
                    t.DigestSubscription.active == True,  # noqa: E712  (SQL, not Python)
                )
            ).all()
            for row in rows:
                row.active, row.paused_reason = False, reason[:500]
                s.add(row)
            s.commit()
            return len(rows)

    def unsubscribe(self, where: ConversationRef) -> bool:
        with Session(self.engine) as s:
            row = self._row(s, where)
            if row is None or not row.active:
                return False
            row.active = False
            s.add(row)
            s.commit()
            return True

    def subscription(self, where: ConversationRef) -> Subscription | None:
        with Session(self.engine) as s:
            row = self._row(s, where)
            return _subscription(row, where) if row else None

    @staticmethod
    def _row(s: Session, where: ConversationRef) -> t.DigestSubscription | None:
        return s.exec(
            select(t.DigestSubscription).where(
                t.DigestSubscription.platform == where.platform,
                t.DigestSubscription.workspace_id == where.workspace_id,
                t.DigestSubscription.channel_id == where.channel_id,
            )
        ).first()

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


def _subscription(row: t.DigestSubscription, where: ConversationRef) -> Subscription:
    return Subscription(
        where=where,
        day=row.day,
        time=row.time,
        timezone=row.timezone,
        active=row.active,
        post_when_quiet=row.post_when_quiet,
        only=digest_filter(row.filters),
    )
