"""Conversations: the buyer chat streams.

Revision ID: 0006_conversations
Revises: 0005_search_indexes
Create Date: 2026-12-01

- `conversations`, `messages`, `agents`: the three new streams of docs/PROTOCOL.md
  "Conversations (buyer chat)", one column per wire field. Their sync state rows appear on
  the first pull after the upgrade (a fresh stream starts with a snapshot), so an upgraded
  cache gets the queue on its next sync while its other cursors carry on where they were.
- Indexes: the queue (`status`, `waiting_since`), "mine" (`assigned_agent_no`, `status`), a
  buyer's conversations, a history in order (`conversation_id`, `id`), and a queued reply's
  message by its `client_id` (= the reply's mutation id).
Rows, cursors and the outbox are untouched.
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006_conversations"
down_revision = "0005_search_indexes"
branch_labels = None
depends_on = None


def _id_seq() -> list[sa.Column]:
    return [sa.Column("id", sa.Integer, primary_key=True), sa.Column("seq", sa.Integer, nullable=False)]


def upgrade() -> None:
    op.create_table(
        "conversations", *_id_seq(),
        sa.Column("buyer_id", sa.Integer, nullable=False),
        sa.Column("buyer_nick", sa.Text, nullable=False),
        sa.Column("status", sa.Text, nullable=False),
        sa.Column("assigned_agent_no", sa.Text, nullable=True),
        sa.Column("version", sa.Integer, nullable=False),
        sa.Column("created_at", sa.Text, nullable=False),
        sa.Column("waiting_since", sa.Text, nullable=True),
        sa.Column("last_message_id", sa.Integer, nullable=True),
        sa.Column("last_message_at", sa.Text, nullable=True),
        sa.Column("last_message_sender", sa.Text, nullable=True),
        sa.Column("last_message_preview", sa.Text, nullable=False),
        sa.Column("unread", sa.Integer, nullable=False),
        sa.Column("read_upto_message_id", sa.Integer, nullable=False),
        sa.Column("product_id", sa.Integer, nullable=True),
        sa.Column("transfer_note", sa.Text, nullable=True),
        sa.Column("transferred_by", sa.Text, nullable=True),
        sa.Column("closed_at", sa.Text, nullable=True),
    )
    op.create_index("ix_conversations_queue", "conversations", ["status", "waiting_since"])
    op.create_index("ix_conversations_assigned", "conversations", ["assigned_agent_no", "status"])
    op.create_index("ix_conversations_buyer", "conversations", ["buyer_id"])
    op.create_table(
        "messages", *_id_seq(),
        sa.Column("conversation_id", sa.Integer, nullable=False),
        sa.Column("sender", sa.Text, nullable=False),
        sa.Column("agent_no", sa.Text, nullable=True),
        sa.Column("text", sa.Text, nullable=False),
        sa.Column("created_at", sa.Text, nullable=False),
        sa.Column("client_id", sa.Text, nullable=True),
    )
    op.create_index("ix_messages_conversation", "messages", ["conversation_id", "id"])
    op.create_index("ix_messages_client_id", "messages", ["client_id"])
    op.create_table(
        "agents", *_id_seq(),
        sa.Column("agent_no", sa.Text, nullable=False),
        sa.Column("display_name", sa.Text, nullable=False),
        sa.Column("role", sa.Text, nullable=False),
        sa.Column("status", sa.Text, nullable=False),
        sa.Column("capacity", sa.Integer, nullable=False),
        sa.Column("active", sa.Boolean, nullable=False),
    )
    op.create_index("ix_agents_agent_no", "agents", ["agent_no"])


def downgrade() -> None:
    for table in ("agents", "messages", "conversations"):
        op.drop_table(table)
    op.execute("DELETE FROM sync_state WHERE stream IN ('conversations', 'messages', 'agents')")
    op.execute("DELETE FROM outbox_shadow WHERE kind IN ('conversation', 'agent.status')")
