"""Initial cache schema: synced tables, order search indexes, sync state, outbox.

Revision ID: 0001_initial
Revises:
Create Date: 2026-11-23

Frozen DDL: later schema changes go in new revisions, never here.
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001_initial"
down_revision = None
branch_labels = None
depends_on = None

def _seq_table(name: str, *cols: sa.Column) -> None:
    op.create_table(
        name,
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=False),
        sa.Column("seq", sa.Integer, nullable=False),
        *cols,
    )


def _text(name: str, nullable: bool = False) -> sa.Column:
    return sa.Column(name, sa.Text, nullable=nullable)


def _int(name: str, nullable: bool = False) -> sa.Column:
    return sa.Column(name, sa.Integer, nullable=nullable)


def upgrade() -> None:
    _seq_table("warehouses", _text("name"), _text("code"))
    _seq_table("products", _text("style_no"), _text("name"), _text("category"), _int("page_price_cents"))
    op.create_index("ix_products_style_no", "products", ["style_no"])
    op.create_table(
        "skus",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=False),
        _int("product_id"), _text("outer_id"), _text("colour"), _text("size"), _int("page_price_cents"),
    )
    op.create_index("ix_skus_product_id", "skus", ["product_id"])
    op.create_index("ix_skus_outer_id", "skus", ["outer_id"])
    _seq_table("stock", _int("sku_id"), _int("warehouse_id"), _int("qty"), _int("reserved"))
    op.create_index("ix_stock_sku_warehouse", "stock", ["sku_id", "warehouse_id"])
    _seq_table(
        "buyers", _text("nick"), _text("name"), _text("phone"), _text("member_level"),
        _text("first_order_at", nullable=True), sa.Column("addresses", sa.JSON, nullable=False),
    )
    op.create_index("ix_buyers_nick", "buyers", ["nick"])
    _seq_table(
        "orders",
        _text("order_no"), _int("buyer_id"), _text("buyer_nick"), _text("status"), _text("payment_method"),
        _int("total_cents"), _int("shipping_cents"), _int("discount_cents"),
        _text("receiver_name"), _text("receiver_phone"),
        sa.Column("phone_last4", sa.Text, sa.Computed("substr(receiver_phone, -4)", persisted=False)),
        _text("province"), _text("city"), _text("district"), _text("address_detail"),
        _text("carrier", nullable=True), _text("tracking_no", nullable=True),
        _text("created_at"), _text("paid_at", nullable=True), _text("shipped_at", nullable=True),
        _text("completed_at", nullable=True), _text("closed_at", nullable=True),
        _text("remark"), _int("remark_flag"), _text("remark_by", nullable=True), _text("remark_at", nullable=True),
    )
    op.create_index("ix_orders_order_no", "orders", ["order_no"], unique=True)
    op.create_index("ix_orders_tracking_no", "orders", ["tracking_no"])
    op.create_index("ix_orders_buyer_id", "orders", ["buyer_id"])
    op.create_index("ix_orders_phone_last4", "orders", ["phone_last4"])
    op.create_table(
        "order_lines",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=False),
        _int("order_id"), _int("sku_id"), _text("style_no"), _text("product_name"), _text("colour"),
        _text("size"), _text("outer_id"), _int("qty"), _int("unit_price_cents"),
    )
    op.create_index("ix_order_lines_order_id", "order_lines", ["order_id"])

    op.create_table(
        "sync_state",
        sa.Column("stream", sa.String, primary_key=True),
        _text("phase"), _text("cursor", nullable=True), _text("feed_cursor", nullable=True),
        _int("total", nullable=True), _int("applied"), _text("last_synced_at", nullable=True),
        _text("updated_at"),
    )
    op.create_table(
        "outbox",
        sa.Column("mutation_id", sa.String(36), primary_key=True),
        _text("kind"), _text("entity"), _int("entity_id", nullable=True), _int("base_version", nullable=True),
        sa.Column("payload", sa.JSON, nullable=False), _text("status"), _int("attempts"),
        _text("next_attempt_at", nullable=True), _text("last_error", nullable=True),
        _text("created_at"), _text("updated_at"),
        sa.CheckConstraint(
            "status IN ('pending', 'inflight', 'done', 'conflict', 'rejected')", name="ck_outbox_status"
        ),
    )
    op.create_index("ix_outbox_status_next", "outbox", ["status", "next_attempt_at"])

    # Search indexes, maintained by workstation.models.fts (see there for why not triggers).
    # Contentless: the text lives in `orders` only; rowid = orders.id (recency order).
    op.execute(
        "CREATE VIRTUAL TABLE orders_fts USING fts5(order_no, buyer_nick, receiver_name, address, "
        "tokenize='trigram', content='', columnsize=0)"
    )
    op.execute(
        "CREATE VIRTUAL TABLE orders_short USING fts5(grams, "
        "tokenize='unicode61', content='', detail='none', columnsize=0)"
    )


def downgrade() -> None:
    op.execute("DROP TABLE IF EXISTS orders_short")
    op.execute("DROP TABLE IF EXISTS orders_fts")
    for table in ("outbox", "sync_state", "order_lines", "orders", "buyers", "stock", "skus",
                  "products", "warehouses"):
        op.drop_table(table)
