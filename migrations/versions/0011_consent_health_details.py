"""consent records say whether they cover the intake's health details

Revision ID: 0011
Revises: 0010
Create Date: 2026-11-22 20:30:00
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0011'
down_revision = '0010'
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Existing consents covered the situation, not its health details: false.
    with op.batch_alter_table('consent_records', schema=None) as batch_op:
        batch_op.add_column(sa.Column('covers_health_details', sa.Boolean(), nullable=False,
                                      server_default=sa.false()))


def downgrade() -> None:
    with op.batch_alter_table('consent_records', schema=None) as batch_op:
        batch_op.drop_column('covers_health_details')
