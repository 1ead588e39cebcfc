"""conversations: conversations, messages (streams), presence; agents become a stream (seq,
role, status, capacity, last seen, round robin); shops get the relay key and the overdue
threshold

Existing agents get their seq here, each a new number of their shop (the shop's seq moves
past them), so a client's first load of `agents` (a snapshot) counts and brings every one.

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-01

"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision: str = '0003'
down_revision: Union[str, Sequence[str], None] = '0002'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    """Upgrade schema."""
    op.create_table('conversations',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('shop_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('seq', sa.BigInteger(), nullable=False),
    sa.Column('buyer_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('buyer_nick', sa.String(length=64), nullable=False),
    sa.Column('status', sa.String(length=8), nullable=False),
    sa.Column('assigned_agent_no', sa.String(length=16), nullable=True),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('waiting_since', sa.DateTime(), nullable=True),
    sa.Column('last_message_id', sa.BigInteger(), nullable=True),
    sa.Column('last_message_at', sa.DateTime(), nullable=True),
    sa.Column('last_message_sender', sa.String(length=8), nullable=True),
    sa.Column('last_message_preview', sa.String(length=60), nullable=False),
    sa.Column('unread', sa.Integer(), nullable=False),
    sa.Column('read_upto_message_id', sa.BigInteger(), nullable=False),
    sa.Column('product_id', sa.BigInteger(), nullable=True),
    sa.Column('transfer_note', sa.String(length=200), nullable=True),
    sa.Column('transferred_by', sa.String(length=16), nullable=True),
    sa.Column('closed_at', sa.DateTime(), nullable=True),
    sa.CheckConstraint("last_message_sender IN ('buyer', 'agent', 'auto', 'system')", name=op.f('ck_conversations_last_message_sender')),
    sa.CheckConstraint("status IN ('open', 'closed')", name=op.f('ck_conversations_status')),
    sa.CheckConstraint('version >= 1', name=op.f('ck_conversations_version')),
    sa.ForeignKeyConstraint(['buyer_id'], ['buyers.id'], name=op.f('fk_conversations_buyer_id_buyers'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['shop_id'], ['shops.id'], name=op.f('fk_conversations_shop_id_shops'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_conversations'))
    )
    with op.batch_alter_table('conversations', schema=None) as batch_op:
        batch_op.create_index('ix_conversations_assignment', ['shop_id', 'status', 'assigned_agent_no', 'waiting_since'], unique=False)
        batch_op.create_index('ix_conversations_shop_buyer', ['shop_id', 'buyer_id'], unique=False)
        batch_op.create_index('ix_conversations_shop_id_desc', ['shop_id', 'id'], unique=False)
        batch_op.create_index('uq_conversations_open_buyer', ['shop_id', 'buyer_id'], unique=True, sqlite_where=sa.text("status = 'open'"), postgresql_where=sa.text("status = 'open'"))
        batch_op.create_index('uq_conversations_shop_seq', ['shop_id', 'seq'], unique=True)

    op.create_table('messages',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('shop_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('seq', sa.BigInteger(), nullable=False),
    sa.Column('conversation_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('sender', sa.String(length=8), nullable=False),
    sa.Column('agent_no', sa.String(length=16), nullable=True),
    sa.Column('text', sa.Text(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('client_id', sa.String(length=36), nullable=True),
    sa.CheckConstraint("sender IN ('buyer', 'agent', 'auto', 'system')", name=op.f('ck_messages_sender')),
    sa.ForeignKeyConstraint(['conversation_id'], ['conversations.id'], name=op.f('fk_messages_conversation_id_conversations'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['shop_id'], ['shops.id'], name=op.f('fk_messages_shop_id_shops'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_messages'))
    )
    with op.batch_alter_table('messages', schema=None) as batch_op:
        batch_op.create_index('ix_messages_conversation_id', ['conversation_id', 'id'], unique=False)
        batch_op.create_index('ix_messages_shop_id_desc', ['shop_id', 'id'], unique=False)
        batch_op.create_index('uq_messages_shop_client_id', ['shop_id', 'client_id'], unique=True)
        batch_op.create_index('uq_messages_shop_seq', ['shop_id', 'seq'], unique=True)

    op.create_table('presence',
    sa.Column('conversation_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('agent_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('state', sa.String(length=8), nullable=False),
    sa.Column('since', sa.DateTime(), nullable=False),
    sa.Column('until', sa.DateTime(), nullable=False),
    sa.CheckConstraint("state IN ('viewing', 'typing')", name=op.f('ck_presence_state')),
    sa.ForeignKeyConstraint(['agent_id'], ['agents.id'], name=op.f('fk_presence_agent_id_agents'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['conversation_id'], ['conversations.id'], name=op.f('fk_presence_conversation_id_conversations'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('conversation_id', 'agent_id', name=op.f('pk_presence'))
    )
    with op.batch_alter_table('presence', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_presence_until'), ['until'], unique=False)

    with op.batch_alter_table('agents', schema=None) as batch_op:
        batch_op.add_column(sa.Column('seq', sa.BigInteger(), nullable=True))
        batch_op.add_column(sa.Column('role', sa.String(length=8), server_default='agent', nullable=False))
        batch_op.add_column(sa.Column('status', sa.String(length=10), server_default='receiving', nullable=False))
        batch_op.add_column(sa.Column('capacity', sa.Integer(), server_default='5', nullable=False))
        batch_op.add_column(sa.Column('last_seen_at', sa.DateTime(), nullable=True))
        batch_op.add_column(sa.Column('last_assigned_seq', sa.BigInteger(), server_default='0', nullable=False))
    _number_existing_agents()
    with op.batch_alter_table('agents', schema=None) as batch_op:
        batch_op.alter_column('seq', existing_type=sa.BigInteger(), nullable=False)
        batch_op.create_check_constraint(op.f('ck_agents_role'), "role IN ('agent', 'manager')")
        batch_op.create_check_constraint(op.f('ck_agents_status'), "status IN ('receiving', 'paused', 'offline')")
        batch_op.create_check_constraint(op.f('ck_agents_capacity'), "capacity >= 0")
        batch_op.create_index('ix_agents_shop_id_desc', ['shop_id', 'id'], unique=False)
        batch_op.create_index('uq_agents_shop_seq', ['shop_id', 'seq'], unique=True)

    with op.batch_alter_table('shops', schema=None) as batch_op:
        batch_op.add_column(sa.Column('relay_key_sha256', sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column('overdue_after_s', sa.Integer(), server_default='100', nullable=False))
        batch_op.create_index('uq_shops_relay_key_sha256', ['relay_key_sha256'], unique=True)



def _number_existing_agents() -> None:
    """Each existing agent gets the next number of its shop, in id order (as ops.reserve_seq
    would hand them out: the shop's seq moves past them)."""
    conn = op.get_bind()
    shops = sa.table('shops', sa.column('id'), sa.column('seq'))
    agents = sa.table('agents', sa.column('id'), sa.column('shop_id'), sa.column('seq'))
    for shop_id, seq in conn.execute(sa.select(shops.c.id, shops.c.seq).order_by(shops.c.id)).all():
        ids = conn.execute(sa.select(agents.c.id).where(agents.c.shop_id == shop_id)
                           .order_by(agents.c.id)).scalars().all()
        for i, agent_id in enumerate(ids, 1):
            conn.execute(sa.update(agents).where(agents.c.id == agent_id).values(seq=seq + i))
        if ids:
            conn.execute(sa.update(shops).where(shops.c.id == shop_id).values(seq=seq + len(ids)))


def downgrade() -> None:
    """Downgrade schema."""
    with op.batch_alter_table('shops', schema=None) as batch_op:
        batch_op.drop_index('uq_shops_relay_key_sha256')
        batch_op.drop_column('overdue_after_s')
        batch_op.drop_column('relay_key_sha256')

    with op.batch_alter_table('agents', schema=None) as batch_op:
        batch_op.drop_index('uq_agents_shop_seq')
        batch_op.drop_index('ix_agents_shop_id_desc')
        batch_op.drop_constraint(op.f('ck_agents_capacity'), type_='check')
        batch_op.drop_constraint(op.f('ck_agents_status'), type_='check')
        batch_op.drop_constraint(op.f('ck_agents_role'), type_='check')
        batch_op.drop_column('last_assigned_seq')
        batch_op.drop_column('last_seen_at')
        batch_op.drop_column('capacity')
        batch_op.drop_column('status')
        batch_op.drop_column('role')
        batch_op.drop_column('seq')

    with op.batch_alter_table('presence', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_presence_until'))

    op.drop_table('presence')
    with op.batch_alter_table('messages', schema=None) as batch_op:
        batch_op.drop_index('uq_messages_shop_seq')
        batch_op.drop_index('uq_messages_shop_client_id')
        batch_op.drop_index('ix_messages_shop_id_desc')
        batch_op.drop_index('ix_messages_conversation_id')

    op.drop_table('messages')
    with op.batch_alter_table('conversations', schema=None) as batch_op:
        batch_op.drop_index('uq_conversations_shop_seq')
        batch_op.drop_index('uq_conversations_open_buyer', sqlite_where=sa.text("status = 'open'"), postgresql_where=sa.text("status = 'open'"))
        batch_op.drop_index('ix_conversations_shop_id_desc')
        batch_op.drop_index('ix_conversations_shop_buyer')
        batch_op.drop_index('ix_conversations_assignment')

    op.drop_table('conversations')
