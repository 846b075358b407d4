"""import actor: who imported a file (a web user, the inbox), for the Impor page's audit trail

Revision ID: 0007_issue14_import_actor
Revises: 0007_issue13_ppk
Create Date: 2026-12-02
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0007_issue14_import_actor'
down_revision = '0007_issue13_ppk'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('import_batch', schema=None) as batch_op:
        batch_op.add_column(sa.Column('actor', sa.String(length=200), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('import_batch', schema=None) as batch_op:
        batch_op.drop_column('actor')
