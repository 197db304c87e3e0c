"""order change plans

Order changes shown to a user and waiting for their confirmation (or confirmed, cancelled,
superseded), so a restart of Rasa, the action server or the bot loses none of them.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-22 09:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0003'
down_revision = '0002'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('order_change_plans',
    sa.Column('id', sa.String(length=16), nullable=False),
    sa.Column('order_id', sa.Integer(), nullable=False),
    sa.Column('retailer_id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('expires_at', sa.DateTime(), nullable=False),
    sa.Column('decided_at', sa.DateTime(), nullable=True),
    sa.Column('request_message', sa.String(length=64), nullable=False),
    sa.Column('plan', sa.JSON(), nullable=False),
    sa.ForeignKeyConstraint(['order_id'], ['orders.id'], name=op.f('fk_order_change_plans_order_id_orders')),
    sa.ForeignKeyConstraint(['retailer_id'], ['retailers.id'], name=op.f('fk_order_change_plans_retailer_id_retailers')),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_order_change_plans_user_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_order_change_plans'))
    )
    with op.batch_alter_table('order_change_plans', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_order_change_plans_order_id'), ['order_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_order_change_plans_user_id'), ['user_id'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('order_change_plans', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_order_change_plans_user_id'))
        batch_op.drop_index(batch_op.f('ix_order_change_plans_order_id'))

    op.drop_table('order_change_plans')
