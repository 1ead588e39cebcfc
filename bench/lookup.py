"""Order lookup latency at scale: `search_orders` against hand-written best-case SQL.

    .venv/bin/python bench/lookup.py [--orders 1000000] [--per-kind 200]

Six kinds of query an agent types (order no., nickname fragment, receiver name, phone
last 4, address fragment, tracking no.), drawn from the data, LIMIT 50, warm cache. The
raw side knows the kind in advance and runs the one ideal statement through plain sqlite3
on the same file, so `ratio` is what the one-box convenience (normalizing, classifying,
exact-first ranking, SQLAlchemy connection, row objects) costs. Goal: p95 <= 10 ms.
Each query's time is the median of 3 warm runs (the bench machine is shared).
The last line is machine-readable.
"""
from __future__ import annotations

import argparse
import random
import sqlite3
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench._cache import cache_file  # noqa: E402
from workstation.models.db import open_cache  # noqa: E402
from workstation.models.search import search_orders  # noqa: E402

LIMIT = 50
COLS = ("id, order_no, buyer_nick, receiver_name, receiver_phone, status, payment_method, total_cents, "
        "created_at, carrier, tracking_no, province, city, district")
KINDS = ("order_no", "nick", "name", "phone4", "address", "tracking")


def _fts(column: str, text: str) -> str:
    return f'{{{column}}} : "{text}"'


def _raw_fts(table: str, expr_of: Callable[[str], str]) -> Callable[[sqlite3.Connection, str], list]:
    sql = (f"SELECT {COLS} FROM orders WHERE id IN (SELECT rowid FROM {table} WHERE {table} MATCH ? "
           f"ORDER BY rowid DESC LIMIT {LIMIT}) ORDER BY id DESC")
    return lambda con, q: con.execute(sql, (expr_of(q),)).fetchall()


def _raw_eq(where: str) -> Callable[[sqlite3.Connection, str], list]:
    sql = f"SELECT {COLS} FROM orders WHERE {where} ORDER BY id DESC LIMIT {LIMIT}"
    return lambda con, q: con.execute(sql, (q,)).fetchall()


_raw_name3 = _raw_fts("orders_fts", lambda q: _fts("receiver_name", q))
_raw_name2 = _raw_fts("orders_short", lambda q: f'"{q}"')
RAW: dict[str, Callable[[sqlite3.Connection, str], list]] = {
    "order_no": _raw_eq("order_no = ?"),
    "nick": _raw_fts("orders_fts", lambda q: _fts("buyer_nick", q)),
    "name": lambda con, q: (_raw_name3 if len(q) >= 3 else _raw_name2)(con, q),
    "phone4": _raw_eq("phone_last4 = ?"),
    "address": _raw_fts("orders_fts", lambda q: _fts("address", q)),
    "tracking": _raw_eq("tracking_no = ?"),
}


def draw_queries(con: sqlite3.Connection, per_kind: int, seed: int) -> dict[str, list[str]]:
    """Queries taken from random orders, the way an agent would type them."""
    rng = random.Random(seed)
    max_id = con.execute("SELECT max(id) FROM orders").fetchone()[0]
    out: dict[str, list[str]] = {k: [] for k in KINDS}
    while any(len(v) < per_kind for v in out.values()):
        row = con.execute("SELECT order_no, buyer_nick, receiver_name, receiver_phone, district, "
                          "address_detail, tracking_no FROM orders WHERE id >= ? ORDER BY id LIMIT 1",
                          (rng.randint(1, max_id),)).fetchone()
        order_no, nick, name, phone, district, detail, tracking = row
        frag_len = min(len(nick), rng.randint(4, 6))
        start = rng.randint(0, len(nick) - frag_len)
        candidates = {
            "order_no": order_no,
            "nick": nick[start:start + frag_len],
            "name": name,
            "phone4": phone[-4:],
            "address": district + detail[:rng.randint(2, 4)],
            "tracking": tracking,
        }
        for kind, q in candidates.items():
            if q and len(out[kind]) < per_kind:
                out[kind].append(q)
    return out


def _time_ms(fn: Callable[[str], object], queries: list[str], repeats: int = 3) -> list[float]:
    """Per query, the median of `repeats` warm runs: the machine is shared, and one
    scheduler hiccup should not count as the query's latency."""
    for q in queries:  # warm the page cache for these very queries
        fn(q)
    times = []
    for q in queries:
        runs = []
        for _ in range(repeats):
            t0 = time.perf_counter()
            fn(q)
            runs.append((time.perf_counter() - t0) * 1000)
        times.append(statistics.median(runs))
    return times


def p(values: list[float], pct: float) -> float:
    return statistics.quantiles(values, n=100, method="inclusive")[int(pct) - 1] if len(values) > 1 else values[0]


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--orders", type=int, default=1_000_000)
    ap.add_argument("--per-kind", type=int, default=200)
    ap.add_argument("--seed", type=int, default=7)
    args = ap.parse_args(argv)

    path = cache_file(args.orders)
    cache = open_cache(path)
    con = sqlite3.connect(path)
    con.execute("PRAGMA mmap_size=268435456")
    con.execute("PRAGMA cache_size=-32768")
    orders = con.execute("SELECT count(*) FROM orders").fetchone()[0]
    queries = draw_queries(con, args.per_kind, args.seed)

    all_ws: list[float] = []
    all_raw: list[float] = []
    print(f"{'kind':<10} {'n':>4} {'p50 ms':>8} {'p95 ms':>8} {'raw p50':>8} {'raw p95':>8} {'hits':>6}")
    for kind in KINDS:
        qs = queries[kind]
        ws = _time_ms(lambda q: search_orders(cache.engine, q, LIMIT), qs)
        raw = _time_ms(lambda q: RAW[kind](con, q), qs)
        hits = statistics.mean(len(search_orders(cache.engine, q, LIMIT)) for q in qs[:50])
        all_ws += ws
        all_raw += raw
        print(f"{kind:<10} {len(qs):>4} {p(ws, 50):>8.2f} {p(ws, 95):>8.2f} {p(raw, 50):>8.2f} "
              f"{p(raw, 95):>8.2f} {hits:>6.1f}")
        if kind == "name":
            two = [q for q in qs if len(q) == 2]
            if two:
                ws2 = _time_ms(lambda q: search_orders(cache.engine, q, LIMIT), two)
                raw2 = _time_ms(lambda q: RAW[kind](con, q), two)
                print(f"{'  2-char':<10} {len(two):>4} {p(ws2, 50):>8.2f} {p(ws2, 95):>8.2f} "
                      f"{p(raw2, 50):>8.2f} {p(raw2, 95):>8.2f}")
    cache.close()
    con.close()
    ws95, raw95 = p(all_ws, 95), p(all_raw, 95)
    print(f"lookup_p95_ms={ws95:.2f} raw_p95_ms={raw95:.2f} ratio={ws95 / raw95:.2f} orders={orders}")


if __name__ == "__main__":
    main()
