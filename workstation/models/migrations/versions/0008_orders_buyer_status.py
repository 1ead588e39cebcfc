"""The buyer panel's refund count as an index search (issue 10).

Revision ID: 0008_orders_buyer_status
Revises: 0007_phrases_notes
Create Date: 2026-12-01

- Index `ix_orders_buyer_status (buyer_id, status)`: `models.buyers.profile` counts a buyer's
  refunding/refunded orders from the index alone. With `ix_orders_buyer_id` only, each of the
  buyer's orders was read from the table to look at its status: a loyal buyer with thousands
  of orders (the demo data has them) cost milliseconds per profile. `ix_orders_buyer_id`
  stays: a buyer's orders newest first walk it in rowid order.
Building it at a million orders takes about a second (one pass over the orders).
Rows, cursors and the outbox are untouched.
"""
from __future__ import annotations

from alembic import op

revision = "0008_orders_buyer_status"
down_revision = "0007_phrases_notes"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_orders_buyer_status", "orders", ["buyer_id", "status"])


def downgrade() -> None:
    op.drop_index("ix_orders_buyer_status", table_name="orders")
