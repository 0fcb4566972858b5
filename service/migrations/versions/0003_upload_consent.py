"""web upload: who confirmed that everyone recorded agreed, and when (sessions.consent_by/at)

Revision ID: 0003
Revises: 0002
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op


revision = '0003'
down_revision = '0002'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('sessions', schema=None) as batch_op:
        batch_op.add_column(sa.Column('consent_by', sa.String(length=40), nullable=True))
        batch_op.add_column(sa.Column('consent_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.create_foreign_key('fk_sessions_consent_by', 'users', ['consent_by'], ['id'], ondelete='SET NULL')


def downgrade() -> None:
    with op.batch_alter_table('sessions', schema=None) as batch_op:
        batch_op.drop_constraint('fk_sessions_consent_by', type_='foreignkey')
        batch_op.drop_column('consent_at')
        batch_op.drop_column('consent_by')
