"""situation lists sorted by their last change read an index instead of sorting

Revision ID: 0020
Revises: 0019
Create Date: 2026-11-23 00:50:00
"""
from __future__ import annotations

from alembic import op

revision = '0020'
down_revision = '0019'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index('ix_situations_updated', 'situations', ['updated_at', 'id'], unique=False)


def downgrade() -> None:
    op.drop_index('ix_situations_updated', table_name='situations')
