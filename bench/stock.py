"""Stock pane latency: style search and grid load, on the demo catalogue and on ten times it.

    .venv/bin/python bench/stock.py [--queries 400] [--grids 400] [--scale 10]

The demo generator's catalogue (the same for any order count: 200 styles, ~3,000 SKUs,
2-3 warehouses) is filled into a fresh cache file through the real apply path; a second
file holds `--scale` copies of it (new ids and style numbers), a large shop's catalogue.
Queries are drawn from the data the way agents type them: style no. prefixes, whole outer
ids, 2-3 character name fragments (typed Chinese), pinyin initials, colour + size, category.
Search = `Catalogue.search` on the loaded index (what every keystroke costs); grid =
`style_stock` of a random style (one read transaction, SQLAlchemy connection included).
Each figure is the median of 3 warm runs. Goal: p95 <= 5 ms each. The last line is
machine-readable (the demo catalogue's figures first).
"""
from __future__ import annotations

import argparse
import os
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from storeserver.demodata import generate  # noqa: E402
from tests.stock_data import fill  # noqa: E402
from workstation.models import catalogue, stock as S  # noqa: E402
from workstation.models.db import open_cache  # noqa: E402


def scaled(shop, copies: int) -> tuple[list, list, list]:
    """`copies` of the demo catalogue with fresh ids, style numbers and outer ids."""
    products, stock = [], []
    base = shop.products()
    base_stock = shop.stock()
    n_skus = sum(len(p["skus"]) for p in base)
    for k in range(copies):
        sku_map = {}
        for p in base:
            skus = []
            for s in p["skus"]:
                new_id = s["id"] + k * n_skus
                sku_map[s["id"]] = new_id
                skus.append(dict(s, id=new_id, outer_id=f"{s['outer_id']}{k:02d}" if k else s["outer_id"]))
            style_no = f"{p['style_no']}{k:02d}" if k else p["style_no"]
            products.append(dict(p, id=p["id"] + k * len(base), seq=p["seq"], style_no=style_no, skus=skus))
        for row in base_stock:
            stock.append(dict(row, id=row["id"] + k * len(base_stock), sku_id=sku_map[row["sku_id"]]))
    return shop.warehouses(), products, stock


KINDS = ("style", "outer", "name", "pinyin", "colour_size", "category")


def queries(products: list, n: int, rng: random.Random) -> list[str]:
    """`n` queries, the kinds in turn (query i is of kind KINDS[i % 6])."""
    out = []
    kinds = KINDS
    for i in range(n):
        p = rng.choice(products)
        sku = rng.choice(p["skus"])
        kind = kinds[i % len(kinds)]
        if kind == "style":
            out.append(p["style_no"][: rng.randint(4, len(p["style_no"]))])
        elif kind == "outer":
            out.append(sku["outer_id"])
        elif kind == "name":
            start = rng.randrange(0, max(1, len(p["name"]) - 3))
            out.append(p["name"][start:start + rng.randint(2, 3)])
        elif kind == "pinyin":
            initials, _ = catalogue._pinyin(p["name"])
            start = rng.randrange(0, max(1, len(initials) - 4))
            out.append(initials[start:start + rng.randint(3, 4)])
        elif kind == "colour_size":
            out.append(f"{sku['colour']} {sku['size']}")
        else:
            out.append(p["category"])
    return out


def p95(values: list[float]) -> float:
    return statistics.quantiles(values, n=20)[-1] if len(values) >= 20 else max(values)


def measure(fn, args: list) -> list[float]:
    times = []
    for a in args:
        runs = []
        for _ in range(3):
            t = time.perf_counter()
            fn(a)
            runs.append((time.perf_counter() - t) * 1000)
        times.append(statistics.median(runs))
    return times


def run(label: str, path: Path, catalogue_rows, n_queries: int, n_grids: int, rng: random.Random) -> tuple[float, float]:
    warehouses, products, stock = catalogue_rows
    cache = open_cache(path)
    try:
        t = time.perf_counter()
        fill(cache.engine, warehouses, products, stock)
        fill_s = time.perf_counter() - t
        cat = catalogue.Catalogue()
        t = time.perf_counter()
        cat.load(cache.engine)
        load_ms = (time.perf_counter() - t) * 1000
        qs = queries(products, n_queries, rng)
        hits = [len(cat.search(q)) for q in qs]
        search = measure(lambda q: cat.search(q, 50), qs)
        ids = [rng.choice(products)["id"] for _ in range(n_grids)]
        S.style_stock(cache.engine, ids[0])  # first use: the page-column check
        grid = measure(lambda pid: S.style_stock(cache.engine, pid), ids)
        subs = measure(lambda sid: S.find_substitutes(cache.engine, sid),
                       [rng.choice(rng.choice(products)["skus"])["id"] for _ in range(max(20, n_grids // 4))])
        n_skus = sum(len(p["skus"]) for p in products)
        print(f"{label}: {len(products)} styles, {n_skus} SKUs, {len(stock)} stock rows "
              f"(filled in {fill_s:.1f} s); index load {load_ms:.0f} ms")
        print(f"  search: p50 {statistics.median(search):.3f} ms  p95 {p95(search):.3f} ms  max {max(search):.3f} ms"
              f"  ({n_queries} queries, {sum(1 for h in hits if h) / len(hits):.0%} with results)")
        by_kind = "  ".join(f"{k} {p95(search[i::len(KINDS)]):.2f}" for i, k in enumerate(KINDS))
        print(f"  search p95 by kind (ms): {by_kind}")
        print(f"  grid:   p50 {statistics.median(grid):.3f} ms  p95 {p95(grid):.3f} ms  max {max(grid):.3f} ms")
        print(f"  substitutes: p50 {statistics.median(subs):.3f} ms  p95 {p95(subs):.3f} ms")
        return p95(search), p95(grid)
    finally:
        cache.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--queries", type=int, default=400)
    parser.add_argument("--grids", type=int, default=400)
    parser.add_argument("--scale", type=int, default=10)
    args = parser.parse_args()
    print(f"load average: {os.getloadavg()[0]:.2f} {os.getloadavg()[1]:.2f} {os.getloadavg()[2]:.2f} "
          f"on {os.cpu_count()} cores (shared machine: figures are noisy)")
    rng = random.Random(8)
    shop = generate(0, seed=1)
    with tempfile.TemporaryDirectory(prefix="bench-stock-") as tmp:
        demo = run("demo catalogue", Path(tmp) / "demo.sqlite",
                   (shop.warehouses(), shop.products(), shop.stock()), args.queries, args.grids, rng)
        big = run(f"{args.scale}x catalogue", Path(tmp) / "big.sqlite", scaled(shop, args.scale),
                  args.queries, args.grids, rng)
    print(f"stock_search_p95_ms={demo[0]:.3f} grid_p95_ms={demo[1]:.3f} "
          f"stock_search_{args.scale}x_p95_ms={big[0]:.3f} grid_{args.scale}x_p95_ms={big[1]:.3f}")


if __name__ == "__main__":
    main()
