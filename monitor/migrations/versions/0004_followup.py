"""follow-up (tindak lanjut) of findings with its history; snapshots of final monev reports

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-02
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import monitor.models

revision = '0004'
down_revision = '0003'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('monev_snapshot',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('nomor', sa.String(length=200), nullable=True),
    sa.Column('period_start', sa.Date(), nullable=False),
    sa.Column('period_end', sa.Date(), nullable=False),
    sa.Column('as_of', sa.Date(), nullable=False),
    sa.Column('check_run_id', sa.Integer(), nullable=True),
    sa.Column('created_at', monitor.models.UtcDateTime(timezone=True), nullable=False),
    sa.Column('actor', sa.String(length=200), nullable=False),
    sa.Column('figures', sa.JSON(), nullable=False),
    sa.ForeignKeyConstraint(['check_run_id'], ['check_run.id'], name=op.f('fk_monev_snapshot_check_run_id_check_run'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_monev_snapshot'))
    )
    with op.batch_alter_table('monev_snapshot', schema=None) as batch_op:
        batch_op.create_index('ix_monev_snapshot_period_end', ['period_end'], unique=False)

    op.create_table('finding_followup',
    sa.Column('finding_id', sa.Integer(), nullable=False),
    sa.Column('status', sa.String(length=32), nullable=False),
    sa.Column('due', sa.Date(), nullable=True),
    sa.Column('pic', sa.String(length=200), nullable=True),
    sa.Column('note', sa.Text(), nullable=True),
    sa.Column('updated_at', monitor.models.UtcDateTime(timezone=True), nullable=False),
    sa.Column('updated_by', sa.String(length=200), nullable=False),
    sa.ForeignKeyConstraint(['finding_id'], ['finding.id'], name=op.f('fk_finding_followup_finding_id_finding'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('finding_id', name=op.f('pk_finding_followup'))
    )
    op.create_table('followup_event',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('finding_id', sa.Integer(), nullable=False),
    sa.Column('at', monitor.models.UtcDateTime(timezone=True), nullable=False),
    sa.Column('actor', sa.String(length=200), nullable=False),
    sa.Column('source', sa.String(length=200), nullable=False),
    sa.Column('changes', sa.JSON(), nullable=False),
    sa.ForeignKeyConstraint(['finding_id'], ['finding.id'], name=op.f('fk_followup_event_finding_id_finding'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_followup_event'))
    )
    with op.batch_alter_table('followup_event', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_followup_event_finding_id'), ['finding_id'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('followup_event', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_followup_event_finding_id'))

    op.drop_table('followup_event')
    op.drop_table('finding_followup')
    with op.batch_alter_table('monev_snapshot', schema=None) as batch_op:
        batch_op.drop_index('ix_monev_snapshot_period_end')

    op.drop_table('monev_snapshot')
