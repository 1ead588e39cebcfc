"""Writes tests/data/cache-v0011.sqlite: a cache as Workstation left it with schema revision
0011_orders_count_by_apply (the last schema whose search index holds only trigrams of
digit runs), for the upgrade test of 0012.

The file is checked in. Re-run only if 0001..0011 change (released migrations are frozen):
    .venv/bin/python tests/data/make_cache_v0011.py
It is written by the 0011 release's OWN code: the `workstation` package of commit
`SOURCE_COMMIT` (the last commit at 0011) is exported with `git archive` into a temporary
folder and run from there, so every row is exactly what that release wrote. Through its
real apply path: a demo shop's first sync (400 orders newest first, their buyers, the
products they sold and their stock), then a change-feed page bringing a new order whose
number starts with a zero, to a place no other order went to, and a remark edit waiting in
the outbox with its overlay. Beside it, `cache-v0011-answers.json`: what the 0011 release's
own `search_orders` answered to every kind of query (`queries`), so the upgrade test can
check that the upgraded file answers exactly the same.
"""
from __future__ import annotations

import io
import json
import os
import sqlite3
import subprocess
import sys
import tarfile
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
OUT = Path(__file__).resolve().parent / "cache-v0011.sqlite"
REVISION = "0011_orders_count_by_apply"
SOURCE_COMMIT = "f18f226bc1787bc2a3a9dcb259a26160417f3079"  # main with cache schema 0011 (cache files)
N_ORDERS = 400
ZERO_ORDER_ID = 900_001
ZERO_ORDER_NO = "061201000000900001"  # 18 digits, the first a zero
ZERO_PLACE = ("新疆维吾尔自治区", "伊犁哈萨克自治州", "霍城县")
WAITING_MEMO = "客户要求改地址，已电话确认"
REMARKED_ORDER_ID = 400
ANSWERS = OUT.with_name("cache-v0011-answers.json")
_FULL_WIDTH = str.maketrans("0123456789", "０１２３４５６７８９")


def queries(orders: list[dict]) -> list[str]:
    """Every kind of query an agent types (models.search), drawn from the shop's orders."""
    some = [o for o in orders if o["tracking_no"]][len(orders) // 3]
    other = orders[len(orders) // 5]
    two = next(o for o in orders if len(o["receiver_name"]) == 2)
    word = next(o["address_detail"][:2] for o in orders if o["address_detail"][:2].isalpha())
    pair = next(o["buyer_nick"][1:3] for o in orders if all(c >= "\u3400" for c in o["buyer_nick"][1:3]))
    phone, tracking = some["receiver_phone"], some["tracking_no"]
    return [
        phone[-4:], phone, f"{phone[:3]}-{phone[3:7]}-{phone[7:]}", phone[-6:],  # phone: last 4, whole, dashed, tail
        some["order_no"], ZERO_ORDER_NO, ZERO_ORDER_NO[-7:], some["order_no"][-7:],  # order numbers, fragments
        tracking, tracking.lower(), tracking[-7:], tracking[3:9],  # tracking number and its fragments
        some["buyer_nick"], some["buyer_nick"][:4], other["buyer_nick"],  # nicknames
        some["receiver_name"], two["receiver_name"], two["receiver_name"][0],  # names, a surname
        word, pair, some["district"], ZERO_PLACE[2], ZERO_PLACE[0][-3:] + ZERO_PLACE[1][:2],  # words, places
        f"{some['district']} {phone[-4:]}", f"{phone[-4:]} {some['receiver_name']}",  # combined words
        f"{some['buyer_nick']} {some['city']}", f"{two['receiver_name']} {two['receiver_phone'][-4:]}",
        phone[-4:].translate(_FULL_WIDTH), some["order_no"].translate(_FULL_WIDTH),  # full-width digits
        "12", "a", "不存在的地址",  # nothing indexable / nothing found
    ]


def build(out: Path) -> None:
    """Runs INSIDE the exported 0011 tree (see main): the old release's code only."""
    from datetime import datetime, timezone

    from storeserver.demodata import generate
    from workstation.models import db, remarks
    from workstation.models.apply import apply_changes, apply_snapshot_page
    from workstation.models.search import search_orders

    assert db.HEAD_REVISION == REVISION, db.HEAD_REVISION
    shop = generate(N_ORDERS, seed=11)
    orders = sorted(shop.orders(), key=lambda o: -o["id"])  # the snapshot walks ids down
    sold = {ln["sku_id"] for o in orders for ln in o["lines"]}  # the catalogue they sold from
    products = [p for p in shop.products() if any(s["id"] in sold for s in p["skus"])]
    stock = [s for s in shop.stock() if s["sku_id"] in sold]
    cache = db.open_cache(out)
    try:
        engine = cache.engine
        for stream, items in (("warehouses", shop.warehouses()), ("products", products),
                              ("stock", stock), ("buyers", list(shop.buyers()))):
            apply_snapshot_page(engine, stream, list(items), next_cursor=None, done=True,
                                feed_cursor=f"c-{stream}-0011", total=None)
        for start in range(0, len(orders), 150):
            page = orders[start:start + 150]
            done = start + 150 >= len(orders)
            apply_snapshot_page(engine, "orders", page, next_cursor=None if done else f"s-{start}",
                                done=done, feed_cursor="c-orders-0011", total=len(orders))
        # A newer order whose number starts with a zero, to a place of its own.
        template = next(o for o in orders if o["lines"])
        province, city, district = ZERO_PLACE
        zero = {**template, "id": ZERO_ORDER_ID, "seq": 10 ** 6, "order_no": ZERO_ORDER_NO,
                "province": province, "city": city, "district": district, "address_detail": "清水河镇1号",
                "tracking_no": None, "shipped_at": None, "completed_at": None, "closed_at": None,
                "status": "paid", "lines": [{**template["lines"][0], "id": 9_000_011}]}
        apply_changes(engine, "orders", [{"op": "upsert", "seq": zero["seq"], "item": zero}],
                      next_cursor="c-orders-0011-2")
        remarks.save_remark(engine, REMARKED_ORDER_ID, text=WAITING_MEMO, flag=2, reason="", agent_no="1024",
                           now=datetime(2026, 12, 1, 8, 0, tzinfo=timezone.utc))
        answers = {q: [(r.id, r.order_no, r.province + r.city + r.district) for r in search_orders(engine, q, limit=500)]
                   for q in queries(orders)}
        out.with_suffix(".json").write_text(json.dumps(answers, ensure_ascii=False, indent=0), encoding="utf-8")
    finally:
        cache.close()


def main() -> None:
    with tempfile.TemporaryDirectory(prefix="cache-v0011-") as src:
        tar = subprocess.run(["git", "-C", str(ROOT), "archive", SOURCE_COMMIT, "workstation", "storeserver"],
                             check=True, capture_output=True).stdout
        tarfile.open(fileobj=io.BytesIO(tar)).extractall(src)
        tmp = OUT.with_suffix(".tmp")
        for p in (tmp, Path(f"{tmp}-wal"), Path(f"{tmp}-shm")):
            p.unlink(missing_ok=True)
        env = {**os.environ, "PYTHONPATH": src}
        subprocess.run([sys.executable, "-c", f"import sys; sys.path[:0] = [{src!r}, {str(ROOT)!r}]; "
                        "from tests.data.make_cache_v0011 import build; from pathlib import Path; "
                        f"build(Path({str(tmp)!r}))"], check=True, env=env, cwd=src)
    con = sqlite3.connect(tmp)
    assert con.execute("SELECT version_num FROM alembic_version").fetchone()[0] == REVISION
    assert con.execute("SELECT count(*) FROM orders").fetchone()[0] == N_ORDERS + 1
    assert con.execute("SELECT count(*) FROM outbox WHERE status = 'pending'").fetchone()[0] == 1
    assert con.execute("SELECT typeof(order_no) FROM orders LIMIT 1").fetchone()[0] == "integer"
    assert con.execute("SELECT n FROM orders_count").fetchone()[0] == N_ORDERS + 1
    con.execute("PRAGMA journal_mode=DELETE")
    con.execute("VACUUM")  # a smaller file to check in; the rows are the release's
    con.close()
    tmp.replace(OUT)
    tmp.with_suffix(".json").replace(ANSWERS)
    print(f"wrote {OUT} ({OUT.stat().st_size} bytes, revision {REVISION})")


if __name__ == "__main__":
    main()
