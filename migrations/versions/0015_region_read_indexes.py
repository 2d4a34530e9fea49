"""indexes for region-scale reads: one DAC's situations opened and closed in a period,
first triages, an organisation's active shares, the observatory's ruptures and the open
actions sorted by due date (covering)

Each new index starts with the columns of the one it replaces.

Revision ID: 0015
Revises: 0014
Create Date: 2026-11-22 21:00:00
"""
from __future__ import annotations

from alembic import op

revision = '0015'
down_revision = '0014'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index('ix_situations_referent_created', 'situations',
                    ['referent_user_id', 'created_at'], unique=False)
    op.create_index('ix_situations_referent_closed', 'situations',
                    ['referent_user_id', 'closed_at', 'closure_reason'], unique=False)
    op.drop_index('ix_situations_referent_user_id', table_name='situations')
    op.create_index('ix_triage_records_situation_occurred', 'triage_records',
                    ['situation_id', 'occurred_at'], unique=False)
    op.drop_index('ix_triage_records_situation_id', table_name='triage_records')
    op.create_index('ix_situation_shares_organisation_active', 'situation_shares',
                    ['organisation_id', 'revoked_at', 'situation_id'], unique=False)
    op.drop_index('ix_situation_shares_organisation_id', table_name='situation_shares')
    op.create_index('ix_ruptures_observatory', 'ruptures',
                    ['occurred_on', 'type', 'commune_insee', 'transition_point',
                     'situation_id'], unique=False)
    op.drop_index('ix_ruptures_occurred_type_commune', table_name='ruptures')
    op.create_index('ix_actions_situation_state_due', 'actions',
                    ['situation_id', 'state', 'due_on'], unique=False)
    op.drop_index('ix_actions_situation_state', table_name='actions')


def downgrade() -> None:
    op.create_index('ix_actions_situation_state', 'actions', ['situation_id', 'state'],
                    unique=False)
    op.drop_index('ix_actions_situation_state_due', table_name='actions')
    op.create_index('ix_ruptures_occurred_type_commune', 'ruptures',
                    ['occurred_on', 'type', 'commune_insee'], unique=False)
    op.drop_index('ix_ruptures_observatory', table_name='ruptures')
    op.create_index('ix_situation_shares_organisation_id', 'situation_shares',
                    ['organisation_id'], unique=False)
    op.drop_index('ix_situation_shares_organisation_active', table_name='situation_shares')
    op.create_index('ix_triage_records_situation_id', 'triage_records', ['situation_id'],
                    unique=False)
    op.drop_index('ix_triage_records_situation_occurred', table_name='triage_records')
    op.create_index('ix_situations_referent_user_id', 'situations', ['referent_user_id'],
                    unique=False)
    op.drop_index('ix_situations_referent_closed', table_name='situations')
    op.drop_index('ix_situations_referent_created', table_name='situations')
