"""notifications: e-mail attempts and claim time, so failed or abandoned e-mails are retried

Revision ID: 0014
Revises: 0013
Create Date: 2026-11-22 21:00:00
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import coordination.db

revision = '0014'
down_revision = '0013'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('notifications', schema=None) as batch_op:
        batch_op.add_column(sa.Column('email_attempts', sa.Integer(), nullable=False,
                                      server_default='0'))
        batch_op.add_column(sa.Column('email_claimed_at',
                                      coordination.db.UTCDateTime(timezone=True),
                                      nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('notifications', schema=None) as batch_op:
        batch_op.drop_column('email_claimed_at')
        batch_op.drop_column('email_attempts')
