"""Digest subscriptions and their runs: the one store behind the core's Subscriptions and
DigestRuns ports.

A run is claimed before anything is sent: the unique (subscription, period) key means one
process wins, however many sweep at once."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel import Session, col, select

from bot.model import ConversationRef, DigestFilter, Subscription
from bot.ports import RunClaim
from knowledge import tables as t

DONE = ("sent", "skipped")
RETRY_NOW = ("failed", "unsure")  # taken over by the next sweep, however recent


class SubscriptionStore:
    def __init__(self, engine: sa.Engine) -> None:
        self.engine = engine

    # -- subscriptions ---------------------------------------------------------------------

    def subscribe(
        self,
        where: ConversationRef,
        *,
        by: str,
        now: datetime,
        day: str | None = None,
        time: str | None = None,
        timezone: str | None = None,
        post_when_quiet: bool | None = None,
        only: DigestFilter | None = None,
    ) -> Subscription:
        with Session(self.engine) as s:
            row = _row(s, where) or t.DigestSubscription(
                platform=where.platform,
                workspace_id=where.workspace_id,
                channel_id=where.channel_id,
                created_by=by,
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
            return _subscription(row)

    def unsubscribe(self, where: ConversationRef) -> bool:
        with Session(self.engine) as s:
            row = _row(s, where)
            if row is None or not row.active:
                return False
            row.active = False
            s.add(row)
            s.commit()
            return True

    def subscription(self, where: ConversationRef) -> Subscription | None:
        with Session(self.engine) as s:
            row = _row(s, where)
            return _subscription(row) if row else None

    def subscriptions(self, *, paused: bool = False) -> list[Subscription]:
        query = select(t.DigestSubscription).order_by(col(t.DigestSubscription.id))
        if not paused:
            query = query.where(col(t.DigestSubscription.active).is_(True))
        with Session(self.engine) as s:
            return [_subscription(r) for r in s.exec(query)]

    def in_channel(self, channel_id: str) -> Subscription | None:
        with Session(self.engine) as s:
            row = s.exec(
                select(t.DigestSubscription).where(t.DigestSubscription.channel_id == channel_id)
            ).first()
            return _subscription(row) if row else None

    def pause(self, subscription_id: int, reason: str) -> None:
        with self.engine.begin() as c:
            c.execute(
                sa.update(t.DigestSubscription)
                .where(col(t.DigestSubscription.id) == subscription_id)
                .values(active=False, paused_reason=reason[:500])
            )

    def pause_workspace(self, platform: str, workspace_id: str, *, reason: str) -> int:
        with self.engine.begin() as c:
            done = c.execute(
                sa.update(t.DigestSubscription)
                .where(
                    col(t.DigestSubscription.platform) == platform,
                    col(t.DigestSubscription.workspace_id) == workspace_id,
                    col(t.DigestSubscription.active).is_(True),
                )
                .values(active=False, paused_reason=reason[:500])
            )
            return int(done.rowcount or 0)

    # -- runs --------------------------------------------------------------------------------

    def claim(
        self, subscription_id: int, period_start: date, *, now: datetime, lease: timedelta
    ) -> RunClaim | None:
        """Take the run for (subscription, period): a new row, or one that failed or may have
        half-happened, or one whose claimant has been silent longer than `lease` (it died)."""
        with self.engine.begin() as c:
            inserted = c.execute(_insert_ignore(c.dialect.name, subscription_id, period_start, now))
            new_id = inserted.scalar_one_or_none()  # RETURNING gives the id only when inserted
            if new_id is not None:
                return RunClaim(new_id, None, None)
            before = c.execute(
                sa.select(t.DigestRun.id, t.DigestRun.status, t.DigestRun.claimed_at).where(  # type: ignore[call-overload]
                    t.DigestRun.subscription_id == subscription_id,
                    t.DigestRun.period_start == period_start,
                )
            ).one()
            stale = now - lease
            taken = c.execute(
                sa.update(t.DigestRun)
                .where(
                    t.DigestRun.id == before.id,
                    t.DigestRun.status == before.status,
                    t.DigestRun.claimed_at == before.claimed_at,
                    sa.or_(
                        col(t.DigestRun.status).in_(RETRY_NOW),
                        sa.and_(
                            col(t.DigestRun.status).in_(("claimed", "sending")),
                            col(t.DigestRun.claimed_at) < stale,
                        ),
                    ),
                )
                .values(status="claimed", claimed_at=now)
            )
            if taken.rowcount != 1:
                return None
            claimed_at = (
                before.claimed_at
                if before.claimed_at.tzinfo
                else before.claimed_at.replace(tzinfo=now.tzinfo)
            )
            return RunClaim(before.id, before.status, claimed_at)

    def mark(
        self,
        run_id: int,
        status: str,
        *,
        now: datetime,
        error: str | None = None,
        message_ref: str | None = None,
    ) -> None:
        values: dict[str, Any] = {"status": status, "error": error}
        if status == "sending":
            values["claimed_at"] = now  # the lease restarts: the send itself may take a while
        if status in DONE:
            values["sent_at"] = now
        if message_ref is not None:
            values["message_ref"] = message_ref
        with self.engine.begin() as c:
            c.execute(sa.update(t.DigestRun).where(col(t.DigestRun.id) == run_id).values(**values))

    def renew(self, run_id: int, *, now: datetime) -> None:
        """Keep a run's lease while its send is still going (only while it is `sending`)."""
        with self.engine.begin() as c:
            c.execute(
                sa.update(t.DigestRun)
                .where(col(t.DigestRun.id) == run_id, col(t.DigestRun.status) == "sending")
                .values(claimed_at=now)
            )

    def runs(self) -> list[t.DigestRun]:
        with Session(self.engine) as s:
            return list(s.exec(select(t.DigestRun).order_by(col(t.DigestRun.id))).all())


def _row(s: Session, where: ConversationRef) -> t.DigestSubscription | None:
    return s.exec(
        select(t.DigestSubscription).where(
            t.DigestSubscription.platform == where.platform,
            t.DigestSubscription.workspace_id == where.workspace_id,
            t.DigestSubscription.channel_id == where.channel_id,
        )
    ).first()


def _insert_ignore(dialect: str, subscription_id: int, period_start: date, now: datetime) -> Any:
    values = {
        "subscription_id": subscription_id,
        "period_start": period_start,
        "status": "claimed",
        "claimed_at": now,
    }
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    return (
        insert(t.DigestRun)
        .values(**values)
        .on_conflict_do_nothing(index_elements=["subscription_id", "period_start"])
        .returning(col(t.DigestRun.id))
    )


def _subscription(row: t.DigestSubscription) -> Subscription:
    """A stored subscription. Where it posts keeps what the row knows: the platform, the
    workspace and the channel (a Teams channel's threads are keyed on the channel itself)."""
    assert row.id is not None
    where = ConversationRef(
        platform=row.platform, channel_id=row.channel_id, workspace_id=row.workspace_id
    )
    return Subscription(
        where=where,
        day=row.day,
        time=row.time,
        timezone=row.timezone,
        active=row.active,
        post_when_quiet=row.post_when_quiet,
        only=digest_filter(row.filters),
        id=row.id,
        created_at=row.created_at,
        paused_reason=row.paused_reason,
    )


def filters_row(only: DigestFilter) -> dict[str, list[str]]:
    """A filter as digest_subscription.filters stores it: only the fields that narrow."""
    fields = {"service_areas": only.service_areas, "organisations": only.organisations}
    return {name: list(values) for name, values in fields.items() if values}


def digest_filter(stored: Mapping[str, Any]) -> DigestFilter:
    """digest_subscription.filters as a DigestFilter; unknown keys are ignored."""
    return DigestFilter(
        service_areas=tuple(stored.get("service_areas", ())),
        organisations=tuple(stored.get("organisations", ())),
    )
