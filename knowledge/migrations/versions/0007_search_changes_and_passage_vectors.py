"""search v2: a change feed filled by triggers, and passage embeddings

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-01 22:00:00.000000

`search_change` replaces the timestamp window search indexes used to catch up with other
processes (rows stamped at an import's start and committed late were never seen). Triggers on
project, weeknote and passage_vector add a row for every insert, update and delete, so no code
path can forget one; on PostgreSQL each row also records its transaction id (see
knowledge/changes.py for how readers use it).

On SQLite a later migration that rebuilds project or weeknote in batch mode drops their
triggers; tests/knowledge/test_changes.py checks they exist at head.
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

import knowledge.tables

revision: str = '0007'
down_revision: str | None = '0006'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# (table, kind written, what identifies the document: SQLite expressions over the row)
SOURCES = (
    ('project', 'project', '{row}.id'),
    ('weeknote', 'weeknote', '{row}.id'),
    # new vectors only need loading, not the document indexing again: a kind of their own
    ('passage_vector', 'vectors', "{row}.kind || ':' || {row}.doc_id"),
)


def upgrade() -> None:
    op.create_table('search_change',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('kind', sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
    sa.Column('key', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
    sa.Column('xid', sa.BigInteger(), nullable=True),
    sa.PrimaryKeyConstraint('id'),
    sqlite_autoincrement=True,
    )
    op.create_index(op.f('ix_search_change_xid'), 'search_change', ['xid'], unique=False)
    op.create_table('passage_vector',
    sa.Column('kind', sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
    sa.Column('doc_id', sqlmodel.sql.sqltypes.AutoString(length=120), nullable=False),
    sa.Column('model', sqlmodel.sql.sqltypes.AutoString(length=300), nullable=False),
    sa.Column('digest', sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
    sa.Column('passages', sa.Integer(), nullable=False),
    sa.Column('dim', sa.Integer(), nullable=False),
    sa.Column('vectors', sa.LargeBinary(), nullable=False),
    sa.Column('embedded_at', knowledge.tables.UtcDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('kind', 'doc_id', 'model')
    )
    if op.get_bind().dialect.name == 'postgresql':
        _postgresql_triggers()
    else:
        _sqlite_triggers()


def _sqlite_triggers() -> None:
    for table, kind, key in SOURCES:
        for event, row in (('INSERT', 'NEW'), ('UPDATE', 'NEW'), ('DELETE', 'OLD')):
            op.execute(
                f'CREATE TRIGGER search_change_{table}_{event.lower()} AFTER {event} ON {table} '
                f"BEGIN INSERT INTO search_change (kind, key) VALUES ('{kind}', "
                f'{key.format(row=row)}); END'
            )


def _postgresql_triggers() -> None:
    op.execute(
        """
        CREATE FUNCTION search_change_note() RETURNS trigger AS $$
        DECLARE
            written jsonb;
            row_key text;
        BEGIN
            IF TG_OP = 'DELETE' THEN
                written := to_jsonb(OLD);
            ELSE
                written := to_jsonb(NEW);
            END IF;
            IF TG_ARGV[0] = 'vectors' THEN
                row_key := (written ->> 'kind') || ':' || (written ->> 'doc_id');
            ELSE
                row_key := written ->> 'id';
            END IF;
            INSERT INTO search_change (kind, key, xid)
            VALUES (TG_ARGV[0], row_key, pg_current_xact_id()::text::bigint);
            RETURN NULL;
        END
        $$ LANGUAGE plpgsql
        """
    )
    for table, kind, _ in SOURCES:
        op.execute(
            f'CREATE TRIGGER search_change_{table} AFTER INSERT OR UPDATE OR DELETE ON {table} '
            f"FOR EACH ROW EXECUTE FUNCTION search_change_note('{kind}')"
        )


def downgrade() -> None:
    if op.get_bind().dialect.name == 'postgresql':
        for table, _, _ in SOURCES:
            op.execute(f'DROP TRIGGER IF EXISTS search_change_{table} ON {table}')
        op.execute('DROP FUNCTION IF EXISTS search_change_note()')
    else:
        for table, _, _ in SOURCES:
            for event in ('insert', 'update', 'delete'):
                op.execute(f'DROP TRIGGER IF EXISTS search_change_{table}_{event}')
    op.drop_table('passage_vector')
    op.drop_index(op.f('ix_search_change_xid'), table_name='search_change')
    op.drop_table('search_change')
