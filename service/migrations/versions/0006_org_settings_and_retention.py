"""org settings (retention days, default rubric); users.deactivated_at; api_keys.last_used_at;
sessions: when (and under what setting) the recording and the transcript were purged;
webhook_endpoints (the organisation's own webhook URLs)

Revision ID: 0006
Revises: 0003
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op


revision = '0006'
down_revision = '0005'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('webhook_endpoints',
    sa.Column('id', sa.String(length=40), nullable=False),
    sa.Column('org_id', sa.String(length=40), nullable=False),
    sa.Column('url', sa.String(length=2000), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['org_id'], ['orgs.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('webhook_endpoints', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_webhook_endpoints_org_id'), ['org_id'], unique=False)
    with op.batch_alter_table('orgs', schema=None) as batch_op:
        batch_op.add_column(sa.Column('keep_audio_days', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('keep_transcripts_days', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('default_rubric', sa.String(length=100), nullable=True))
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.add_column(sa.Column('deactivated_at', sa.DateTime(timezone=True), nullable=True))
    with op.batch_alter_table('api_keys', schema=None) as batch_op:
        batch_op.add_column(sa.Column('last_used_at', sa.DateTime(timezone=True), nullable=True))
    with op.batch_alter_table('sessions', schema=None) as batch_op:
        batch_op.add_column(sa.Column('audio_purged_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('audio_purged_days', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('transcript_purged_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('transcript_purged_days', sa.Integer(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('sessions', schema=None) as batch_op:
        batch_op.drop_column('transcript_purged_days')
        batch_op.drop_column('transcript_purged_at')
        batch_op.drop_column('audio_purged_days')
        batch_op.drop_column('audio_purged_at')
    with op.batch_alter_table('api_keys', schema=None) as batch_op:
        batch_op.drop_column('last_used_at')
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.drop_column('deactivated_at')
    with op.batch_alter_table('orgs', schema=None) as batch_op:
        batch_op.drop_column('default_rubric')
        batch_op.drop_column('keep_transcripts_days')
        batch_op.drop_column('keep_audio_days')
    with op.batch_alter_table('webhook_endpoints', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_webhook_endpoints_org_id'))
    op.drop_table('webhook_endpoints')
