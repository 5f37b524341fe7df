"""The outbox: direct messages the core asked for, stored, then delivered by a job.

Each message is claimed before it is sent (a conditional update), so any number of processes
may deliver at once and none sends a message another is sending. A message whose send failed
in a way that says it did not land is tried again later; one whose fate is unknown (the
platform failed after it may have posted) is marked `unsure`, and the next attempt first asks
the platform whether it is there (Slack can: message metadata in the DM's history) before
sending it again.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlmodel import Session, col, select

from bot.model import Action, Reply
from bot.ports import QueuedMessage
from knowledge import tables as t

LEASE = timedelta(minutes=5)
MAX_ATTEMPTS = 8


class OutboxStore:
    """Implements the core's Outbox port, and what the delivery job needs."""

    def __init__(self, engine: sa.Engine) -> None:
        self.engine = engine

    def enqueue(self, key: str, person_key: str, reply: Reply, *, now: datetime) -> bool:
        row = t.OutboxMessage(
            key=key[:300], person_key=person_key, body=reply_body(reply), created_at=now
        )
        with Session(self.engine) as s:
            s.add(row)
            try:
                s.commit()
            except sa.exc.IntegrityError:
                return False
            return True

    def claim_due(self, *, now: datetime, limit: int = 50) -> list[QueuedMessage]:
        """Messages waiting to go (or whose sender died mid-send, once the lease ran out),
        each claimed for this caller."""
        stale = now - LEASE
        with Session(self.engine) as s:
            candidates = s.exec(
                select(t.OutboxMessage)
                .where(
                    sa.or_(
                        col(t.OutboxMessage.status).in_(("pending", "unsure")),
                        sa.and_(
                            col(t.OutboxMessage.status) == "sending",
                            col(t.OutboxMessage.claimed_at) < stale,
                        ),
                    )
                )
                .order_by(col(t.OutboxMessage.id))
                .limit(limit)
            ).all()
            claimed = []
            for row in candidates:
                taken: Any = s.execute(
                    sa.update(t.OutboxMessage)
                    .where(
                        col(t.OutboxMessage.id) == row.id,
                        col(t.OutboxMessage.status) == row.status,
                        col(t.OutboxMessage.attempts) == row.attempts,
                    )
                    .values(status="sending", claimed_at=now, attempts=row.attempts + 1)
                )
                s.commit()
                if taken.rowcount == 1:
                    assert row.id is not None
                    claimed.append(
                        QueuedMessage(
                            id=row.id,
                            key=row.key,
                            person_key=row.person_key,
                            reply=body_reply(row.body),
                            attempts=row.attempts + 1,
                            previous_status=row.status,
                            created_at=row.created_at,
                        )
                    )
            return claimed

    def mark(self, message_id: int, status: str, *, now: datetime, error: str = "") -> None:
        """sent; pending (try again); unsure (may have landed: look before re-sending);
        failed or undeliverable (given up, with the reason)."""
        values: dict[str, Any] = {"status": status, "error": error[:500] or None}
        if status == "sent":
            values["sent_at"] = now
        with Session(self.engine) as s:
            s.execute(
                sa.update(t.OutboxMessage)
                .where(col(t.OutboxMessage.id) == message_id)
                .values(**values)
            )
            s.commit()

    def statuses(self) -> dict[str, str]:
        """key → status, for tests and the operator."""
        with Session(self.engine) as s:
            return dict(s.exec(select(t.OutboxMessage.key, t.OutboxMessage.status)).all())


def reply_body(reply: Reply) -> dict[str, Any]:
    """What of a Reply a direct message carries: its text, title and buttons."""
    return {
        "text": reply.text,
        "title": reply.title,
        "actions": [
            {
                "label": a.label,
                "name": a.name,
                "value": a.value,
                "style": a.style,
                "settles": a.settles,
            }
            for a in reply.actions
        ],
    }


def body_reply(body: dict[str, Any]) -> Reply:
    actions = tuple(
        Action(
            a["label"],
            a["name"],
            a["value"],
            style=a.get("style", "default"),
            settles=bool(a.get("settles", False)),
        )
        for a in body.get("actions", [])
    )
    return Reply(text=str(body.get("text", "")), title=str(body.get("title", "")), actions=actions)
