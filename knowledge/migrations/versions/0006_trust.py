"""trust: where questions were asked, per-person feedback, project members and claims, an outbox

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-01 22:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

import knowledge.tables

revision: str = '0006'
down_revision: str | None = '0005'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

LEGACY_VOTER = 'unknown:before-0006'  # feedback stored before votes were per person


def upgrade() -> None:
    op.create_table(
        'feedback_vote',
        sa.Column('question_id', sa.Integer(), nullable=False),
        sa.Column('person_key', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
        sa.Column('verdict', sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
        sa.Column('at', knowledge.tables.UtcDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(['question_id'], ['question.id']),
        sa.PrimaryKeyConstraint('question_id', 'person_key'),
    )
    # Old rows knew the last verdict but not who gave it: keep the verdict, under no one.
    op.execute(
        "INSERT INTO feedback_vote (question_id, person_key, verdict, at) "
        f"SELECT id, '{LEGACY_VOTER}', feedback, COALESCE(feedback_at, asked_at) FROM question "
        "WHERE feedback IS NOT NULL"
    )
    with op.batch_alter_table('question') as batch:
        batch.add_column(
            sa.Column(
                'workspace_id',
                sqlmodel.sql.sqltypes.AutoString(length=100),
                nullable=False,
                server_default='',
            )
        )
        # Where an old question was asked is unknown, so it counts as private.
        batch.add_column(sa.Column('public', sa.Boolean(), nullable=False, server_default=sa.false()))
        batch.add_column(
            sa.Column('shared_at', knowledge.tables.UtcDateTime(timezone=True), nullable=True)
        )
        batch.drop_column('feedback')
        batch.drop_column('feedback_at')
    op.create_table(
        'project_member',
        sa.Column('project_id', sqlmodel.sql.sqltypes.AutoString(length=120), nullable=False),
        sa.Column('person_key', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
        sa.Column('added_by', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
        sa.Column('added_at', knowledge.tables.UtcDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(['project_id'], ['project.id']),
        sa.PrimaryKeyConstraint('project_id', 'person_key'),
    )
    op.create_index('ix_project_member_person_key', 'project_member', ['person_key'])
    op.create_table(
        'project_claim',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('project_id', sqlmodel.sql.sqltypes.AutoString(length=120), nullable=False),
        sa.Column('claimant_key', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
        sa.Column('claimant_name', sqlmodel.sql.sqltypes.AutoString(length=300), nullable=False),
        sa.Column('status', sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
        sa.Column('requested_at', knowledge.tables.UtcDateTime(timezone=True), nullable=False),
        sa.Column('decided_by', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=True),
        sa.Column('decided_at', knowledge.tables.UtcDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(['project_id'], ['project.id']),
        sa.PrimaryKeyConstraint('id'),
    )
    op.create_index('ix_project_claim_project_id', 'project_claim', ['project_id'])
    op.create_index('ix_project_claim_claimant_key', 'project_claim', ['claimant_key'])
    op.create_table(
        'outbox_message',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('key', sqlmodel.sql.sqltypes.AutoString(length=300), nullable=False),
        sa.Column('person_key', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
        sa.Column('body', sa.JSON(), nullable=False),
        sa.Column('status', sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
        sa.Column('attempts', sa.Integer(), nullable=False),
        sa.Column('created_at', knowledge.tables.UtcDateTime(timezone=True), nullable=False),
        sa.Column('claimed_at', knowledge.tables.UtcDateTime(timezone=True), nullable=True),
        sa.Column('sent_at', knowledge.tables.UtcDateTime(timezone=True), nullable=True),
        sa.Column('error', sqlmodel.sql.sqltypes.AutoString(), nullable=True),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('key'),
    )
    op.create_index('ix_outbox_message_person_key', 'outbox_message', ['person_key'])
    op.create_index('ix_outbox_message_status', 'outbox_message', ['status'])
    with op.batch_alter_table('project') as batch:
        batch.add_column(
            sa.Column('registered_at', knowledge.tables.UtcDateTime(timezone=True), nullable=True)
        )
    # Until now only projects registered through the bot had an owner.
    op.execute("UPDATE project SET registered_at = created_at WHERE owner_key IS NOT NULL")


def downgrade() -> None:
    with op.batch_alter_table('project') as batch:
        batch.drop_column('registered_at')
    op.drop_index('ix_outbox_message_status', 'outbox_message')
    op.drop_index('ix_outbox_message_person_key', 'outbox_message')
    op.drop_table('outbox_message')
    op.drop_index('ix_project_claim_claimant_key', 'project_claim')
    op.drop_index('ix_project_claim_project_id', 'project_claim')
    op.drop_table('project_claim')
    op.drop_index('ix_project_member_person_key', 'project_member')
    op.drop_table('project_member')
    with op.batch_alter_table('question') as batch:
        batch.add_column(sa.Column('feedback_at', knowledge.tables.UtcDateTime(timezone=True), nullable=True))
        batch.add_column(sa.Column('feedback', sqlmodel.sql.sqltypes.AutoString(length=40), nullable=True))
        batch.drop_column('shared_at')
        batch.drop_column('public')
        batch.drop_column('workspace_id')
    op.drop_table('feedback_vote')
