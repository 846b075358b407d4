"""lookup indexes: contracts and addenda by their number alone, SPSE stages by code and number (issue 15)

Revision ID: 0010_issue15_lookup_indexes
Revises: 0007_issue15_scope_decision
Create Date: 2026-12-03
"""

from __future__ import annotations

from alembic import op

revision = '0010_issue15_lookup_indexes'
down_revision = '0007_issue15_scope_decision'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index('ix_contract_nomor_kontrak', 'contract', ['nomor_kontrak'], unique=False)
    op.create_index('ix_addendum_nomor_kontrak', 'addendum', ['nomor_kontrak'], unique=False)
    op.create_index('ix_source_stage_kode', 'source_stage', ['kode', 'nomor'], unique=False)


def downgrade() -> None:
    op.drop_index('ix_source_stage_kode', table_name='source_stage')
    op.drop_index('ix_addendum_nomor_kontrak', table_name='addendum')
    op.drop_index('ix_contract_nomor_kontrak', table_name='contract')
