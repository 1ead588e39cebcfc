"""A smaller cache: orders, order lines and buyers stored compactly (issue 11).

Revision ID: 0009_compact_orders
Revises: 0008_orders_buyer_status
Create Date: 2026-12-01

- `orders.created_at/paid_at/shipped_at/completed_at/closed_at` and `buyers.first_order_at`
  become INTEGER Unix seconds (`schema.UtcEpoch`; 4 bytes instead of 20 each; wire times are
  whole seconds). `remark_at` and every other table keep ISO text.
- What an order line sold (SKU, style no., product name, colour, size, outer id, exactly as
  the order recorded it) is stored once in `sold_items` (unique over all six) and referenced
  by `order_lines.item_id`: a few thousand items serve a million lines.
- `order_lines` is a WITHOUT ROWID table keyed by (order_id, id): an order's lines are one
  range of the table itself, and `ix_order_lines_order_id` is gone.
- `ix_orders_buyer_id` is dropped: `ix_orders_buyer_status (buyer_id, status)` (0008) serves
  every lookup by buyer (a buyer's orders newest first sort the buyer's few index entries).
- `orders.status` and `orders.payment_method` become INTEGER codes: the index of the name in
  `schema.ORDER_STATUS_CODES` / `PAYMENT_METHOD_CODES` (frozen below as `_STATUSES`,
  `_PAYMENTS`; 0 and 1 take no bytes at all).
- `buyers.addresses` is a JSON array of arrays in `schema.ADDRESS_KEYS` order instead of
  objects that repeat every key.
The three tables are rebuilt (copied in id ranges, then their indexes and the order-count
triggers made afresh, which also packs the indexes), reporting `progress(done, total)` in
rows through the Alembic config attribute "progress" (`db.open_cache(path, progress=...)`)
and the log. One transaction: an interrupted upgrade leaves the file at 0008. The search
index (`orders_fts`, rowid = order id) is untouched: its tokens do not change.
"""
from __future__ import annotations

import logging

from alembic import op

revision = "0009_compact_orders"
down_revision = "0008_orders_buyer_status"
branch_labels = None
depends_on = None

log = logging.getLogger(__name__)

CHUNK = 50_000
_EPOCH = "CAST(strftime('%s', {0}) AS INTEGER)"
_ISO = "strftime('%Y-%m-%dT%H:%M:%SZ', {0}, 'unixepoch')"
_TIMES = ("created_at", "paid_at", "shipped_at", "completed_at", "closed_at")
# The codes of 0009 (schema.ORDER_STATUS_CODES / PAYMENT_METHOD_CODES as of this revision).
_STATUSES = ("completed", "closed", "refunded", "shipped", "paid", "refunding", "documents_made", "unpaid")
_PAYMENTS = ("online", "cod")


def _coded(column: str, names: tuple[str, ...], *, up: bool) -> str:
    """SQL turning names into codes (or back); anything else stays as it is."""
    pairs = " ".join(f"WHEN '{n}' THEN {i}" if up else f"WHEN {i} THEN '{n}'" for i, n in enumerate(names))
    return f"CASE s.{column} {pairs} ELSE s.{column} END"

_ORDERS = """CREATE TABLE orders (
    id INTEGER NOT NULL, seq INTEGER NOT NULL, order_no TEXT NOT NULL, buyer_id INTEGER NOT NULL,
    buyer_nick TEXT NOT NULL, status {c} NOT NULL, payment_method {c} NOT NULL,
    total_cents INTEGER NOT NULL, shipping_cents INTEGER NOT NULL, discount_cents INTEGER NOT NULL,
    receiver_name TEXT NOT NULL, receiver_phone TEXT NOT NULL,
    phone_last4 TEXT GENERATED ALWAYS AS (substr(receiver_phone, -4)) VIRTUAL,
    province TEXT NOT NULL, city TEXT NOT NULL, district TEXT NOT NULL, address_detail TEXT NOT NULL,
    carrier TEXT, tracking_no TEXT, created_at {t} NOT NULL, paid_at {t}, shipped_at {t},
    completed_at {t}, closed_at {t}, remark TEXT NOT NULL, remark_flag INTEGER NOT NULL,
    remark_by TEXT, remark_at TEXT, remark_version INTEGER DEFAULT '0' NOT NULL,
    PRIMARY KEY (id))"""
_ORDER_COLUMNS = ("id, seq, order_no, buyer_id, buyer_nick, status, payment_method, total_cents, "
                  "shipping_cents, discount_cents, receiver_name, receiver_phone, province, city, "
                  "district, address_detail, carrier, tracking_no, created_at, paid_at, shipped_at, "
                  "completed_at, closed_at, remark, remark_flag, remark_by, remark_at, remark_version")
_ORDER_INDEXES = (
    "CREATE UNIQUE INDEX ix_orders_order_no ON orders (order_no)",
    "CREATE INDEX ix_orders_tracking_no ON orders (tracking_no)",
    "CREATE INDEX ix_orders_buyer_status ON orders (buyer_id, status)",
    "CREATE INDEX ix_orders_phone_last4 ON orders (phone_last4)",
    "CREATE TRIGGER orders_count_insert AFTER INSERT ON orders "
    "BEGIN UPDATE orders_count SET n = n + 1 WHERE id = 1; END",
    "CREATE TRIGGER orders_count_delete AFTER DELETE ON orders "
    "BEGIN UPDATE orders_count SET n = n - 1 WHERE id = 1; END",
)
_BUYERS = """CREATE TABLE buyers (
    id INTEGER NOT NULL, seq INTEGER NOT NULL, nick TEXT NOT NULL, name TEXT NOT NULL,
    phone TEXT NOT NULL, member_level TEXT NOT NULL, first_order_at {t}, addresses {a} NOT NULL,
    PRIMARY KEY (id))"""
_SOLD_ITEMS = (
    "CREATE TABLE sold_items (id INTEGER NOT NULL, sku_id INTEGER NOT NULL, style_no TEXT NOT NULL, "
    "product_name TEXT NOT NULL, colour TEXT NOT NULL, size TEXT NOT NULL, outer_id TEXT NOT NULL, "
    "PRIMARY KEY (id))",
    "CREATE UNIQUE INDEX ux_sold_items ON sold_items (sku_id, outer_id, style_no, product_name, colour, size)",
)
_LINES_NEW = ("CREATE TABLE order_lines (order_id INTEGER NOT NULL, id INTEGER NOT NULL, "
              "item_id INTEGER NOT NULL, qty INTEGER NOT NULL, unit_price_cents INTEGER NOT NULL, "
              "PRIMARY KEY (order_id, id)) WITHOUT ROWID")
_LINES_OLD = ("CREATE TABLE order_lines (id INTEGER NOT NULL, order_id INTEGER NOT NULL, "
              "sku_id INTEGER NOT NULL, style_no TEXT NOT NULL, product_name TEXT NOT NULL, "
              "colour TEXT NOT NULL, size TEXT NOT NULL, outer_id TEXT NOT NULL, qty INTEGER NOT NULL, "
              "unit_price_cents INTEGER NOT NULL, PRIMARY KEY (id))")
_LINES_INDEX = "CREATE INDEX ix_order_lines_order_id ON order_lines (order_id)"


def _raw_cursor():
    return op.get_bind().connection.driver_connection.cursor()


class _Progress:
    def __init__(self, total: int) -> None:
        self.total, self.done = total, 0
        self.report = op.get_context().config.attributes.get("progress")

    def add(self, n: int) -> None:
        self.done += n
        log.info("compacting the cache: %d of %d rows", self.done, self.total)
        if self.report is not None:
            self.report(self.done, self.total)


def _copy(cur, source: str, target: str, columns: str, select: str, progress: _Progress,
          join: str = "") -> None:
    """INSERT INTO target SELECT ... FROM source AS s [join], in id ranges of CHUNK."""
    low = -2**63
    while True:
        last, n = cur.execute(f"SELECT max(id), count(*) FROM (SELECT id FROM {source} WHERE id > ? "
                              f"ORDER BY id LIMIT ?)", (low, CHUNK)).fetchone()
        if not n:
            return
        cur.execute(f"INSERT INTO {target} ({columns}) SELECT {select} FROM {source} AS s {join} "
                    f"WHERE s.id > ? AND s.id <= ? ORDER BY s.id", (low, last))
        low = last
        progress.add(n)


def _count(cur, table: str) -> int:
    return cur.execute(f"SELECT count(*) FROM {table}").fetchone()[0]


def _convert(*, up: bool) -> None:
    import orjson  # noqa: PLC0415

    from workstation.models.schema import ADDRESS_KEYS  # noqa: PLC0415 (frozen below if it ever changes)

    keys = tuple(ADDRESS_KEYS)  # an address with other keys than exactly these stays an object

    def pack(text: str) -> str:
        return orjson.dumps([[a[k] for k in keys] if isinstance(a, dict) and a.keys() == set(keys) else a
                             for a in orjson.loads(text or "[]")]).decode()

    def unpack(text: str) -> str:
        return orjson.dumps([a if isinstance(a, dict) else dict(zip(keys, a))
                             for a in orjson.loads(text or "[]")]).decode()

    time_sql = _EPOCH if up else _ISO
    cur = _raw_cursor()
    try:
        cur.connection.create_function("ws_addresses", 1, pack if up else unpack, deterministic=True)
        progress = _Progress(_count(cur, "orders") + _count(cur, "order_lines") + _count(cur, "buyers"))
        # orders
        cur.execute("ALTER TABLE orders RENAME TO orders_0008")
        cur.execute(_ORDERS.format(t="INTEGER" if up else "TEXT", c="INTEGER" if up else "TEXT"))
        special = {"status": _coded("status", _STATUSES, up=up),
                   "payment_method": _coded("payment_method", _PAYMENTS, up=up)}
        select = ", ".join(time_sql.format(f"s.{c}") if c in _TIMES else special.get(c, f"s.{c}")
                           for c in _ORDER_COLUMNS.split(", "))
        _copy(cur, "orders_0008", "orders", _ORDER_COLUMNS, select, progress)
        cur.execute("DROP TABLE orders_0008")
        for sql in _ORDER_INDEXES if up else (*_ORDER_INDEXES, "CREATE INDEX ix_orders_buyer_id ON orders (buyer_id)"):
            cur.execute(sql)
        # order lines
        cur.execute("ALTER TABLE order_lines RENAME TO order_lines_0008")
        if up:
            for sql in _SOLD_ITEMS:
                cur.execute(sql)
            cur.execute("INSERT INTO sold_items (sku_id, style_no, product_name, colour, size, outer_id) "
                        "SELECT sku_id, style_no, product_name, colour, size, outer_id FROM order_lines_0008 "
                        "GROUP BY sku_id, outer_id, style_no, product_name, colour, size ORDER BY min(id)")
            cur.execute(_LINES_NEW)
            _copy(cur, "order_lines_0008", "order_lines", "id, order_id, item_id, qty, unit_price_cents",
                  "s.id, s.order_id, (SELECT i.id FROM sold_items AS i WHERE i.sku_id = s.sku_id AND "
                  "i.outer_id = s.outer_id AND i.style_no = s.style_no AND i.product_name = s.product_name "
                  "AND i.colour = s.colour AND i.size = s.size), s.qty, s.unit_price_cents", progress)
        else:
            cur.execute(_LINES_OLD)
            _copy(cur, "order_lines_0008", "order_lines",
                  "id, order_id, sku_id, style_no, product_name, colour, size, outer_id, qty, unit_price_cents",
                  "s.id, s.order_id, i.sku_id, i.style_no, i.product_name, i.colour, i.size, i.outer_id, "
                  "s.qty, s.unit_price_cents", progress, join="JOIN sold_items AS i ON i.id = s.item_id")
            cur.execute("DROP TABLE sold_items")
        cur.execute("DROP TABLE order_lines_0008")
        if not up:
            cur.execute(_LINES_INDEX)
        # buyers
        cur.execute("ALTER TABLE buyers RENAME TO buyers_0008")
        cur.execute(_BUYERS.format(t="INTEGER" if up else "TEXT", a="TEXT" if up else "JSON"))
        _copy(cur, "buyers_0008", "buyers", "id, seq, nick, name, phone, member_level, first_order_at, addresses",
              f"s.id, s.seq, s.nick, s.name, s.phone, s.member_level, {time_sql.format('s.first_order_at')}, "
              "ws_addresses(s.addresses)", progress)
        cur.execute("DROP TABLE buyers_0008")
        cur.execute("CREATE INDEX ix_buyers_nick ON buyers (nick)")
    finally:
        cur.close()


def upgrade() -> None:
    _convert(up=True)


def downgrade() -> None:
    _convert(up=False)
