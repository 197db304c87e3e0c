"""confirmation keys

Every confirm step writes once per offer: a deposit claim keeps the offer it confirms (unique per
shop), a visit note the draft it was saved from (unique), and confirm steps without a row of
their own (reminder preferences, a manager's deposit-reminder broadcast) record the confirmed
offer in ``confirmed_offers`` (unique per user and kind).

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-03 13:35:24
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('confirmed_offers',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=32), nullable=False),
    sa.Column('offer_key', sa.String(length=128), nullable=False),
    sa.Column('confirmed_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_confirmed_offers_user_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_confirmed_offers')),
    sa.UniqueConstraint('user_id', 'kind', 'offer_key', name=op.f('uq_confirmed_offers_user_id'))
    )
    with op.batch_alter_table('deposit_claims', schema=None) as batch_op:
        batch_op.add_column(sa.Column('offer_key', sa.String(length=64), nullable=True))
        batch_op.create_unique_constraint(batch_op.f('uq_deposit_claims_retailer_id'), ['retailer_id', 'offer_key'])

    with op.batch_alter_table('visit_notes', schema=None) as batch_op:
        batch_op.add_column(sa.Column('draft_id', sa.Integer(), nullable=True))
        batch_op.create_unique_constraint(batch_op.f('uq_visit_notes_draft_id'), ['draft_id'])



def downgrade() -> None:
    with op.batch_alter_table('visit_notes', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('uq_visit_notes_draft_id'), type_='unique')
        batch_op.drop_column('draft_id')

    with op.batch_alter_table('deposit_claims', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('uq_deposit_claims_retailer_id'), type_='unique')
        batch_op.drop_column('offer_key')

    op.drop_table('confirmed_offers')
