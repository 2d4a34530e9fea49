"""indexes for the activity figures over a period (region scale)

Revision ID: 0010
Revises: 0009
Create Date: 2026-11-22 18:30:00
"""
from __future__ import annotations

from alembic import op

revision = '0010'
down_revision = '0009'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('situations', schema=None) as batch_op:
        batch_op.create_index('ix_situations_created_at', ['created_at'], unique=False)
        batch_op.create_index('ix_situations_closed_at', ['closed_at'], unique=False)
    with op.batch_alter_table('triage_records', schema=None) as batch_op:
        batch_op.create_index('ix_triage_records_occurred_at', ['occurred_at'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('triage_records', schema=None) as batch_op:
        batch_op.drop_index('ix_triage_records_occurred_at')
    with op.batch_alter_table('situations', schema=None) as batch_op:
        batch_op.drop_index('ix_situations_closed_at')
        batch_op.drop_index('ix_situations_created_at')
