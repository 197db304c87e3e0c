"""whole domain

Revision ID: 0001
Revises: 
Create Date: 2026-11-22 08:21:58.153790
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0001'
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('contacts',
    sa.Column('key', sa.String(length=32), nullable=False),
    sa.Column('value', sa.String(length=64), nullable=False),
    sa.PrimaryKeyConstraint('key', name=op.f('pk_contacts'))
    )
    op.create_table('inbound_updates',
    sa.Column('update_id', sa.BigInteger(), autoincrement=False, nullable=False),
    sa.Column('telegram_user_id', sa.BigInteger(), nullable=False),
    sa.Column('chat_id', sa.BigInteger(), nullable=False),
    sa.Column('text', sa.Text(), nullable=False),
    sa.Column('language', sa.String(length=2), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('received_at', sa.DateTime(), nullable=False),
    sa.Column('done_at', sa.DateTime(), nullable=True),
    sa.PrimaryKeyConstraint('update_id', name=op.f('pk_inbound_updates'))
    )
    with op.batch_alter_table('inbound_updates', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_inbound_updates_status'), ['status'], unique=False)
        batch_op.create_index(batch_op.f('ix_inbound_updates_telegram_user_id'), ['telegram_user_id'], unique=False)

    op.create_table('managers',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('code', sa.String(length=16), nullable=False),
    sa.Column('name', sa.String(length=64), nullable=False),
    sa.Column('display_zh', sa.String(length=64), nullable=False),
    sa.Column('display_en', sa.String(length=64), nullable=False),
    sa.Column('phone', sa.String(length=20), nullable=False),
    sa.Column('language', sa.String(length=2), nullable=False),
    sa.Column('territory', sa.String(length=128), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_managers')),
    sa.UniqueConstraint('code', name=op.f('uq_managers_code')),
    sa.UniqueConstraint('phone', name=op.f('uq_managers_phone'))
    )
    op.create_table('policies',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('key', sa.String(length=64), nullable=False),
    sa.Column('topic', sa.String(length=32), nullable=False),
    sa.Column('title_zh', sa.String(length=128), nullable=False),
    sa.Column('title_en', sa.String(length=128), nullable=False),
    sa.Column('text_zh', sa.Text(), nullable=False),
    sa.Column('text_en', sa.Text(), nullable=False),
    sa.Column('keywords_zh', sa.JSON(), nullable=False),
    sa.Column('keywords_en', sa.JSON(), nullable=False),
    sa.Column('effective_from', sa.Date(), nullable=False),
    sa.Column('effective_to', sa.Date(), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_policies')),
    sa.UniqueConstraint('key', name=op.f('uq_policies_key'))
    )
    with op.batch_alter_table('policies', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_policies_topic'), ['topic'], unique=False)

    op.create_table('products',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('code', sa.String(length=16), nullable=False),
    sa.Column('brand', sa.String(length=32), nullable=False),
    sa.Column('brand_en', sa.String(length=64), nullable=False),
    sa.Column('spec', sa.String(length=64), nullable=False),
    sa.Column('name_en', sa.String(length=128), nullable=False),
    sa.Column('pack_type', sa.String(length=8), nullable=False),
    sa.Column('wholesale_per_carton', sa.Numeric(precision=12, scale=2), nullable=False),
    sa.Column('retail_per_pack', sa.Numeric(precision=12, scale=2), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('replacement_id', sa.Integer(), nullable=True),
    sa.Column('is_brand_default', sa.Boolean(), nullable=False),
    sa.Column('price_tier', sa.String(length=8), nullable=False),
    sa.Column('stock_cartons', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['replacement_id'], ['products.id'], name=op.f('fk_products_replacement_id_products')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_products')),
    sa.UniqueConstraint('code', name=op.f('uq_products_code')),
    sa.UniqueConstraint('spec', name=op.f('uq_products_spec'))
    )
    with op.batch_alter_table('products', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_products_brand'), ['brand'], unique=False)

    op.create_table('product_aliases',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('product_id', sa.Integer(), nullable=False),
    sa.Column('alias', sa.String(length=64), nullable=False),
    sa.ForeignKeyConstraint(['product_id'], ['products.id'], name=op.f('fk_product_aliases_product_id_products')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_product_aliases')),
    sa.UniqueConstraint('alias', name=op.f('uq_product_aliases_alias'))
    )
    with op.batch_alter_table('product_aliases', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_product_aliases_product_id'), ['product_id'], unique=False)

    op.create_table('retailers',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('code', sa.String(length=16), nullable=False),
    sa.Column('name', sa.String(length=64), nullable=False),
    sa.Column('name_en', sa.String(length=128), nullable=False),
    sa.Column('owner', sa.String(length=64), nullable=False),
    sa.Column('licence_no', sa.String(length=32), nullable=False),
    sa.Column('phone', sa.String(length=20), nullable=False),
    sa.Column('address', sa.String(length=256), nullable=False),
    sa.Column('star_level', sa.Integer(), nullable=False),
    sa.Column('manager_id', sa.Integer(), nullable=False),
    sa.Column('segment', sa.String(length=16), nullable=False),
    sa.Column('key_shop', sa.Boolean(), nullable=False),
    sa.Column('order_weekday', sa.Integer(), nullable=False),
    sa.Column('window_open', sa.Time(), nullable=False),
    sa.Column('window_close', sa.Time(), nullable=False),
    sa.Column('deduction_time', sa.Time(), nullable=False),
    sa.Column('language', sa.String(length=2), nullable=False),
    sa.ForeignKeyConstraint(['manager_id'], ['managers.id'], name=op.f('fk_retailers_manager_id_managers')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_retailers')),
    sa.UniqueConstraint('code', name=op.f('uq_retailers_code')),
    sa.UniqueConstraint('licence_no', name=op.f('uq_retailers_licence_no')),
    sa.UniqueConstraint('phone', name=op.f('uq_retailers_phone'))
    )
    with op.batch_alter_table('retailers', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_retailers_manager_id'), ['manager_id'], unique=False)

    op.create_table('star_quotas',
    sa.Column('product_id', sa.Integer(), nullable=False),
    sa.Column('star_level', sa.Integer(), nullable=False),
    sa.Column('max_cartons', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['product_id'], ['products.id'], name=op.f('fk_star_quotas_product_id_products')),
    sa.PrimaryKeyConstraint('product_id', 'star_level', name=op.f('pk_star_quotas'))
    )
    op.create_table('manager_requests',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('retailer_id', sa.Integer(), nullable=False),
    sa.Column('manager_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('text', sa.Text(), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('answer', sa.Text(), nullable=False),
    sa.Column('answered_at', sa.DateTime(), nullable=True),
    sa.ForeignKeyConstraint(['manager_id'], ['managers.id'], name=op.f('fk_manager_requests_manager_id_managers')),
    sa.ForeignKeyConstraint(['retailer_id'], ['retailers.id'], name=op.f('fk_manager_requests_retailer_id_retailers')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_manager_requests'))
    )
    with op.batch_alter_table('manager_requests', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_manager_requests_manager_id'), ['manager_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_manager_requests_retailer_id'), ['retailer_id'], unique=False)

    op.create_table('orders',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('retailer_id', sa.Integer(), nullable=False),
    sa.Column('cycle', sa.String(length=16), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('opens_at', sa.DateTime(), nullable=False),
    sa.Column('closes_at', sa.DateTime(), nullable=False),
    sa.Column('deduct_at', sa.DateTime(), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['retailer_id'], ['retailers.id'], name=op.f('fk_orders_retailer_id_retailers')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_orders')),
    sa.UniqueConstraint('retailer_id', 'cycle', name=op.f('uq_orders_retailer_id'))
    )
    with op.batch_alter_table('orders', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_orders_retailer_id'), ['retailer_id'], unique=False)

    op.create_table('outbox',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('dedupe_key', sa.String(length=160), nullable=False),
    sa.Column('kind', sa.String(length=32), nullable=False),
    sa.Column('retailer_id', sa.Integer(), nullable=True),
    sa.Column('chat_id', sa.BigInteger(), nullable=False),
    sa.Column('language', sa.String(length=2), nullable=False),
    sa.Column('text', sa.Text(), nullable=False),
    sa.Column('buttons', sa.JSON(), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('not_before', sa.DateTime(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('claimed_at', sa.DateTime(), nullable=True),
    sa.Column('sent_at', sa.DateTime(), nullable=True),
    sa.Column('telegram_message_id', sa.BigInteger(), nullable=True),
    sa.Column('last_error', sa.String(length=256), nullable=False),
    sa.ForeignKeyConstraint(['retailer_id'], ['retailers.id'], name=op.f('fk_outbox_retailer_id_retailers')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_outbox')),
    sa.UniqueConstraint('dedupe_key', name=op.f('uq_outbox_dedupe_key'))
    )
    with op.batch_alter_table('outbox', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_outbox_not_before'), ['not_before'], unique=False)
        batch_op.create_index(batch_op.f('ix_outbox_retailer_id'), ['retailer_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_outbox_status'), ['status'], unique=False)

    op.create_table('reminder_preferences',
    sa.Column('retailer_id', sa.Integer(), nullable=False),
    sa.Column('preferred_time', sa.Time(), nullable=True),
    sa.Column('preferred_weekdays', sa.JSON(), nullable=False),
    sa.Column('paused_until', sa.DateTime(), nullable=True),
    sa.Column('opted_out', sa.Boolean(), nullable=False),
    sa.Column('daily_cap', sa.Integer(), nullable=False),
    sa.Column('quiet_start', sa.Time(), nullable=False),
    sa.Column('quiet_end', sa.Time(), nullable=False),
    sa.ForeignKeyConstraint(['retailer_id'], ['retailers.id'], name=op.f('fk_reminder_preferences_retailer_id_retailers')),
    sa.PrimaryKeyConstraint('retailer_id', name=op.f('pk_reminder_preferences'))
    )
    op.create_table('settlement_accounts',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('retailer_id', sa.Integer(), nullable=False),
    sa.Column('bank', sa.String(length=64), nullable=False),
    sa.Column('account_masked', sa.String(length=32), nullable=False),
    sa.ForeignKeyConstraint(['retailer_id'], ['retailers.id'], name=op.f('fk_settlement_accounts_retailer_id_retailers')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_settlement_accounts')),
    sa.UniqueConstraint('retailer_id', name=op.f('uq_settlement_accounts_retailer_id'))
    )
    op.create_table('users',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('role', sa.String(length=16), nullable=False),
    sa.Column('retailer_id', sa.Integer(), nullable=True),
    sa.Column('manager_id', sa.Integer(), nullable=True),
    sa.Column('phone', sa.String(length=20), nullable=False),
    sa.Column('telegram_user_id', sa.BigInteger(), nullable=True),
    sa.Column('bound_at', sa.DateTime(), nullable=True),
    sa.Column('language', sa.String(length=2), nullable=False),
    sa.Column('language_pinned', sa.Boolean(), nullable=False),
    sa.ForeignKeyConstraint(['manager_id'], ['managers.id'], name=op.f('fk_users_manager_id_managers')),
    sa.ForeignKeyConstraint(['retailer_id'], ['retailers.id'], name=op.f('fk_users_retailer_id_retailers')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_users')),
    sa.UniqueConstraint('telegram_user_id', name=op.f('uq_users_telegram_user_id'))
    )
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_users_manager_id'), ['manager_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_users_phone'), ['phone'], unique=False)
        batch_op.create_index(batch_op.f('ix_users_retailer_id'), ['retailer_id'], unique=False)

    op.create_table('visit_notes',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('manager_id', sa.Integer(), nullable=False),
    sa.Column('retailer_id', sa.Integer(), nullable=False),
    sa.Column('visited_at', sa.DateTime(), nullable=False),
    sa.Column('recorded_at', sa.DateTime(), nullable=False),
    sa.Column('raw_text', sa.Text(), nullable=False),
    sa.Column('source', sa.String(length=8), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('price_tags', sa.Integer(), nullable=False),
    sa.Column('display_checked', sa.Boolean(), nullable=False),
    sa.Column('deposit_reminded', sa.Boolean(), nullable=False),
    sa.Column('details', sa.JSON(), nullable=False),
    sa.Column('amends_id', sa.Integer(), nullable=True),
    sa.Column('confirmed_at', sa.DateTime(), nullable=True),
    sa.ForeignKeyConstraint(['amends_id'], ['visit_notes.id'], name=op.f('fk_visit_notes_amends_id_visit_notes')),
    sa.ForeignKeyConstraint(['manager_id'], ['managers.id'], name=op.f('fk_visit_notes_manager_id_managers')),
    sa.ForeignKeyConstraint(['retailer_id'], ['retailers.id'], name=op.f('fk_visit_notes_retailer_id_retailers')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_visit_notes'))
    )
    with op.batch_alter_table('visit_notes', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_visit_notes_manager_id'), ['manager_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_visit_notes_retailer_id'), ['retailer_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_visit_notes_visited_at'), ['visited_at'], unique=False)

    op.create_table('balance_snapshots',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('account_id', sa.Integer(), nullable=False),
    sa.Column('balance', sa.Numeric(precision=12, scale=2), nullable=False),
    sa.Column('reported_at', sa.DateTime(), nullable=False),
    sa.Column('received_at', sa.DateTime(), nullable=False),
    sa.Column('feed', sa.String(length=32), nullable=False),
    sa.Column('snapshot_key', sa.String(length=128), nullable=False),
    sa.ForeignKeyConstraint(['account_id'], ['settlement_accounts.id'], name=op.f('fk_balance_snapshots_account_id_settlement_accounts')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_balance_snapshots')),
    sa.UniqueConstraint('snapshot_key', name=op.f('uq_balance_snapshots_snapshot_key'))
    )
    with op.batch_alter_table('balance_snapshots', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_balance_snapshots_account_id'), ['account_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_balance_snapshots_reported_at'), ['reported_at'], unique=False)

    op.create_table('binding_codes',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('code', sa.String(length=32), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('expires_at', sa.DateTime(), nullable=False),
    sa.Column('used_at', sa.DateTime(), nullable=True),
    sa.Column('used_by_telegram_id', sa.BigInteger(), nullable=True),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_binding_codes_user_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_binding_codes')),
    sa.UniqueConstraint('code', name=op.f('uq_binding_codes_code'))
    )
    with op.batch_alter_table('binding_codes', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_binding_codes_user_id'), ['user_id'], unique=False)

    op.create_table('deposit_claims',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('retailer_id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('amount', sa.Numeric(precision=12, scale=2), nullable=True),
    sa.Column('claimed_at', sa.DateTime(), nullable=False),
    sa.Column('message', sa.String(length=512), nullable=False),
    sa.ForeignKeyConstraint(['retailer_id'], ['retailers.id'], name=op.f('fk_deposit_claims_retailer_id_retailers')),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_deposit_claims_user_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_deposit_claims'))
    )
    with op.batch_alter_table('deposit_claims', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_deposit_claims_retailer_id'), ['retailer_id'], unique=False)

    op.create_table('follow_ups',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('note_id', sa.Integer(), nullable=False),
    sa.Column('retailer_id', sa.Integer(), nullable=False),
    sa.Column('due_on', sa.Date(), nullable=False),
    sa.Column('text', sa.String(length=512), nullable=False),
    sa.Column('done_at', sa.DateTime(), nullable=True),
    sa.ForeignKeyConstraint(['note_id'], ['visit_notes.id'], name=op.f('fk_follow_ups_note_id_visit_notes')),
    sa.ForeignKeyConstraint(['retailer_id'], ['retailers.id'], name=op.f('fk_follow_ups_retailer_id_retailers')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_follow_ups'))
    )
    with op.batch_alter_table('follow_ups', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_follow_ups_note_id'), ['note_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_follow_ups_retailer_id'), ['retailer_id'], unique=False)

    op.create_table('order_audit',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('order_id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=True),
    sa.Column('at', sa.DateTime(), nullable=False),
    sa.Column('action', sa.String(length=16), nullable=False),
    sa.Column('product_id', sa.Integer(), nullable=True),
    sa.Column('old_quantity', sa.Integer(), nullable=True),
    sa.Column('new_quantity', sa.Integer(), nullable=True),
    sa.Column('source_message', sa.String(length=64), nullable=False),
    sa.Column('detail', sa.JSON(), nullable=False),
    sa.ForeignKeyConstraint(['order_id'], ['orders.id'], name=op.f('fk_order_audit_order_id_orders')),
    sa.ForeignKeyConstraint(['product_id'], ['products.id'], name=op.f('fk_order_audit_product_id_products')),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_order_audit_user_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_order_audit'))
    )
    with op.batch_alter_table('order_audit', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_order_audit_order_id'), ['order_id'], unique=False)

    op.create_table('order_lines',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('order_id', sa.Integer(), nullable=False),
    sa.Column('product_id', sa.Integer(), nullable=False),
    sa.Column('quantity', sa.Integer(), nullable=False),
    sa.Column('unit_price', sa.Numeric(precision=12, scale=2), nullable=False),
    sa.ForeignKeyConstraint(['order_id'], ['orders.id'], name=op.f('fk_order_lines_order_id_orders')),
    sa.ForeignKeyConstraint(['product_id'], ['products.id'], name=op.f('fk_order_lines_product_id_products')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_order_lines')),
    sa.UniqueConstraint('order_id', 'product_id', name=op.f('uq_order_lines_order_id'))
    )
    with op.batch_alter_table('order_lines', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_order_lines_order_id'), ['order_id'], unique=False)

    op.create_table('visit_findings',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('note_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=24), nullable=False),
    sa.Column('product_id', sa.Integer(), nullable=True),
    sa.Column('cartons', sa.Integer(), nullable=True),
    sa.Column('text', sa.String(length=512), nullable=False),
    sa.ForeignKeyConstraint(['note_id'], ['visit_notes.id'], name=op.f('fk_visit_findings_note_id_visit_notes')),
    sa.ForeignKeyConstraint(['product_id'], ['products.id'], name=op.f('fk_visit_findings_product_id_products')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_visit_findings'))
    )
    with op.batch_alter_table('visit_findings', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_visit_findings_note_id'), ['note_id'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('visit_findings', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_visit_findings_note_id'))

    op.drop_table('visit_findings')
    with op.batch_alter_table('order_lines', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_order_lines_order_id'))

    op.drop_table('order_lines')
    with op.batch_alter_table('order_audit', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_order_audit_order_id'))

    op.drop_table('order_audit')
    with op.batch_alter_table('follow_ups', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_follow_ups_retailer_id'))
        batch_op.drop_index(batch_op.f('ix_follow_ups_note_id'))

    op.drop_table('follow_ups')
    with op.batch_alter_table('deposit_claims', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_deposit_claims_retailer_id'))

    op.drop_table('deposit_claims')
    with op.batch_alter_table('binding_codes', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_binding_codes_user_id'))

    op.drop_table('binding_codes')
    with op.batch_alter_table('balance_snapshots', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_balance_snapshots_reported_at'))
        batch_op.drop_index(batch_op.f('ix_balance_snapshots_account_id'))

    op.drop_table('balance_snapshots')
    with op.batch_alter_table('visit_notes', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_visit_notes_visited_at'))
        batch_op.drop_index(batch_op.f('ix_visit_notes_retailer_id'))
        batch_op.drop_index(batch_op.f('ix_visit_notes_manager_id'))

    op.drop_table('visit_notes')
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_users_retailer_id'))
        batch_op.drop_index(batch_op.f('ix_users_phone'))
        batch_op.drop_index(batch_op.f('ix_users_manager_id'))

    op.drop_table('users')
    op.drop_table('settlement_accounts')
    op.drop_table('reminder_preferences')
    with op.batch_alter_table('outbox', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_outbox_status'))
        batch_op.drop_index(batch_op.f('ix_outbox_retailer_id'))
        batch_op.drop_index(batch_op.f('ix_outbox_not_before'))

    op.drop_table('outbox')
    with op.batch_alter_table('orders', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_orders_retailer_id'))

    op.drop_table('orders')
    with op.batch_alter_table('manager_requests', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_manager_requests_retailer_id'))
        batch_op.drop_index(batch_op.f('ix_manager_requests_manager_id'))

    op.drop_table('manager_requests')
    op.drop_table('star_quotas')
    with op.batch_alter_table('retailers', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_retailers_manager_id'))

    op.drop_table('retailers')
    with op.batch_alter_table('product_aliases', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_product_aliases_product_id'))

    op.drop_table('product_aliases')
    with op.batch_alter_table('products', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_products_brand'))

    op.drop_table('products')
    with op.batch_alter_table('policies', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_policies_topic'))

    op.drop_table('policies')
    op.drop_table('managers')
    with op.batch_alter_table('inbound_updates', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_inbound_updates_telegram_user_id'))
        batch_op.drop_index(batch_op.f('ix_inbound_updates_status'))

    op.drop_table('inbound_updates')
    op.drop_table('contacts')
