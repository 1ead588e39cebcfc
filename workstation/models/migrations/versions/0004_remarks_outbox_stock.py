"""Remarks, the outbox's bookkeeping and the page stock figure.

Revision ID: 0004_remarks_outbox_stock
Revises: 0003_sync_state_reload_floor
Create Date: 2026-12-01

- `orders.remark_version` (the remark's own version, a remark write names it) and
  `stock.page_qty` (what the shop page shows): columns added with plain ALTER TABLE ADD
  COLUMN and default 0. The server's values arrive with the next change of each row; a
  stream whose rows predate them keeps 0 until then (a remark written meanwhile may then
  answer `conflict`, which the agent resolves: never a silent overwrite).
- `remark_history`: the new `remarks` stream (its sync state row appears on first pull).
- `outbox`: the order writes were made in (`ordinal`, filled from the rowid for rows an
  older release queued), the server's error code, and the states a write needs for
  overlays, merges and discards. `outbox_shadow`: the server's state of overlaid fields.
Every cached row, cursor and queued write stays as it was.
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004_remarks_outbox_stock"
down_revision = "0003_sync_state_reload_floor"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("orders", sa.Column("remark_version", sa.Integer, nullable=False, server_default="0"))
    op.add_column("stock", sa.Column("page_qty", sa.Integer, nullable=False, server_default="0"))
    op.create_table(
        "remark_history",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("seq", sa.Integer, nullable=False),
        sa.Column("order_id", sa.Integer, nullable=False),
        sa.Column("version", sa.Integer, nullable=False),
        sa.Column("text", sa.Text, nullable=False),
        sa.Column("flag", sa.Integer, nullable=False),
        sa.Column("reason", sa.Text, nullable=False),
        sa.Column("agent_no", sa.Text, nullable=False),
        sa.Column("created_at", sa.Text, nullable=False),
        sa.Column("mutation_id", sa.Text, nullable=True),
    )
    op.create_index("ix_remark_history_order_id", "remark_history", ["order_id", "version"])
    for name, type_ in (("ordinal", sa.Integer), ("error_code", sa.Text), ("local_state", sa.JSON),
                        ("base_state", sa.JSON), ("result", sa.JSON)):
        op.add_column("outbox", sa.Column(name, type_, nullable=True))
    op.execute("UPDATE outbox SET ordinal = rowid")
    op.create_index("ix_outbox_entity", "outbox", ["entity", "entity_id", "ordinal"])
    op.create_table(
        "outbox_shadow",
        sa.Column("kind", sa.Text, primary_key=True),
        sa.Column("entity_id", sa.Integer, primary_key=True),
        sa.Column("state", sa.JSON, nullable=False),
    )


def downgrade() -> None:
    op.drop_table("outbox_shadow")
    op.drop_index("ix_outbox_entity", "outbox")
    with op.batch_alter_table("outbox") as batch:
        for name in ("result", "base_state", "local_state", "error_code", "ordinal"):
            batch.drop_column(name)
    op.drop_table("remark_history")
    with op.batch_alter_table("stock") as batch:
        batch.drop_column("page_qty")
    # Not batch mode for orders: its copy would try to insert into the generated phone_last4
    # column. SQLite >= 3.35 drops a plain column in place.
    op.execute("ALTER TABLE orders DROP COLUMN remark_version")
