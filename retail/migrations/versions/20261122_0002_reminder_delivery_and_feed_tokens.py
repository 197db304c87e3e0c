"""reminder delivery and feed tokens

Outbox rows gain what claiming and delivery figures need (order cycle, claim holder, priority,
expiry, when the row finished, 429s met, sends interrupted by a crash); bank feeds get tokens,
stored as SHA-256 hashes.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-22 08:52:39.389066
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0002'
down_revision = '0001'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('feed_tokens',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('feed', sa.String(length=32), nullable=False),
    sa.Column('token_hash', sa.String(length=64), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('revoked_at', sa.DateTime(), nullable=True),
    sa.Column('last_used_at', sa.DateTime(), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_feed_tokens')),
    sa.UniqueConstraint('token_hash', name=op.f('uq_feed_tokens_token_hash'))
    )
    with op.batch_alter_table('feed_tokens', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_feed_tokens_feed'), ['feed'], unique=False)

    with op.batch_alter_table('outbox', schema=None) as batch_op:
        batch_op.add_column(sa.Column('cycle', sa.String(length=16), server_default='', nullable=False))
        batch_op.add_column(sa.Column('claimed_by', sa.String(length=64), server_default='', nullable=False))
        batch_op.add_column(sa.Column('priority', sa.Integer(), server_default='5', nullable=False))
        batch_op.add_column(sa.Column('expires_at', sa.DateTime(), nullable=True))
        batch_op.add_column(sa.Column('finished_at', sa.DateTime(), nullable=True))
        batch_op.add_column(sa.Column('throttled', sa.Integer(), server_default='0', nullable=False))
        batch_op.add_column(sa.Column('interrupted', sa.Integer(), server_default='0', nullable=False))
        batch_op.create_index(batch_op.f('ix_outbox_finished_at'), ['finished_at'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('outbox', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_outbox_finished_at'))
        batch_op.drop_column('interrupted')
        batch_op.drop_column('throttled')
        batch_op.drop_column('finished_at')
        batch_op.drop_column('expires_at')
        batch_op.drop_column('priority')
        batch_op.drop_column('claimed_by')
        batch_op.drop_column('cycle')

    with op.batch_alter_table('feed_tokens', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_feed_tokens_feed'))

    op.drop_table('feed_tokens')
