"""Digest subscriptions and runs. A run is claimed before anything is sent: the unique
(subscription, period) key means one process wins, however many sweep at once."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel import Session, col, select

from bot.model import DigestFilter
from knowledge import tables as t

DONE = ("sent", "skipped")
RETRY_NOW = ("failed", "unsure")  # taken over by the next sweep, however recent


@dataclass(frozen=True, slots=True)
class SubscriptionInfo:
    id: int
    platform: str
    workspace_id: str
    channel_id: str
    day: str
    time: str
    timezone: str
    filters: dict[str, Any]
    post_when_quiet: bool
    created_at: datetime

    @property
    def only(self) -> DigestFilter:
        return digest_filter(self.filters)


@dataclass(frozen=True, slots=True)
class Claim:
    run_id: int
    previous_status: str | None  # None: a fresh claim; else the status taken over
    previous_claimed_at: datetime | None


class DigestStore:
    def __init__(self, engine: sa.Engine) -> None:
        self.engine = engine

    def subscriptions(self) -> list[SubscriptionInfo]:
        with Session(self.engine) as s:
            rows = s.exec(
                select(t.DigestSubscription).where(col(t.DigestSubscription.active).is_(True))
            ).all()
            return [_info(r) for r in rows]

    def subscribe(
        self,
        platform: str,
        channel_id: str,
        *,
        now: datetime,
        workspace_id: str = "",
        day: str = "mon",
        time: str = "09:00",
        timezone: str = "Europe/London",
        by: str = "cli",
        only: DigestFilter | None = None,
        post_when_quiet: bool | None = None,
    ) -> SubscriptionInfo:
        with Session(self.engine) as s:
            row = s.exec(
                select(t.DigestSubscription).where(
                    t.DigestSubscription.platform == platform,
                    t.DigestSubscription.workspace_id == workspace_id,
                    t.DigestSubscription.channel_id == channel_id,
                )
            ).first() or t.DigestSubscription(
                platform=platform,
                workspace_id=workspace_id,
                channel_id=channel_id,
                created_by=by,
                created_at=now,
            )
            if only is not None:
                row.filters = filters_row(only)
            if post_when_quiet is not None:
                row.post_when_quiet = post_when_quiet
            row.day, row.time, row.timezone, row.active, row.paused_reason = (
                day,
                time,
                timezone,
                True,
                None,
            )
            s.add(row)
            s.commit()
            return _info(row)

    def find(self, channel_id: str) -> SubscriptionInfo | None:
        with Session(self.engine) as s:
            row = s.exec(
                select(t.DigestSubscription).where(t.DigestSubscription.channel_id == channel_id)
            ).first()
            return _info(row) if row else None

    def claim(
        self, subscription_id: int, period_start: date, *, now: datetime, lease: timedelta
    ) -> Claim | None:
        """Take the run for (subscription, period): a new row, or one that failed, or one whose
        claimant has been silent longer than `lease` (it died). None: someone else has it."""
        with self.engine.begin() as c:
            inserted = c.execute(_insert_ignore(c.dialect.name, subscription_id, period_start, now))
            new_id = inserted.scalar_one_or_none()  # RETURNING gives the id only when inserted
            if new_id is not None:
                return Claim(new_id, None, None)
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
            return Claim(before.id, before.status, claimed_at)

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

    def pause(self, subscription_id: int, reason: str) -> None:
        with self.engine.begin() as c:
            c.execute(
                sa.update(t.DigestSubscription)
                .where(col(t.DigestSubscription.id) == subscription_id)
                .values(active=False, paused_reason=reason)
            )

    def runs(self) -> list[t.DigestRun]:
        with Session(self.engine) as s:
            return list(s.exec(select(t.DigestRun).order_by(col(t.DigestRun.id))).all())


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


def _info(row: t.DigestSubscription) -> SubscriptionInfo:
    assert row.id is not None
    return SubscriptionInfo(
        id=row.id,
        platform=row.platform,
        workspace_id=row.workspace_id,
        channel_id=row.channel_id,
        day=row.day,
        time=row.time,
        timezone=row.timezone,
        filters=dict(row.filters),
        post_when_quiet=row.post_when_quiet,
        created_at=row.created_at,
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
