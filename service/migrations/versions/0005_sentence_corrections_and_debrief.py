"""sentence corrections: sessions.overrides_json (a reviewer's sentence acts and speakers),
corrections.after and corrections.api_key_id (the audit row's new labels, and the API key
that made it); sessions.debrief_answers (the leader's answers to the debrief prompts)

Revision ID: 0005
Revises: 0003
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op


revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('sessions', schema=None) as batch_op:
        batch_op.add_column(sa.Column('overrides_json', sa.JSON(), nullable=True))
        batch_op.add_column(sa.Column('debrief_answers', sa.JSON(), nullable=True))
    with op.batch_alter_table('corrections', schema=None) as batch_op:
        batch_op.add_column(sa.Column('after', sa.JSON(), nullable=True))
        batch_op.add_column(sa.Column('api_key_id', sa.String(length=40), nullable=True))
        batch_op.create_index(batch_op.f('ix_corrections_org_id'), ['org_id'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('corrections', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_corrections_org_id'))
        batch_op.drop_column('api_key_id')
        batch_op.drop_column('after')
    with op.batch_alter_table('sessions', schema=None) as batch_op:
        batch_op.drop_column('debrief_answers')
        batch_op.drop_column('overrides_json')
