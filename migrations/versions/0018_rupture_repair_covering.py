"""the observatory's covering index on ruptures also holds the resolution date

The repair delays of five years of a region (≈ 110,000 resolved ruptures) read
`resolved_on` for every rupture of the period: from the table, one row lookup each
(half a second on SQLite); from the index, a tenth of that. Plain index operations: no
table rebuild, the triggers of 0017 stay.

Revision ID: 0018
Revises: 0017
Create Date: 2026-11-23 00:20:00
"""
from __future__ import annotations

from alembic import op

revision = '0018'
down_revision = '0017'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.drop_index('ix_ruptures_observatory', table_name='ruptures')
    op.create_index('ix_ruptures_observatory', 'ruptures',
                    ['occurred_on', 'type', 'commune_insee', 'transition_point',
                     'situation_id', 'resolved_on'], unique=False)


def downgrade() -> None:
    op.drop_index('ix_ruptures_observatory', table_name='ruptures')
    op.create_index('ix_ruptures_observatory', 'ruptures',
                    ['occurred_on', 'type', 'commune_insee', 'transition_point',
                     'situation_id'], unique=False)
