"""contract.anggota_kso: a consortium's member firms as the source names them (issue 18)

Revision ID: 0011_issue18_consortium_members
Revises: 0010_issue15_lookup_indexes
Create Date: 2026-12-03
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0011_issue18_consortium_members'
down_revision = '0010_issue15_lookup_indexes'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column('contract', sa.Column('anggota_kso', sa.Text(), nullable=True))


def downgrade() -> None:
    op.drop_column('contract', 'anggota_kso')
