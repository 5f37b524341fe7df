"""weeknote reminders sent, one per person per week

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-23 10:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

import knowledge.tables

revision: str = '0004'
down_revision: str | None = '0003'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('reminder_sent',
    sa.Column('person_key', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
    sa.Column('week', sa.Date(), nullable=False),
    sa.Column('claimed_at', knowledge.tables.UtcDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('person_key', 'week')
    )


def downgrade() -> None:
    op.drop_table('reminder_sent')
