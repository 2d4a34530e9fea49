"""ruptures keep the commune where the person lived when the pathway broke

Revision ID: 0012
Revises: 0011
Create Date: 2026-11-22 21:30:00
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0012'
down_revision = '0011'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('ruptures', schema=None) as batch_op:
        batch_op.add_column(sa.Column('commune_insee', sa.String(length=5), nullable=True))
        batch_op.drop_index('ix_ruptures_occurred_type')
        batch_op.create_index('ix_ruptures_occurred_type_commune',
                              ['occurred_on', 'type', 'commune_insee'], unique=False)
    # Existing ruptures: the person's commune today, the best we know.
    op.execute("UPDATE ruptures SET commune_insee = (SELECT persons.commune_insee FROM "
               "situations JOIN persons ON persons.id = situations.person_id "
               "WHERE situations.id = ruptures.situation_id)")


def downgrade() -> None:
    with op.batch_alter_table('ruptures', schema=None) as batch_op:
        batch_op.drop_index('ix_ruptures_occurred_type_commune')
        batch_op.create_index('ix_ruptures_occurred_type', ['occurred_on', 'type'],
                              unique=False)
        batch_op.drop_column('commune_insee')
