"""ppk: the contract's PPK (nama_ppk, nip_ppk) where the source names one

Revision ID: 0007_issue13_ppk
Revises: 0006
Create Date: 2026-12-02
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0007_issue13_ppk'
down_revision = '0006'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('contract', schema=None) as batch_op:
        batch_op.add_column(sa.Column('nama_ppk', sa.String(length=200), nullable=True))
        batch_op.add_column(sa.Column('nip_ppk', sa.String(length=30), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('contract', schema=None) as batch_op:
        batch_op.drop_column('nip_ppk')
        batch_op.drop_column('nama_ppk')
