"""Writes tests/data/cache-v0008.sqlite: a cache as Workstation left it with schema revision
0008_orders_buyer_status (the last schema storing times as text, whole order lines and
address objects), for the upgrade test of 0009.

The file is checked in. Re-run only if 0001..0008 change (released migrations are frozen):
    .venv/bin/python tests/data/make_cache_v0008.py
It is written by the 0008 release's OWN code: the `workstation` package of commit
`SOURCE_COMMIT` (the last commit at 0008) is exported with `git archive` into a temporary
folder and run from there, so every row is exactly what that release wrote. Through its
real apply path: a demo shop's first sync (400 orders newest first, their buyers, the
products they sold and their stock), then a change-feed page bringing a new order whose product was renamed on the
server since (same SKU, new name), and a remark edit waiting in the outbox with its overlay.
"""
from __future__ import annotations

import io
import os
import sqlite3
import subprocess
import sys
import tarfile
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
OUT = Path(__file__).resolve().parent / "cache-v0008.sqlite"
REVISION = "0008_orders_buyer_status"
SOURCE_COMMIT = "1ffc0624ce3394109144ca4b9751fbb81133a2eb"  # size11's base: main + issue 10, cache schema 0008
N_ORDERS = 400
RENAMED_ORDER_ID = 900_001
RENAMED_NAME = "2027新款加厚羊绒大衣女（改名后）"
WAITING_MEMO = "客户要求改地址，已电话确认"
REMARKED_ORDER_ID = 400


def build(out: Path) -> None:
    """Runs INSIDE the exported 0008 tree (see main): the old release's code only."""
    from datetime import datetime, timezone

    from storeserver.demodata import generate
    from workstation.models import db, outbox
    from workstation.models.apply import apply_changes, apply_snapshot_page

    assert db.HEAD_REVISION == REVISION, db.HEAD_REVISION
    shop = generate(N_ORDERS, seed=8)
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
                                feed_cursor=f"c-{stream}-0008", total=None)
        for start in range(0, len(orders), 150):
            page = orders[start:start + 150]
            done = start + 150 >= len(orders)
            apply_snapshot_page(engine, "orders", page, next_cursor=None if done else f"s-{start}",
                                done=done, feed_cursor="c-orders-0008", total=len(orders))
        # A newer order of the same SKU after the product was renamed on the server.
        template = next(o for o in orders if o["lines"])
        renamed = {**template, "id": RENAMED_ORDER_ID, "seq": 10 ** 6, "order_no": "261201000000900001",
                   "tracking_no": None, "shipped_at": None, "completed_at": None, "closed_at": None,
                   "status": "paid", "lines": [{**template["lines"][0], "id": 9_000_011,
                                                "product_name": RENAMED_NAME}]}
        apply_changes(engine, "orders", [{"op": "upsert", "seq": renamed["seq"], "item": renamed}],
                      next_cursor="c-orders-0008-2")
        outbox.save_remark(engine, REMARKED_ORDER_ID, text=WAITING_MEMO, flag=2, reason="", agent_no="1024",
                           now=datetime(2026, 12, 1, 8, 0, tzinfo=timezone.utc))
    finally:
        cache.close()


def main() -> None:
    with tempfile.TemporaryDirectory(prefix="cache-v0008-") as src:
        tar = subprocess.run(["git", "-C", str(ROOT), "archive", SOURCE_COMMIT, "workstation", "storeserver"],
                             check=True, capture_output=True).stdout
        tarfile.open(fileobj=io.BytesIO(tar)).extractall(src)
        tmp = OUT.with_suffix(".tmp")
        for p in (tmp, Path(f"{tmp}-wal"), Path(f"{tmp}-shm")):
            p.unlink(missing_ok=True)
        env = {**os.environ, "PYTHONPATH": src}
        subprocess.run([sys.executable, "-c", f"import sys; sys.path[:0] = [{src!r}, {str(ROOT)!r}]; "
                        "from tests.data.make_cache_v0008 import build; from pathlib import Path; "
                        f"build(Path({str(tmp)!r}))"], check=True, env=env, cwd=src)
    con = sqlite3.connect(tmp)
    assert con.execute("SELECT version_num FROM alembic_version").fetchone()[0] == REVISION
    assert con.execute("SELECT count(*) FROM orders").fetchone()[0] == N_ORDERS + 1
    assert con.execute("SELECT count(*) FROM outbox WHERE status = 'pending'").fetchone()[0] == 1
    assert con.execute("SELECT typeof(created_at) FROM orders LIMIT 1").fetchone()[0] == "text"
    con.execute("PRAGMA journal_mode=DELETE")
    con.execute("VACUUM")  # a smaller file to check in; the rows are the release's
    con.close()
    tmp.replace(OUT)
    print(f"wrote {OUT} ({OUT.stat().st_size} bytes, revision {REVISION})")


if __name__ == "__main__":
    main()
