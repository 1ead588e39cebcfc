"""Side-by-side views of the server's data and the cache file, for equality checks.

The server side is read straight from its database (storeserver.streams, no HTTP); the cache
side with plain sqlite3 on the cache file, so neither view depends on the code under test.
"""
from __future__ import annotations

import json
import sqlite3
from pathlib import Path

from storeserver import streams
from workstation.models import timefmt
from workstation.models.schema import order_number

EVERYTHING = 2 ** 62
ADDRESS_KEYS = ("receiver", "phone", "province", "city", "district", "detail")
STATUS_CODES = ("completed", "closed", "refunded", "shipped", "paid", "refunding", "documents_made", "unpaid")
PAYMENT_CODES = ("online", "cod")
STREAMS = ("warehouses", "products", "stock", "buyers", "orders")


def _t(value) -> str | None:
    return timefmt.to_db(value)


def _server_key(stream: str, e: dict) -> tuple:
    if stream == "warehouses":
        return (e["seq"], e["name"], e["code"])
    if stream == "products":
        skus = tuple(sorted((s["id"], s["outer_id"], s["colour"], s["size"], s["page_price_cents"])
                            for s in e["skus"]))
        return (e["seq"], e["style_no"], e["name"], e["category"], e["page_price_cents"], skus)
    if stream == "stock":
        return (e["seq"], e["sku_id"], e["warehouse_id"], e["qty"], e["reserved"], e["page_qty"])
    if stream == "remarks":
        return (e["seq"], e["order_id"], e["version"], e["text"], e["flag"], e["reason"],
                e["agent_no"], _t(e["created_at"]), e["mutation_id"])
    if stream == "buyers":
        addresses = e["addresses"] if isinstance(e["addresses"], list) else json.loads(e["addresses"])
        return (e["seq"], e["nick"], e["name"], e["phone"], e["member_level"],
                _t(e["first_order_at"]), json.dumps(addresses, ensure_ascii=False, sort_keys=True))
    lines = tuple(sorted((ln["id"], ln["sku_id"], ln["outer_id"], ln["qty"], ln["unit_price_cents"])
                         for ln in e["lines"]))
    return (e["seq"], e["order_no"], e["buyer_id"], e["status"], e["payment_method"],
            e["total_cents"], e["receiver_name"], e["receiver_phone"], e["province"], e["city"],
            e["district"], e["address_detail"],
            e["carrier"], e["tracking_no"], _t(e["created_at"]), _t(e["paid_at"]),
            _t(e["shipped_at"]), _t(e["closed_at"]), e["remark"], e["remark_flag"], e["remark_version"],
            lines)


def server_view(engine, shop_id: int) -> dict[str, dict[int, tuple]]:
    with engine.connect() as conn:
        return {s: {e["id"]: _server_key(s, e)
                    for e in streams.snapshot_items(conn, s, shop_id, EVERYTHING, None, 10 ** 9)}
                for s in STREAMS}


def cache_view(path: Path) -> dict[str, dict[int, tuple]]:
    db = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    db.row_factory = sqlite3.Row
    try:
        out: dict[str, dict[int, tuple]] = {}
        out["warehouses"] = {r["id"]: _server_key("warehouses", dict(r))
                             for r in db.execute("SELECT * FROM warehouses")}
        skus: dict[int, list[dict]] = {}
        for r in db.execute("SELECT * FROM skus"):
            skus.setdefault(r["product_id"], []).append(dict(r))
        out["products"] = {r["id"]: _server_key("products", {**dict(r), "skus": skus.get(r["id"], [])})
                           for r in db.execute("SELECT * FROM products")}
        out["stock"] = {r["id"]: _server_key("stock", dict(r)) for r in db.execute("SELECT * FROM stock")}
        # 0009: addresses as arrays in ADDRESS_KEYS order (docs/CLIENT-API.md), times as seconds
        out["buyers"] = {r["id"]: _server_key("buyers", {**dict(r), "addresses": [
            dict(zip(ADDRESS_KEYS, a)) for a in json.loads(r["addresses"])]})
            for r in db.execute("SELECT * FROM buyers")}
        out["remarks"] = {r["id"]: _server_key("remarks", dict(r))
                          for r in db.execute("SELECT * FROM remark_history")}
        lines: dict[int, list[dict]] = {}
        for r in db.execute("SELECT l.id, l.order_id, l.qty, l.unit_price_cents, i.sku_id, i.style_no, "
                            "i.product_name, i.colour, i.size, i.outer_id "
                            "FROM order_lines AS l JOIN sold_items AS i ON i.id = l.item_id"):
            lines.setdefault(r["order_id"], []).append(dict(r))
        # 0009: status and payment method as their codes; 0010: the number an integer, the
        # place a row of `places` (docs/CLIENT-API.md)
        out["orders"] = {r["id"]: _server_key("orders", {**dict(r), "lines": lines.get(r["id"], []),
                                                          "order_no": order_number(r["order_no"]),
                                                          "status": STATUS_CODES[r["status"]],
                                                          "payment_method": PAYMENT_CODES[r["payment_method"]]})
                         for r in db.execute("SELECT o.*, p.province, p.city, p.district FROM orders AS o "
                                             "JOIN places AS p ON p.id = o.place_id")}
        # Lines must belong to a cached order: a deleted order may not leave orphans behind.
        orphans = set(lines) - set(out["orders"])
        assert not orphans, f"order lines without an order: {sorted(orphans)[:10]}"
        return out
    finally:
        db.close()


def assert_cache_equals_server(engine, shop_id: int, cache_path: Path) -> None:
    server, cache = server_view(engine, shop_id), cache_view(cache_path)
    for stream in STREAMS:
        s, c = server[stream], cache[stream]
        missing, extra = sorted(set(s) - set(c)), sorted(set(c) - set(s))
        assert not missing and not extra, (
            f"{stream}: {len(missing)} missing (e.g. {missing[:5]}), {len(extra)} extra (e.g. {extra[:5]})")
        differ = [i for i in s if s[i] != c[i]]
        assert not differ, f"{stream}: {len(differ)} differ, e.g. id {differ[0]}:\n{s[differ[0]]}\n{c[differ[0]]}"
    assert server["orders"], "the server has no orders: the comparison would prove nothing"


def sync_state_rows(path: Path) -> dict[str, tuple]:
    db = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        return {r[0]: tuple(r[1:]) for r in db.execute(
            "SELECT stream, phase, cursor, feed_cursor, applied FROM sync_state")}
    except sqlite3.OperationalError:
        return {}  # the file is still being created
    finally:
        db.close()


def table_counts(path: Path) -> dict[str, int]:
    db = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        return {t: db.execute(f"SELECT count(*) FROM {t}").fetchone()[0]
                for t in ("warehouses", "products", "skus", "stock", "buyers", "orders", "order_lines")}
    finally:
        db.close()
