"""Writes tests/data/cache-v0001.sqlite: a small cache as Workstation wrote it with schema
revision 0001_initial (the first released schema), for the upgrade tests.

The file is checked in. Re-run this only if 0001 itself changes (it should not: released
migrations are frozen), never to "fix" an upgrade test:
    .venv/bin/python tests/data/make_cache_v0001.py
Rows are written with raw SQL in 0001's shape (not through workstation.models.apply, which
follows the newest schema), so the file stays what an old release left on disk: orders
with lines and search index rows, sync cursors, and writes still waiting in the outbox.
"""
from __future__ import annotations

import json
import sqlite3
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

REVISION = "0001_initial"
OUT = Path(__file__).resolve().parent / "cache-v0001.sqlite"

ORDERS = [
    # id, order_no, buyer_id, nick, status, pay, total, receiver, phone, prov, city, district, detail, carrier, tracking, created
    (1001, "SO-20241101-0001", 1, "li_mei", "completed", "online", 12900, "李梅", "13812345678",
     "浙江省", "杭州市", "西湖区", "文三路 90 号", "ZTO", "ZT7730012345", "2024-11-01T02:13:00Z"),
    (1002, "SO-20241111-0002", 2, "张伟的小店", "shipped", "cod", 5800, "张伟", "13998761234",
     "广东省", "深圳市", "南山区", "科技园南路 8 号", "SF", "SF1400098765", "2024-11-11T09:30:00Z"),
    (1003, "SO-20241203-0003", 1, "li_mei", "paid", "online", 25600, "王小明", "15011112222",
     "北京市", "北京市", "朝阳区", "建国路 1 号院", None, None, "2024-12-03T14:00:00Z"),
]
LINES = [
    (1, 1001, 11, "ST-100", "纯棉短袖T恤", "白色", "L", "ST-100-WH-L", 1, 12900),
    (2, 1002, 12, "ST-200", "羊毛围巾", "红色", "均码", "ST-200-RD", 2, 2900),
    (3, 1003, 11, "ST-100", "纯棉短袖T恤", "白色", "L", "ST-100-WH-L", 1, 12900),
    (4, 1003, 13, "ST-300", "牛仔裤", "蓝色", "32", "ST-300-BL-32", 1, 12700),
]
SYNC_STATE = [
    ("warehouses", "feed", None, "c-wh-0009", 1, 1, "2024-12-03T14:05:00Z", "2024-12-03T14:05:00Z"),
    ("orders", "feed", None, "c-orders-0042", 3, 3, "2024-12-03T14:05:00Z", "2024-12-03T14:05:00Z"),
    ("buyers", "snapshot", "c-buyers-page-2", "c-buyers-0007", 5, 2, None, "2024-12-03T14:04:00Z"),
]
# Writes made offline and not yet confirmed by the server: they must survive the upgrade.
OUTBOX = [
    ("6f1c2b1e-0000-4000-8000-000000000001", "remark", "order", 1002, 4,
     {"remark": "客户要求周末送货", "flag": 2}, "pending", 0, None, None, "2024-12-03T14:06:00Z"),
    ("6f1c2b1e-0000-4000-8000-000000000002", "remark", "order", 1003, 1,
     {"remark": "已电话确认地址", "flag": 1}, "pending", 3, "2024-12-03T14:10:00Z",
     "server unreachable", "2024-12-03T14:07:00Z"),
    ("6f1c2b1e-0000-4000-8000-000000000003", "remark", "order", 1001, 7,
     {"remark": "已退款", "flag": 0}, "inflight", 1, None, None, "2024-12-03T14:08:00Z"),
    ("6f1c2b1e-0000-4000-8000-000000000004", "remark", "order", 1001, 6,
     {"remark": "旧备注", "flag": 0}, "done", 1, None, None, "2024-12-02T10:00:00Z"),
]
PENDING_IDS = [row[0] for row in OUTBOX if row[6] in ("pending", "inflight")]


def migrate_to_0001(path: Path) -> None:
    from alembic import command
    from alembic.config import Config

    from workstation.models import db

    engine = db.make_engine(path)
    try:
        cfg = Config()
        cfg.set_main_option("script_location", str(db.MIGRATIONS_DIR))
        with engine.begin() as conn:
            cfg.attributes["connection"] = conn
            command.upgrade(cfg, REVISION)  # pinned: NOT head
    finally:
        engine.dispose()


# The search index contents of revisions 0001-0003, frozen (the release's models.fts).
_OLD_SHORT_GRAMS = " || ' ' || ".join(
    ["substr(receiver_name, 1, 1)"]
    + [f"CASE WHEN length(receiver_name) > {i} THEN substr(receiver_name, {i}, 2) ELSE '' END" for i in range(1, 5)]
    + [f"substr({col}, 1, 2)" for col in ("province", "city", "district")])


def index_orders_0001(con: sqlite3.Connection, ids: list[int]) -> None:
    arg = (json.dumps(ids),)
    con.execute("INSERT INTO orders_fts (rowid, order_no, buyer_nick, receiver_name, address) "
                "SELECT id, order_no, buyer_nick, receiver_name, province || city || district || address_detail "
                "FROM orders WHERE id IN (SELECT value FROM json_each(?))", arg)
    con.execute(f"INSERT INTO orders_short (rowid, grams) SELECT id, {_OLD_SHORT_GRAMS} FROM orders "
                "WHERE id IN (SELECT value FROM json_each(?))", arg)


def fill(path: Path) -> None:
    con = sqlite3.connect(path)
    with con:
        con.execute("INSERT INTO warehouses (id, seq, name, code) VALUES (1, 1, '杭州仓', 'HZ')")
        con.executemany(
            "INSERT INTO products (id, seq, style_no, name, category, page_price_cents) VALUES (?,?,?,?,?,?)",
            [(1, 2, "ST-100", "纯棉短袖T恤", "上衣", 12900), (2, 3, "ST-200", "羊毛围巾", "配饰", 2900)])
        con.executemany(
            "INSERT INTO skus (id, product_id, outer_id, colour, size, page_price_cents) VALUES (?,?,?,?,?,?)",
            [(11, 1, "ST-100-WH-L", "白色", "L", 12900), (12, 2, "ST-200-RD", "红色", "均码", 2900)])
        con.execute("INSERT INTO stock (id, seq, sku_id, warehouse_id, qty, reserved) VALUES (1, 4, 11, 1, 30, 2)")
        con.executemany(
            "INSERT INTO buyers (id, seq, nick, name, phone, member_level, first_order_at, addresses) "
            "VALUES (?,?,?,?,?,?,?,?)",
            [(1, 5, "li_mei", "李梅", "13812345678", "gold", "2024-11-01T02:13:00Z",
              json.dumps([{"province": "浙江省", "city": "杭州市"}], ensure_ascii=False)),
             (2, 6, "张伟的小店", "张伟", "13998761234", "normal", None, "[]")])
        for seq, o in enumerate(ORDERS, start=10):
            con.execute(
                "INSERT INTO orders (id, seq, order_no, buyer_id, buyer_nick, status, payment_method, "
                "total_cents, shipping_cents, discount_cents, receiver_name, receiver_phone, province, city, "
                "district, address_detail, carrier, tracking_no, created_at, remark, remark_flag) "
                "VALUES (?,?,?,?,?,?,?,?,0,0,?,?,?,?,?,?,?,?,?,'',0)",
                (o[0], seq, *o[1:7], *o[7:]))
        # The search indexes, written the way the release's apply code wrote them.
        index_orders_0001(con, [o[0] for o in ORDERS])
        con.executemany(
            "INSERT INTO order_lines (id, order_id, sku_id, style_no, product_name, colour, size, outer_id, "
            "qty, unit_price_cents) VALUES (?,?,?,?,?,?,?,?,?,?)", LINES)
        con.executemany(
            "INSERT INTO sync_state (stream, phase, cursor, feed_cursor, total, applied, last_synced_at, "
            "updated_at) VALUES (?,?,?,?,?,?,?,?)", SYNC_STATE)
        con.executemany(
            "INSERT INTO outbox (mutation_id, kind, entity, entity_id, base_version, payload, status, attempts, "
            "next_attempt_at, last_error, created_at, updated_at) VALUES (?,?,?,?,?,?,?,?,?,?,?,?)",
            [(*r[:5], json.dumps(r[5], ensure_ascii=False), *r[6:], r[10]) for r in OUTBOX])
    # One self-contained file (no -wal beside it), compact, as an old release leaves it at exit.
    con.execute("PRAGMA journal_mode=DELETE")
    con.execute("VACUUM")
    con.close()


def main() -> None:
    tmp = OUT.with_suffix(".tmp")
    tmp.unlink(missing_ok=True)
    migrate_to_0001(tmp)
    fill(tmp)
    con = sqlite3.connect(tmp)
    assert con.execute("SELECT version_num FROM alembic_version").fetchone()[0] == REVISION
    con.close()
    tmp.replace(OUT)
    print(f"wrote {OUT} ({OUT.stat().st_size} bytes, revision {REVISION})")


if __name__ == "__main__":
    main()
