"""inbound written_at and tap

A claimed update keeps when the user wrote it (the Telegram message date) and whether it was a
button tap, so a retry after a crash or an outage sends Rasa what the first attempt sent: the
message time a typed yes is checked against (an offer shown after it was written is not
confirmed by it), and a stored button key resolved only for a tap, never for typed text.

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-03 18:35:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0006'
down_revision = '0005'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('inbound_updates', schema=None) as batch_op:
        batch_op.add_column(sa.Column('written_at', sa.DateTime(), nullable=True))
        batch_op.add_column(
            sa.Column('tap', sa.Boolean(), server_default=sa.false(), nullable=False)
        )


def downgrade() -> None:
    with op.batch_alter_table('inbound_updates', schema=None) as batch_op:
        batch_op.drop_column('tap')
        batch_op.drop_column('written_at')
