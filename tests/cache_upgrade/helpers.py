"""What the upgrade tests share: the checked-in old cache files and a raw look inside them."""
from __future__ import annotations

import json
import shutil
import sqlite3
from datetime import datetime, timezone
from pathlib import Path

DATA = Path(__file__).resolve().parents[1] / "data"


def copy_of(name: str, folder: Path) -> Path:
    """A working copy of the checked-in cache file `name` (tests/data), so the original stays."""
    path = folder / "cache.sqlite"
    shutil.copyfile(DATA / name, path)
    return path


def file_rows(path: Path, sql: str) -> list[tuple]:
    """`sql` on the file itself (plain sqlite3: no migration runs)."""
    con = sqlite3.connect(path)
    try:
        return con.execute(sql).fetchall()
    finally:
        con.close()


def stored_bytes(path: Path, names) -> int:
    """Bytes of the file's pages that hold these tables and indexes (`dbstat`)."""
    listed = ", ".join(f"'{n}'" for n in names)
    return file_rows(path, f"SELECT coalesce(sum(pgsize), 0) FROM dbstat WHERE name IN ({listed})")[0][0]


_TIMES_0009 = ("created_at", "paid_at", "shipped_at", "completed_at", "closed_at", "first_order_at")
_ADDRESS_KEYS = ("receiver", "phone", "province", "city", "district", "detail")
_STATUSES = ("completed", "closed", "refunded", "shipped", "paid", "refunding", "documents_made", "unpaid")
_PAYMENTS = ("online", "cod")


# 0010: the order number as an integer, province/city/district as a row of `places`.
_ORDER_NO_0010 = "iif(typeof(order_no) = 'integer', printf('%018d', order_no), order_no) AS order_no"
_PLACE_0010 = ", ".join(f"(SELECT p.{c} FROM main.places AS p WHERE p.id = place_id) AS {c}"
                        for c in ("province", "city", "district"))


def _iso(value):
    if isinstance(value, int):
        return datetime.fromtimestamp(value, timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
    return value


def _addresses(text):
    """Addresses as one canonical JSON text, from objects (up to 0008) or arrays (0009;
    objects stay objects when they lack a key)."""
    items = [a if isinstance(a, dict) else dict(zip(_ADDRESS_KEYS, a)) for a in json.loads(text or "[]")]
    return json.dumps(items, ensure_ascii=False, sort_keys=True)


def rows_0008(path: Path, sql: str) -> list[tuple]:
    """`sql` on the file with `orders`, `order_lines` and `buyers` seen in the shape they had
    up to 0008 (times as ISO text, statuses and payment methods as names, a line's item fields in the line, addresses as one
    canonical JSON text; order numbers as text and an order's province, city and district in
    the order, 0010) whatever its revision: older upgrade tests check that every row keeps
    its values through every later migration, 0009 and 0010 included (which store them
    compactly). Temp views shadow the file's tables; the file is not changed."""
    con = sqlite3.connect(path)
    try:
        con.create_function("ws_iso", 1, _iso, deterministic=True)
        con.create_function("ws_addresses", 1, _addresses, deterministic=True)
        con.create_function("ws_status", 1, lambda v: _STATUSES[v] if isinstance(v, int) else v, deterministic=True)
        con.create_function("ws_payment", 1, lambda v: _PAYMENTS[v] if isinstance(v, int) else v, deterministic=True)
        for table in ("orders", "buyers"):
            cols = [r[1] for r in con.execute(f"PRAGMA main.table_xinfo({table})")]
            if not cols:
                continue
            exprs = [f"ws_iso({c}) AS {c}" if c in _TIMES_0009 else
                     "ws_addresses(addresses) AS addresses" if c == "addresses" else
                     "ws_status(status) AS status" if c == "status" and table == "orders" else
                     "ws_payment(payment_method) AS payment_method" if c == "payment_method" else
                     _ORDER_NO_0010 if c == "order_no" else
                     _PLACE_0010 if c == "place_id" else c for c in cols]
            con.execute(f"CREATE TEMP VIEW {table} AS SELECT {', '.join(exprs)} FROM main.{table}")
        if con.execute("SELECT 1 FROM main.sqlite_master WHERE name = 'sold_items'").fetchone():
            con.execute("CREATE TEMP VIEW order_lines AS SELECT l.id AS id, l.order_id AS order_id, i.sku_id AS sku_id, "
                        "i.style_no AS style_no, i.product_name AS product_name, i.colour AS colour, i.size AS size, "
                        "i.outer_id AS outer_id, l.qty AS qty, l.unit_price_cents AS unit_price_cents "
                        "FROM main.order_lines AS l JOIN main.sold_items AS i ON i.id = l.item_id")
        return con.execute(sql).fetchall()
    finally:
        con.close()
