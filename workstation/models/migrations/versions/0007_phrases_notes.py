"""Answering fast: quick phrases, shop settings, buyer notes (issue 10).

Revision ID: 0007_phrases_notes
Revises: 0006_conversations
Create Date: 2026-12-01

- `shop_settings`, `phrases`, `buyer_notes`: the three new streams of docs/PROTOCOL.md
  "Answering fast", one column per wire field. Their sync state rows appear on the first
  pull after the upgrade (a fresh stream starts with a snapshot), so an upgraded cache gets
  the phrase library on its next sync while its other cursors carry on where they were.
- Indexes: a phrase library by owner (`owner_agent_no`: the team's = NULL, the agent's own),
  a buyer's notes in order (`buyer_id`, `id`), and a queued note's entry by its `client_id`
  (= the note's mutation id).
- `phrase_use`: LOCAL ONLY (never synced): how often and when this agent last inserted each
  phrase, for the picker's ranking.
Rows, cursors and the outbox are untouched.
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0007_phrases_notes"
down_revision = "0006_conversations"
branch_labels = None
depends_on = None


def _id_seq() -> list[sa.Column]:
    return [sa.Column("id", sa.Integer, primary_key=True), sa.Column("seq", sa.Integer, nullable=False)]


def upgrade() -> None:
    op.create_table(
        "shop_settings", *_id_seq(),
        sa.Column("version", sa.Integer, nullable=False),
        sa.Column("shop_name", sa.Text, nullable=False),
        sa.Column("auto_reply_enabled", sa.Boolean, nullable=False),
        sa.Column("auto_reply_text", sa.Text, nullable=False),
        sa.Column("cutoff_time", sa.Text, nullable=False),
        sa.Column("updated_by", sa.Text, nullable=True),
        sa.Column("updated_at", sa.Text, nullable=True),
    )
    op.create_table(
        "phrases", *_id_seq(),
        sa.Column("version", sa.Integer, nullable=False),
        sa.Column("owner_agent_no", sa.Text, nullable=True),
        sa.Column("category", sa.Text, nullable=False),
        sa.Column("title", sa.Text, nullable=False),
        sa.Column("shortcut", sa.Text, nullable=False),
        sa.Column("text", sa.Text, nullable=False),
        sa.Column("updated_by", sa.Text, nullable=False),
        sa.Column("updated_at", sa.Text, nullable=False),
    )
    op.create_index("ix_phrases_owner", "phrases", ["owner_agent_no"])
    op.create_table(
        "buyer_notes", *_id_seq(),
        sa.Column("buyer_id", sa.Integer, nullable=False),
        sa.Column("text", sa.Text, nullable=False),
        sa.Column("agent_no", sa.Text, nullable=False),
        sa.Column("created_at", sa.Text, nullable=False),
        sa.Column("client_id", sa.Text, nullable=True),
    )
    op.create_index("ix_buyer_notes_buyer", "buyer_notes", ["buyer_id", "id"])
    op.create_index("ix_buyer_notes_client_id", "buyer_notes", ["client_id"])
    op.create_table(
        "phrase_use",
        sa.Column("phrase_id", sa.Integer, primary_key=True),
        sa.Column("uses", sa.Integer, nullable=False),
        sa.Column("last_used_at", sa.Text, nullable=False),
    )


def downgrade() -> None:
    for table in ("phrase_use", "buyer_notes", "phrases", "shop_settings"):
        op.drop_table(table)
    op.execute("DELETE FROM sync_state WHERE stream IN ('shop_settings', 'phrases', 'buyer_notes')")
    op.execute("DELETE FROM outbox_shadow WHERE kind IN ('phrase', 'shop.settings')")
