"""visit drafts

Visit notes read from a manager's message and shown for 保存 / 取消, kept apart from the visit
record so that only a confirmed note is ever written there.

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-01 05:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0004'
down_revision = '0003'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('visit_drafts',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('manager_id', sa.Integer(), nullable=False),
    sa.Column('retailer_id', sa.Integer(), nullable=False),
    sa.Column('raw_text', sa.Text(), nullable=False),
    sa.Column('source', sa.String(length=8), nullable=False),
    sa.Column('record', sa.JSON(), nullable=False),
    sa.Column('amends_id', sa.Integer(), nullable=True),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('decided_at', sa.DateTime(), nullable=True),
    sa.Column('note_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['amends_id'], ['visit_notes.id'], name=op.f('fk_visit_drafts_amends_id_visit_notes')),
    sa.ForeignKeyConstraint(['manager_id'], ['managers.id'], name=op.f('fk_visit_drafts_manager_id_managers')),
    sa.ForeignKeyConstraint(['note_id'], ['visit_notes.id'], name=op.f('fk_visit_drafts_note_id_visit_notes')),
    sa.ForeignKeyConstraint(['retailer_id'], ['retailers.id'], name=op.f('fk_visit_drafts_retailer_id_retailers')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_visit_drafts'))
    )
    with op.batch_alter_table('visit_drafts', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_visit_drafts_manager_id'), ['manager_id'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('visit_drafts', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_visit_drafts_manager_id'))

    op.drop_table('visit_drafts')
