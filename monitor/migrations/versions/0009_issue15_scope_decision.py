"""scope decisions: who put one contract in or out of Jakon's scope, when and why; OCDS releases kept as
stages by their ocid (up to 200 characters) (issue 15)

Revision ID: 0007_issue15_scope_decision
Revises: 0007_issue14_import_actor
Create Date: 2026-12-02
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import monitor.models

revision = '0007_issue15_scope_decision'
down_revision = '0007_issue14_import_actor'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('scope_decision',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('contract_id', sa.Integer(), nullable=False),
    sa.Column('at', monitor.models.UtcDateTime(timezone=True), nullable=False),
    sa.Column('actor', sa.String(length=200), nullable=False),
    sa.Column('decision', sa.Boolean(), nullable=True),
    sa.Column('before', sa.Boolean(), nullable=True),
    sa.Column('reason', sa.Text(), nullable=False),
    sa.ForeignKeyConstraint(['contract_id'], ['contract.id'], name=op.f('fk_scope_decision_contract_id_contract'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_scope_decision'))
    )
    with op.batch_alter_table('scope_decision', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_scope_decision_contract_id'), ['contract_id'], unique=False)
    with op.batch_alter_table('source_stage', schema=None) as batch_op:
        batch_op.alter_column('kode', existing_type=sa.String(length=40), type_=sa.String(length=200),
                              existing_nullable=False)


def downgrade() -> None:
    op.execute("DELETE FROM source_stage WHERE source = 'ocds'")
    with op.batch_alter_table('source_stage', schema=None) as batch_op:
        batch_op.alter_column('kode', existing_type=sa.String(length=200), type_=sa.String(length=40),
                              existing_nullable=False)
    with op.batch_alter_table('scope_decision', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_scope_decision_contract_id'))
    op.drop_table('scope_decision')
