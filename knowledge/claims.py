"""Claims on projects nobody owns, decided once by a community manager."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlmodel import Session, col, select

from bot import model
from bot.ports import Claim
from knowledge import tables as t


class ClaimStore:
    """Implements the core's Claims port."""

    def __init__(self, engine: sa.Engine) -> None:
        self.engine = engine

    def open_claim(self, project_id: str, claimant: model.Person, *, now: datetime) -> Claim | None:
        with Session(self.engine, expire_on_commit=False) as s:
            pending = s.exec(
                select(t.ProjectClaim).where(
                    t.ProjectClaim.project_id == project_id,
                    t.ProjectClaim.claimant_key == claimant.key,
                    t.ProjectClaim.status == "pending",
                )
            ).first()
            if pending is not None:
                return None
            row = t.ProjectClaim(
                project_id=project_id,
                claimant_key=claimant.key,
                claimant_name=claimant.name,
                requested_at=now,
            )
            s.add(row)
            s.commit()
            return _claim(row)

    def get_claim(self, claim_id: int) -> Claim | None:
        with Session(self.engine) as s:
            row = s.get(t.ProjectClaim, claim_id)
            return _claim(row) if row is not None else None

    def decide(
        self, claim_id: int, *, approve: bool, by: model.Person, now: datetime
    ) -> Claim | None:
        """A conditional update (status still pending) decides it: of two managers clicking at
        once, one wins. Approving makes the claimant the owner in the same transaction, unless
        someone owns the project by now."""
        status = "approved" if approve else "refused"
        with Session(self.engine, expire_on_commit=False) as s:
            row = s.get(t.ProjectClaim, claim_id)
            if row is None or row.status != "pending":
                return None
            project = s.get(t.Project, row.project_id)
            if approve and (project is None or project.deleted_at is not None or project.owner_key):
                return None
            taken: Any = s.execute(
                sa.update(t.ProjectClaim)
                .where(col(t.ProjectClaim.id) == claim_id, col(t.ProjectClaim.status) == "pending")
                .values(status=status, decided_by=by.key, decided_at=now)
            )
            if taken.rowcount != 1:
                s.rollback()
                return None
            if approve and project is not None:
                project.owner_key, project.changed_at = row.claimant_key, now
                s.add(project)
            s.commit()
            s.refresh(row)
            return _claim(row)


def _claim(row: t.ProjectClaim) -> Claim:
    assert row.id is not None
    return Claim(
        id=row.id,
        project_id=row.project_id,
        claimant=model.Person(row.claimant_key, row.claimant_name),
        status=row.status,
        decided_by=row.decided_by,
    )
