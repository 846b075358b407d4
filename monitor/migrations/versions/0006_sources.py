"""sources: the contract's scope and provenance (SPSE, OCDS), the SPSE stages kept for joining

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-02
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0006'
down_revision = '0005'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('contract', schema=None) as batch_op:
        batch_op.alter_column('tanggal_selesai', existing_type=sa.Date(), nullable=True)
        batch_op.add_column(sa.Column('nilai_kontrak_sen', sa.BigInteger(), nullable=True))
        batch_op.add_column(sa.Column('complete', sa.Boolean(), server_default=sa.true(), nullable=False))
        batch_op.add_column(sa.Column('sumber_tanggal_selesai', sa.String(length=40), nullable=True))
        batch_op.add_column(sa.Column('in_scope', sa.Boolean(), server_default=sa.true(), nullable=False))
        batch_op.add_column(sa.Column('scope_reason', sa.String(length=200), nullable=True))
        batch_op.add_column(sa.Column('scope_guessed', sa.Boolean(), server_default=sa.false(), nullable=False))
        batch_op.add_column(sa.Column('scope_override', sa.Boolean(), nullable=True))
        batch_op.add_column(sa.Column('source', sa.String(length=10), server_default='csv', nullable=False))
        batch_op.add_column(sa.Column('kd_tender', sa.String(length=40), nullable=True))
        batch_op.add_column(sa.Column('kd_nontender', sa.String(length=40), nullable=True))
        batch_op.add_column(sa.Column('ocid', sa.String(length=200), nullable=True))
        batch_op.add_column(sa.Column('source_key', sa.String(length=400), nullable=True))
        batch_op.create_unique_constraint(batch_op.f('uq_contract_source_key'), ['source_key'])
    op.create_table('source_stage',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('source', sa.String(length=10), nullable=False),
    sa.Column('jalur', sa.String(length=10), nullable=False),
    sa.Column('kode', sa.String(length=40), nullable=False),
    sa.Column('stage', sa.String(length=20), nullable=False),
    sa.Column('nomor', sa.String(length=200), nullable=False),
    sa.Column('versi', sa.Integer(), nullable=False),
    sa.Column('fields', sa.JSON(), nullable=False),
    sa.Column('batch_id', sa.Integer(), nullable=True),
    sa.Column('source_line', sa.Integer(), nullable=True),
    sa.Column('row_hash', sa.String(length=40), nullable=False),
    sa.ForeignKeyConstraint(['batch_id'], ['import_batch.id'], name=op.f('fk_source_stage_batch_id_import_batch'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_source_stage')),
    sa.UniqueConstraint('source', 'jalur', 'kode', 'stage', 'nomor', 'versi', name=op.f('uq_source_stage_source_jalur_kode_stage_nomor_versi')),
    )
    with op.batch_alter_table('source_stage', schema=None) as batch_op:
        batch_op.create_index('ix_source_stage_nomor', ['nomor'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('source_stage', schema=None) as batch_op:
        batch_op.drop_index('ix_source_stage_nomor')
    op.drop_table('source_stage')
    # Contracts whose end is still unknown cannot go back to a table that requires it.
    op.execute("DELETE FROM contract WHERE tanggal_selesai IS NULL")
    with op.batch_alter_table('contract', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('uq_contract_source_key'), type_='unique')
        for column in ('source_key', 'ocid', 'kd_nontender', 'kd_tender', 'source', 'scope_override',
                       'scope_guessed', 'scope_reason', 'in_scope', 'sumber_tanggal_selesai', 'complete',
                       'nilai_kontrak_sen'):
            batch_op.drop_column(column)
        batch_op.alter_column('tanggal_selesai', existing_type=sa.Date(), nullable=False)
