"""The buyer panel's read at scale: `models.buyers.profile` + `notes` on a 1M-order cache
(bench/_cache.py; built once), for random buyers and for the shop's biggest buyers (the
demo's loyal customers have hundreds of orders), against the refund count without the
`orders(buyer_id, status)` index of migration 0008 (the same count reading each of the
buyer's order rows for its status, as before 0008; `ix_orders_buyer_id` itself is gone since
0009) in the same run.

    .venv/bin/python bench/buyer_profile.py [--orders 1000000] [--cache PATH] [--repeat 300]

Last line: `profile_p95_ms=… big_buyer_p95_ms=… refunds_p95_ms=… refunds_without_index_p95_ms=…`.
"""
from __future__ import annotations

import argparse
import random
import sqlite3
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

# Statuses are stored as codes since 0009 (schema.ORDER_STATUS).
from workstation.models.schema import ORDER_STATUS  # noqa: E402

_CODES = f"({ORDER_STATUS['refunding']}, {ORDER_STATUS['refunded']})"
REFUNDS = f"SELECT count(*) FROM orders WHERE buyer_id = ? AND status IN {_CODES}"
REFUNDS_FROM_ROWS = (f"SELECT count(*) FROM orders WHERE id IN (SELECT id FROM orders WHERE buyer_id = ?) "
                     f"AND status IN {_CODES}")


def p95(times: list[float]) -> float:
    times = sorted(times)
    return times[min(len(times) - 1, int(len(times) * 0.95))]


def timed(fn, args_list) -> list[float]:
    out = []
    for args in args_list:
        t = time.perf_counter()
        fn(*args)
        out.append((time.perf_counter() - t) * 1000)
    return out


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--orders", type=int, default=1_000_000)
    parser.add_argument("--cache", help="an existing cache file (default: the shared bench cache)")
    parser.add_argument("--repeat", type=int, default=300)
    args = parser.parse_args()

    from bench._cache import cache_file
    from workstation.models import buyers
    from workstation.models.db import open_cache

    path = Path(args.cache) if args.cache else cache_file(args.orders)
    cache = open_cache(path)  # brings an older file to the current schema (0008: the index)
    engine = cache.engine
    raw = sqlite3.connect(path)
    try:
        n_buyers = raw.execute("SELECT max(id) FROM buyers").fetchone()[0]
        big = [b for (b,) in raw.execute(
            "SELECT buyer_id FROM orders GROUP BY buyer_id ORDER BY count(*) DESC LIMIT 5")]
        rng = random.Random(1)
        some = [(rng.randint(1, n_buyers),) for _ in range(args.repeat)]
        bigs = [(big[i % len(big)],) for i in range(args.repeat)]
        buyers.profile(engine, 1)  # warm the connection pool

        def panel(bid: int) -> None:
            buyers.profile(engine, bid)
            buyers.notes(engine, bid)

        profile = timed(panel, some)
        big_buyer = timed(panel, bigs)
        with_index = timed(lambda b: raw.execute(REFUNDS, (b,)).fetchone(), bigs)
        without = timed(lambda b: raw.execute(REFUNDS_FROM_ROWS, (b,)).fetchone(), bigs)
        biggest = raw.execute("SELECT count(*) FROM orders WHERE buyer_id = ?", (big[0],)).fetchone()[0]
    finally:
        raw.close()
        cache.close()
    print(f"cache {path.name}: {n_buyers:,} buyers; the biggest buyer has {biggest} orders", file=sys.stderr)
    print(f"profile_p95_ms={p95(profile):.3f} big_buyer_p95_ms={p95(big_buyer):.3f} "
          f"refunds_p95_ms={p95(with_index):.3f} refunds_without_index_p95_ms={p95(without):.3f}")


if __name__ == "__main__":
    main()
