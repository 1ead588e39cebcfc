"""Order lookup latency at scale: `search_orders` against hand-written best-case SQL.

    .venv/bin/python bench/lookup.py [--orders 1000000] [--per-kind 200]

Nine kinds of query an agent types (order no., nickname fragment, receiver name, phone
last 4, address fragment, tracking no.; a 2-character Chinese word from inside a nickname
or street (柠檬, 长江); two words combined (`张伟 5678`, `5678 张伟`, `西湖区 5678`,
`tb_lily 杭州`); 6-8 characters of a tracking number from its end or middle), drawn from
the data, LIMIT 50, warm cache. The
raw side knows the kind in advance and runs the one ideal statement through plain sqlite3
on the same file, so `ratio` is what the one-box convenience (normalizing, classifying,
exact-first ranking, SQLAlchemy connection, row objects) costs. Goal: every kind p95 <= 5 ms,
max <= 20 ms at 1M orders.
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
from workstation.models import fts  # noqa: E402
from workstation.models.schema import order_number  # noqa: E402
from workstation.models.search import search_orders  # noqa: E402

LIMIT = 50
COLS = ("o.id, o.order_no, o.buyer_nick, o.receiver_name, o.receiver_phone, o.status, o.payment_method, "
        "o.total_cents, o.created_at, o.carrier, o.tracking_no, p.province, p.city, p.district")
# 0010: an order's province, city and district are a row of `places`; order_no an integer
# (a text operand of = is turned into the number by the column's affinity).
PLACE = "CROSS JOIN places AS p ON p.id = o.place_id"
ADDRESS = "(p.province || p.city || p.district || o.address_detail)"
KINDS = ("order_no", "nick", "name", "phone4", "address", "tracking", "pair", "combined", "fragment")


def _match(*tokens: str) -> str:
    return " AND ".join('"' + t.replace('"', '""') + '"' for t in dict.fromkeys(tokens))


def _tokens(q: str) -> tuple[str, str]:
    """The index and MATCH expression a hand-written query would use for text `q`."""
    if len(q) == 1:
        return "orders_fts", _match(fts.surname_token(q))
    return "orders_fts", _match(*fts.query_tokens(q))


def _raw_text(check: str = "") -> Callable[[sqlite3.Connection, str], list]:
    def run(con: sqlite3.Connection, q: str) -> list:
        table, expr = _tokens(q)
        where = f" AND instr(o.{check}, ?)" if check else ""
        sql = (f"SELECT {COLS} FROM {table} CROSS JOIN orders AS o ON o.id = {table}.rowid {PLACE} "
               f"WHERE {table} MATCH ?{where} ORDER BY {table}.rowid DESC LIMIT {LIMIT}")
        return con.execute(sql, (expr, q) if check else (expr,)).fetchall()
    return run


def _raw_eq(where: str) -> Callable[[sqlite3.Connection, str], list]:
    sql = f"SELECT {COLS} FROM orders AS o {PLACE} WHERE {where} ORDER BY o.id DESC LIMIT {LIMIT}"
    return lambda con, q: con.execute(sql, (q,)).fetchall()


def _raw_combined(con: sqlite3.Connection, q: str) -> list:
    """Two words; the raw side knows which is the phone tail (if any) and which the text."""
    a, b = q.split(" ")
    digits, text = (a, b) if a.isdigit() else (b, a) if b.isdigit() else (None, None)
    if digits:
        sql = (f"SELECT {COLS} FROM orders AS o {PLACE} WHERE o.phone_last4 = ? AND instr(o.receiver_name || "
               f"o.buyer_nick || {ADDRESS}, ?) ORDER BY o.id DESC LIMIT {LIMIT}")
        return con.execute(sql, (digits, text)).fetchall()
    table, expr = _tokens(a)
    sql = (f"SELECT {COLS} FROM {table} CROSS JOIN orders AS o ON o.id = {table}.rowid {PLACE} "
           f"WHERE {table} MATCH ? AND instr({ADDRESS}, ?) ORDER BY {table}.rowid DESC LIMIT {LIMIT}")
    return con.execute(sql, (expr, b)).fetchall()


RAW: dict[str, Callable[[sqlite3.Connection, str], list]] = {
    "order_no": _raw_eq("o.order_no = ?"),
    "nick": _raw_text("buyer_nick"),
    "name": _raw_text(),
    "phone4": _raw_eq("o.phone_last4 = ?"),
    "address": _raw_text(),
    "tracking": _raw_eq("o.tracking_no = ?"),
    "pair": _raw_text(),
    "combined": _raw_combined,
    "fragment": _raw_text("tracking_no"),
}


def _pair_inside(text: str, rng: random.Random) -> str | None:
    """Two adjacent Chinese characters from inside `text` (not its start), like 柠檬 or 长江."""
    runs = [r for r in fts.CJK_RUN.findall(text) if len(r) >= 3]
    if not runs:
        return None
    run = rng.choice(runs)
    i = rng.randint(1, len(run) - 2)
    return run[i:i + 2]


def draw_queries(con: sqlite3.Connection, per_kind: int, seed: int) -> dict[str, list[str]]:
    """Queries taken from random orders, the way an agent would type them."""
    rng = random.Random(seed)
    max_id = con.execute("SELECT max(id) FROM orders").fetchone()[0]
    out: dict[str, list[str]] = {k: [] for k in KINDS}
    while any(len(v) < per_kind for v in out.values()):
        row = con.execute("SELECT o.order_no, o.buyer_nick, o.receiver_name, o.receiver_phone, p.city, p.district, "
                          f"o.address_detail, o.tracking_no FROM orders AS o {PLACE} WHERE o.id >= ? ORDER BY o.id "
                          "LIMIT 1", (rng.randint(1, max_id),)).fetchone()
        order_no, nick, name, phone, city, district, detail, tracking = row
        order_no = order_number(order_no)
        frag_len = min(len(nick), rng.randint(4, 6))
        start = rng.randint(0, len(nick) - frag_len)
        latin = [r for r in fts.latin_runs(nick) if len(r) >= 5 and not r.isdigit()]
        combos = [f"{name} {phone[-4:]}", f"{phone[-4:]} {name}", f"{district} {phone[-4:]}"]
        if latin:
            combos.append(f"{latin[0]} {city[:2]}")
        frag = None
        if tracking:
            n = rng.randint(6, 8)
            frag = tracking[-n:] if rng.random() < 0.5 else tracking[rng.randint(2, len(tracking) - n):][:n]
        candidates = {
            "order_no": order_no,
            "nick": nick[start:start + frag_len],
            "name": name,
            "phone4": phone[-4:],
            "address": district + detail[:rng.randint(2, 4)],
            "tracking": tracking,
            "pair": _pair_inside(nick + " " + detail, rng),
            "combined": rng.choice(combos),
            "fragment": frag,
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

    by_kind: dict[str, list[float]] = {}
    all_ws: list[float] = []
    all_raw: list[float] = []
    print(f"{'kind':<10} {'n':>4} {'p50 ms':>8} {'p95 ms':>8} {'raw p50':>8} {'raw p95':>8} {'hits':>6}")
    for kind in KINDS:
        qs = queries[kind]
        ws = _time_ms(lambda q: search_orders(cache.engine, q, LIMIT), qs)
        raw = _time_ms(lambda q: RAW[kind](con, q), qs)
        hits = statistics.mean(len(search_orders(cache.engine, q, LIMIT)) for q in qs[:50])
        all_ws += ws
        by_kind[kind] = ws
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
    print(f"lookup_p95_ms={ws95:.2f} raw_p95_ms={raw95:.2f} ratio={ws95 / raw95:.2f} orders={orders} "
          f"combined_p95_ms={p(by_kind['combined'], 95):.2f} fragment_p95_ms={p(by_kind['fragment'], 95):.2f} "
          f"pair_p95_ms={p(by_kind['pair'], 95):.2f} worst_kind_p95_ms={max(p(v, 95) for v in by_kind.values()):.2f} "
          f"max_ms={max(all_ws):.2f}")


if __name__ == "__main__":
    main()
