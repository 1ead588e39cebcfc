"""Search indexes that understand every way an agent types, at a fraction of the size;
an O(1) order count.

Revision ID: 0005_search_indexes
Revises: 0004_remarks_outbox_stock
Create Date: 2026-12-01

- `orders_fts` (trigram, positions kept for every column) and `orders_short` (grams of the
  name and the first pair of each place name) are replaced by one `orders_fts`
  (`detail='none'`: which orders hold a token, nothing else) whose tokens `models.fts`
  makes: every character pair with a Chinese character, trigrams of the other runs (now
  with the tracking number), the surname.
- `orders_count` holds the number of cached orders, kept by triggers on `orders` in the
  same transaction as every insert and delete.
Rows, cursors and the outbox are untouched. The indexes are rebuilt from `orders` in id
ranges, reporting `progress(done, total)` through the Alembic config attribute "progress"
(`db.open_cache(path, progress=...)`) and the log; the upgrade is one transaction, so an
interrupted rebuild leaves the file at 0003 with its old indexes.
"""
from __future__ import annotations

import logging

from alembic import op

revision = "0005_search_indexes"
down_revision = "0004_remarks_outbox_stock"
branch_labels = None
depends_on = None

log = logging.getLogger(__name__)

_COUNT_DDL = (
    "CREATE TABLE orders_count (id INTEGER NOT NULL PRIMARY KEY, n INTEGER NOT NULL, "
    "CONSTRAINT ck_orders_count_one_row CHECK (id = 1))",
    "INSERT INTO orders_count (id, n) SELECT 1, count(*) FROM orders",
    "CREATE TRIGGER orders_count_insert AFTER INSERT ON orders "
    "BEGIN UPDATE orders_count SET n = n + 1 WHERE id = 1; END",
    "CREATE TRIGGER orders_count_delete AFTER DELETE ON orders "
    "BEGIN UPDATE orders_count SET n = n - 1 WHERE id = 1; END",
)


def _raw_cursor():
    return op.get_bind().connection.driver_connection.cursor()


def upgrade() -> None:
    from workstation.models import fts  # noqa: PLC0415 (the index's tokens are the app's)

    op.execute("DROP TABLE orders_fts")
    op.execute("DROP TABLE orders_short")
    op.execute("CREATE VIRTUAL TABLE orders_fts USING fts5(tokens, tokenize='unicode61', "
               "content='', detail='none', columnsize=0)")
    for sql in _COUNT_DDL:
        op.execute(sql)
    report = op.get_context().config.attributes.get("progress")

    def progress(done: int, total: int) -> None:
        log.info("rebuilding the search indexes: %d of %d orders", done, total)
        if report is not None:
            report(done, total)

    cur = _raw_cursor()
    try:
        fts.rebuild_index(cur, progress, source=fts.SOURCE_0005)  # the orders table of 0005..0009
    finally:
        cur.close()


# 0001's index contents, frozen here so a downgrade rebuilds exactly what 0003 read.
_OLD_NAME_GRAMS = " || ' ' || ".join(
    ["substr(receiver_name, 1, 1)"]
    + [f"CASE WHEN length(receiver_name) > {i} THEN substr(receiver_name, {i}, 2) ELSE '' END" for i in range(1, 5)]
    + [f"substr({col}, 1, 2)" for col in ("province", "city", "district")])


def downgrade() -> None:
    op.execute("DROP TRIGGER orders_count_delete")
    op.execute("DROP TRIGGER orders_count_insert")
    op.execute("DROP TABLE orders_count")
    op.execute("DROP TABLE orders_fts")
    op.execute("CREATE VIRTUAL TABLE orders_fts USING fts5(order_no, buyer_nick, receiver_name, address, "
               "tokenize='trigram', content='', columnsize=0)")
    op.execute("CREATE VIRTUAL TABLE orders_short USING fts5(grams, "
               "tokenize='unicode61', content='', detail='none', columnsize=0)")
    op.execute("INSERT INTO orders_fts (rowid, order_no, buyer_nick, receiver_name, address) "
               "SELECT id, order_no, buyer_nick, receiver_name, "
               "province || city || district || address_detail FROM orders")
    op.execute(f"INSERT INTO orders_short (rowid, grams) SELECT id, {_OLD_NAME_GRAMS} FROM orders")
