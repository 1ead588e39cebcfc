"""answering fast: shop_settings, phrases, buyer_notes (streams) and auto_replies (one auto-reply
per buyer per China-time day)

Every existing shop gets its settings row here (auto-reply off, cut-off 16:00), numbered
with the next seq of its shop (the shop's seq moves past it), so a client's first load of
`shop_settings` brings it.

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-01

"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision: str = '0004'
down_revision: Union[str, Sequence[str], None] = '0003'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    """Upgrade schema."""
    op.create_table('phrases',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('shop_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('seq', sa.BigInteger(), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('owner_agent_no', sa.String(length=16), nullable=True),
    sa.Column('category', sa.String(length=16), nullable=False),
    sa.Column('title', sa.String(length=40), nullable=False),
    sa.Column('shortcut', sa.String(length=20), nullable=False),
    sa.Column('text', sa.Text(), nullable=False),
    sa.Column('updated_by', sa.String(length=16), nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.CheckConstraint("category IN ('bargain', 'ship_faster', 'arrival', 'logistics', 'greeting', 'farewell', 'after_sales', 'other')", name=op.f('ck_phrases_category')),
    sa.CheckConstraint('version >= 1', name=op.f('ck_phrases_version')),
    sa.ForeignKeyConstraint(['shop_id'], ['shops.id'], name=op.f('fk_phrases_shop_id_shops'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_phrases'))
    )
    with op.batch_alter_table('phrases', schema=None) as batch_op:
        batch_op.create_index('ix_phrases_shop_id_desc', ['shop_id', 'id'], unique=False)
        batch_op.create_index('ix_phrases_shop_owner', ['shop_id', 'owner_agent_no'], unique=False)
        batch_op.create_index('uq_phrases_shop_seq', ['shop_id', 'seq'], unique=True)

    op.create_table('shop_settings',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=False, nullable=False),
    sa.Column('shop_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('seq', sa.BigInteger(), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('shop_name', sa.String(length=100), nullable=False),
    sa.Column('auto_reply_enabled', sa.Boolean(), nullable=False),
    sa.Column('auto_reply_text', sa.Text(), nullable=False),
    sa.Column('cutoff_time', sa.String(length=5), nullable=False),
    sa.Column('updated_by', sa.String(length=16), nullable=True),
    sa.Column('updated_at', sa.DateTime(), nullable=True),
    sa.CheckConstraint('id = shop_id', name=op.f('ck_shop_settings_id')),
    sa.CheckConstraint('version >= 1', name=op.f('ck_shop_settings_version')),
    sa.ForeignKeyConstraint(['shop_id'], ['shops.id'], name=op.f('fk_shop_settings_shop_id_shops'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_shop_settings'))
    )
    with op.batch_alter_table('shop_settings', schema=None) as batch_op:
        batch_op.create_index('ix_shop_settings_shop_id_desc', ['shop_id', 'id'], unique=False)
        batch_op.create_index('uq_shop_settings_shop_seq', ['shop_id', 'seq'], unique=True)

    op.create_table('auto_replies',
    sa.Column('shop_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('buyer_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('day', sa.Date(), nullable=False),
    sa.Column('message_id', sa.BigInteger(), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['buyer_id'], ['buyers.id'], name=op.f('fk_auto_replies_buyer_id_buyers'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['shop_id'], ['shops.id'], name=op.f('fk_auto_replies_shop_id_shops'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('shop_id', 'buyer_id', 'day', name=op.f('pk_auto_replies'))
    )
    op.create_table('buyer_notes',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('shop_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('seq', sa.BigInteger(), nullable=False),
    sa.Column('buyer_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('text', sa.Text(), nullable=False),
    sa.Column('agent_no', sa.String(length=16), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('client_id', sa.String(length=36), nullable=True),
    sa.ForeignKeyConstraint(['buyer_id'], ['buyers.id'], name=op.f('fk_buyer_notes_buyer_id_buyers'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['shop_id'], ['shops.id'], name=op.f('fk_buyer_notes_shop_id_shops'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_buyer_notes'))
    )
    with op.batch_alter_table('buyer_notes', schema=None) as batch_op:
        batch_op.create_index('ix_buyer_notes_shop_buyer', ['shop_id', 'buyer_id', 'id'], unique=False)
        batch_op.create_index('ix_buyer_notes_shop_id_desc', ['shop_id', 'id'], unique=False)
        batch_op.create_index('uq_buyer_notes_shop_client_id', ['shop_id', 'client_id'], unique=True)
        batch_op.create_index('uq_buyer_notes_shop_seq', ['shop_id', 'seq'], unique=True)

    _settings_for_existing_shops()


def _settings_for_existing_shops() -> None:
    """One settings row per shop, each the next number of its shop (as ops.reserve_seq would
    hand it out)."""
    conn = op.get_bind()
    shops = sa.table('shops', sa.column('id'), sa.column('seq'), sa.column('name'))
    settings = sa.table('shop_settings', sa.column('id'), sa.column('shop_id'), sa.column('seq'),
                        sa.column('version'), sa.column('shop_name'), sa.column('auto_reply_enabled'),
                        sa.column('auto_reply_text'), sa.column('cutoff_time'))
    for shop_id, seq, name in conn.execute(sa.select(shops.c.id, shops.c.seq, shops.c.name)
                                           .order_by(shops.c.id)).all():
        conn.execute(sa.insert(settings).values(
            id=shop_id, shop_id=shop_id, seq=seq + 1, version=1, shop_name=name,
            auto_reply_enabled=False, auto_reply_text='', cutoff_time='16:00'))
        conn.execute(sa.update(shops).where(shops.c.id == shop_id).values(seq=seq + 1))


def downgrade() -> None:
    """Downgrade schema."""
    with op.batch_alter_table('buyer_notes', schema=None) as batch_op:
        batch_op.drop_index('uq_buyer_notes_shop_seq')
        batch_op.drop_index('uq_buyer_notes_shop_client_id')
        batch_op.drop_index('ix_buyer_notes_shop_id_desc')
        batch_op.drop_index('ix_buyer_notes_shop_buyer')

    op.drop_table('buyer_notes')
    op.drop_table('auto_replies')
    with op.batch_alter_table('shop_settings', schema=None) as batch_op:
        batch_op.drop_index('uq_shop_settings_shop_seq')
        batch_op.drop_index('ix_shop_settings_shop_id_desc')

    op.drop_table('shop_settings')
    with op.batch_alter_table('phrases', schema=None) as batch_op:
        batch_op.drop_index('uq_phrases_shop_seq')
        batch_op.drop_index('ix_phrases_shop_owner')
        batch_op.drop_index('ix_phrases_shop_id_desc')

    op.drop_table('phrases')
