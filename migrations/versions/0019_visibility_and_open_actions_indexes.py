"""indexes for the lists of a region's coordinators on PostgreSQL: situation ids by
referent from the index alone, and a partial index of the open actions

"My actions", GET /api/v1/actions and the situation lists read the ids of the
organisation's situations (by referent) and, for actions, the open ones among several
hundred thousand: PostgreSQL scanned both tables (0.3 s a request at region scale).

Revision ID: 0019
Revises: 0018
Create Date: 2026-11-23 00:40:00
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0019'
down_revision = '0018'
branch_labels = None
depends_on = None

OPEN_ACTIONS_SQL = "state IN ('open', 'in_progress', 'blocked')"


def upgrade() -> None:
    op.create_index('ix_situations_referent_id', 'situations', ['referent_user_id', 'id'],
                    unique=False)
    op.create_index('ix_actions_open_situation', 'actions', ['situation_id', 'due_on', 'id'],
                    unique=False, sqlite_where=sa.text(OPEN_ACTIONS_SQL),
                    postgresql_where=sa.text(OPEN_ACTIONS_SQL))


def downgrade() -> None:
    op.drop_index('ix_actions_open_situation', table_name='actions')
    op.drop_index('ix_situations_referent_id', table_name='situations')
