"""Writes tests/data/cache-v0003.sqlite: a small cache as Workstation wrote it with schema
revision 0003_sync_state_reload_floor (the schema before the search indexes of 0005), for
the upgrade tests.

The file is checked in. Re-run this only if 0001-0003 change (they should not: released
migrations are frozen), never to "fix" an upgrade test:
    .venv/bin/python tests/data/make_cache_v0003.py
It holds v0001's rows plus orders that only the new indexes find (a 2-character word inside
a nickname and a street, a name with a phone tail, a tracking number read from its middle),
with the old indexes written the way that release wrote them.
"""
from __future__ import annotations

import json
import sqlite3
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from tests.data import make_cache_v0001 as v0001  # noqa: E402

REVISION = "0003_sync_state_reload_floor"
OUT = Path(__file__).resolve().parent / "cache-v0003.sqlite"

ORDERS = [
    # id, order_no, buyer_id, nick, status, pay, total, receiver, phone, prov, city, district, detail, carrier, tracking, created
    (1004, "241205000000004567", 3, "可爱的柠檬297", "shipped", "online", 9900, "张伟", "13700005678",
     "湖北省", "武汉市", "江岸区", "长江路 18 号", "中通", "78812345670012", "2024-12-05T08:00:00Z"),
    (1005, "241206000000005678", 4, "tb_lily", "paid", "cod", 4500, "刘丽", "15900001111",
     "浙江省", "杭州市", "西湖区", "文三路 5 号", "圆通", "YT3300099887766", "2024-12-06T09:00:00Z"),
]
OUTBOX = [
    ("6f1c2b1e-0000-4000-8000-000000000005", "remark", "order", 1004, 12,
     {"remark": "柠檬色缺货，换黄色", "flag": 1}, "pending", 0, None, None, "2024-12-06T10:00:00Z"),
]


def migrate_to(path: Path, revision: str) -> None:
    from alembic import command
    from alembic.config import Config

    from workstation.models import db

    engine = db.make_engine(path)
    try:
        cfg = Config()
        cfg.set_main_option("script_location", str(db.MIGRATIONS_DIR))
        with engine.begin() as conn:
            cfg.attributes["connection"] = conn
            command.upgrade(cfg, revision)  # pinned: NOT head
    finally:
        engine.dispose()


def fill(path: Path) -> None:
    v0001.fill(path)
    con = sqlite3.connect(path)
    with con:
        for seq, o in enumerate(ORDERS, start=20):
            con.execute(
                "INSERT INTO orders (id, seq, order_no, buyer_id, buyer_nick, status, payment_method, "
                "total_cents, shipping_cents, discount_cents, receiver_name, receiver_phone, province, city, "
                "district, address_detail, carrier, tracking_no, created_at, remark, remark_flag) "
                "VALUES (?,?,?,?,?,?,?,?,0,0,?,?,?,?,?,?,?,?,?,'',0)",
                (o[0], seq, *o[1:7], *o[7:]))
        v0001.index_orders_0001(con, [o[0] for o in ORDERS])
        con.executemany(
            "INSERT INTO outbox (mutation_id, kind, entity, entity_id, base_version, payload, status, attempts, "
            "next_attempt_at, last_error, created_at, updated_at) VALUES (?,?,?,?,?,?,?,?,?,?,?,?)",
            [(*r[:5], json.dumps(r[5], ensure_ascii=False), *r[6:], r[10]) for r in OUTBOX])
        con.execute("UPDATE sync_state SET total = 5, applied = 5, last_error = 'server unreachable', "
                    "last_attempt_at = '2024-12-06T10:05:00Z' WHERE stream = 'orders'")
    con.execute("PRAGMA journal_mode=DELETE")
    con.execute("VACUUM")
    con.close()


def main() -> None:
    tmp = OUT.with_suffix(".tmp")
    tmp.unlink(missing_ok=True)
    migrate_to(tmp, REVISION)
    fill(tmp)
    con = sqlite3.connect(tmp)
    assert con.execute("SELECT version_num FROM alembic_version").fetchone()[0] == REVISION
    con.close()
    tmp.replace(OUT)
    print(f"wrote {OUT} ({OUT.stat().st_size} bytes, revision {REVISION})")


if __name__ == "__main__":
    main()
