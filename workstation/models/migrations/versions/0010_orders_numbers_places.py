"""A smaller orders table: order numbers as integers, places stored once (issue 11).

Revision ID: 0010_orders_numbers_places
Revises: 0009_compact_orders
Create Date: 2026-12-02

- `orders.order_no` (always 18 digits on the wire: `wire.OrderNo`) is an INTEGER, in the row
  and in `ix_orders_order_no` (8 bytes instead of 18 in each). Readers format it back with
  its leading zeros (`schema.order_number`, in SQL `schema.ORDER_NO_SQL`). A number that is
  not 18 digits (hand-made test files' `SO-...`) stays text.
- An order's `province, city, district` are a row of the new table `places` (unique over
  the three, never changed) referenced by `orders.place_id`: a few thousand places serve a
  million orders. Read them with `orders o JOIN places p ON p.id = o.place_id`.
`orders` is rebuilt (copied in id ranges, then its indexes and the order-count triggers
made afresh), reporting `progress(done, total)` in rows through the Alembic config
attribute "progress" (`db.open_cache(path, progress=...)`) and the log. One transaction: an
interrupted upgrade leaves the file at 0009. The search index (`orders_fts`, rowid = order
id) is untouched: the order's text, and so its tokens, do not change.
"""
from __future__ import annotations

import logging

from alembic import op

revision = "0010_orders_numbers_places"
down_revision = "0009_compact_orders"
branch_labels = None
depends_on = None

log = logging.getLogger(__name__)

CHUNK = 50_000

_ORDERS = """CREATE TABLE orders (
    id INTEGER NOT NULL, seq INTEGER NOT NULL, order_no {order_no} NOT NULL, buyer_id INTEGER NOT NULL,
    buyer_nick TEXT NOT NULL, status INTEGER NOT NULL, payment_method INTEGER NOT NULL,
    total_cents INTEGER NOT NULL, shipping_cents INTEGER NOT NULL, discount_cents INTEGER NOT NULL,
    receiver_name TEXT NOT NULL, receiver_phone TEXT NOT NULL,
    phone_last4 TEXT GENERATED ALWAYS AS (substr(receiver_phone, -4)) VIRTUAL,
    {place} address_detail TEXT NOT NULL,
    carrier TEXT, tracking_no TEXT, created_at INTEGER NOT NULL, paid_at INTEGER, shipped_at INTEGER,
    completed_at INTEGER, closed_at INTEGER, remark TEXT NOT NULL, remark_flag INTEGER NOT NULL,
    remark_by TEXT, remark_at TEXT, remark_version INTEGER DEFAULT '0' NOT NULL,
    PRIMARY KEY (id))"""
_PLACE_NEW = "place_id INTEGER NOT NULL,"
_PLACE_OLD = "province TEXT NOT NULL, city TEXT NOT NULL, district TEXT NOT NULL,"
_KEPT = ("id, seq, buyer_id, buyer_nick, status, payment_method, total_cents, shipping_cents, discount_cents, "
         "receiver_name, receiver_phone, address_detail, carrier, tracking_no, created_at, paid_at, shipped_at, "
         "completed_at, closed_at, remark, remark_flag, remark_by, remark_at, remark_version")
_INDEXES = (
    "CREATE UNIQUE INDEX ix_orders_order_no ON orders (order_no)",
    "CREATE INDEX ix_orders_tracking_no ON orders (tracking_no)",
    "CREATE INDEX ix_orders_buyer_status ON orders (buyer_id, status)",
    "CREATE INDEX ix_orders_phone_last4 ON orders (phone_last4)",
    "CREATE TRIGGER orders_count_insert AFTER INSERT ON orders "
    "BEGIN UPDATE orders_count SET n = n + 1 WHERE id = 1; END",
    "CREATE TRIGGER orders_count_delete AFTER DELETE ON orders "
    "BEGIN UPDATE orders_count SET n = n - 1 WHERE id = 1; END",
)
_PLACES = (
    "CREATE TABLE places (id INTEGER NOT NULL, province TEXT NOT NULL, city TEXT NOT NULL, "
    "district TEXT NOT NULL, PRIMARY KEY (id))",
    "CREATE UNIQUE INDEX ux_places ON places (province, city, district)",
)
# Only an 18-digit number becomes an integer (it reads back the same); other text stays.
_NUMBER = ("CASE WHEN length(s.order_no) = 18 AND s.order_no NOT GLOB '*[^0-9]*' "
           "THEN CAST(s.order_no AS INTEGER) ELSE s.order_no END")
_TEXT = "iif(typeof(s.order_no) = 'integer', printf('%018d', s.order_no), s.order_no)"


def _raw_cursor():
    return op.get_bind().connection.driver_connection.cursor()


class _Progress:
    def __init__(self, total: int) -> None:
        self.total, self.done = total, 0
        self.report = op.get_context().config.attributes.get("progress")

    def add(self, n: int) -> None:
        self.done += n
        log.info("compacting the orders: %d of %d rows", self.done, self.total)
        if self.report is not None:
            self.report(self.done, self.total)


def _copy(cur, columns: str, select: str, join: str, progress: _Progress) -> None:
    """INSERT INTO orders SELECT ... FROM orders_0009 AS s [join], in id ranges of CHUNK."""
    low = -2**63
    while True:
        last, n = cur.execute("SELECT max(id), count(*) FROM (SELECT id FROM orders_0009 WHERE id > ? "
                              "ORDER BY id LIMIT ?)", (low, CHUNK)).fetchone()
        if not n:
            return
        cur.execute(f"INSERT INTO orders ({columns}) SELECT {select} FROM orders_0009 AS s {join} "
                    "WHERE s.id > ? AND s.id <= ? ORDER BY s.id", (low, last))
        low = last
        progress.add(n)


def _rebuild(*, up: bool) -> None:
    cur = _raw_cursor()
    try:
        progress = _Progress(cur.execute("SELECT count(*) FROM orders").fetchone()[0])
        cur.execute("ALTER TABLE orders RENAME TO orders_0009")
        kept = ", ".join(f"s.{c}" for c in _KEPT.split(", "))
        if up:
            for sql in _PLACES:
                cur.execute(sql)
            # ids in order of first use: the oldest orders' places first
            cur.execute("INSERT INTO places (province, city, district) SELECT province, city, district "
                        "FROM orders_0009 GROUP BY province, city, district ORDER BY min(id)")
            cur.execute(_ORDERS.format(order_no="INTEGER", place=_PLACE_NEW))
            _copy(cur, f"{_KEPT}, order_no, place_id", f"{kept}, {_NUMBER}, p.id",
                  "JOIN places AS p ON p.province = s.province AND p.city = s.city AND p.district = s.district",
                  progress)
        else:
            cur.execute(_ORDERS.format(order_no="TEXT", place=_PLACE_OLD))
            _copy(cur, f"{_KEPT}, order_no, province, city, district", f"{kept}, {_TEXT}, p.province, p.city, "
                  "p.district", "JOIN places AS p ON p.id = s.place_id", progress)
        cur.execute("DROP TABLE orders_0009")
        if not up:
            cur.execute("DROP TABLE places")
        for sql in _INDEXES:
            cur.execute(sql)
    finally:
        cur.close()


def upgrade() -> None:
    _rebuild(up=True)


def downgrade() -> None:
    _rebuild(up=False)
