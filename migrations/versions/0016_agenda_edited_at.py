"""meetings record the last hand edit of their agenda

Revision ID: 0016
Revises: 0015
Create Date: 2026-11-22 23:00:00
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import coordination.db

revision = '0016'
down_revision = '0015'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('meetings', schema=None) as batch_op:
        batch_op.add_column(sa.Column('agenda_edited_at',
                                      coordination.db.UTCDateTime(timezone=True),
                                      nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('meetings', schema=None) as batch_op:
        batch_op.drop_column('agenda_edited_at')
