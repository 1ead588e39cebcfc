"""The number of cached orders kept by `models.apply`, not by row triggers (issue 11).

Revision ID: 0011_orders_count_by_apply
Revises: 0010_orders_numbers_places
Create Date: 2026-12-02

- The triggers `orders_count_insert` / `orders_count_delete` (0005) are dropped. A per-row
  trigger made every order written cost ~15 us more (bench: the orders upsert of a first
  load 37 -> 22 us/order): SQLite runs the trigger's UPDATE as a sub-program for each row.
  `models.apply`, the only writer of synced data, now adds what a page inserted and
  subtracts what it deleted, in the page's own transaction (`apply._recount`).
- `orders_count.n` is set to the real count once more, so any drift ends here.
Rows, cursors, the search index and the outbox are untouched.
"""
from __future__ import annotations

from alembic import op

revision = "0011_orders_count_by_apply"
down_revision = "0010_orders_numbers_places"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute("DROP TRIGGER IF EXISTS orders_count_insert")
    op.execute("DROP TRIGGER IF EXISTS orders_count_delete")
    op.execute("UPDATE orders_count SET n = (SELECT count(*) FROM orders) WHERE id = 1")


def downgrade() -> None:
    op.execute("CREATE TRIGGER orders_count_insert AFTER INSERT ON orders "
               "BEGIN UPDATE orders_count SET n = n + 1 WHERE id = 1; END")
    op.execute("CREATE TRIGGER orders_count_delete AFTER DELETE ON orders "
               "BEGIN UPDATE orders_count SET n = n - 1 WHERE id = 1; END")
    op.execute("UPDATE orders_count SET n = (SELECT count(*) FROM orders) WHERE id = 1")
