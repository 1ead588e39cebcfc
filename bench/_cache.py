"""Shared bench helper: a cache file filled with demo data, built once and reused.

    from bench._cache import cache_file
    path = cache_file(1_000_000)          # bench/.data/cache-1000000-s1-<schema>.sqlite

Data comes from `storeserver.demodata.generate` and goes in through the real
`apply_snapshot_page`, page by page, like a first sync (then the search index is folded,
as the puller does). A file is only reused when its
build finished (it is built under a temporary name and renamed at the end) and was made
with the current file format (the name carries a hash of the migrations and of the search
index expressions, so a schema edit during development never reuses a stale file).
"""
from __future__ import annotations

import hashlib
import sys
import time
from collections.abc import Iterable, Iterator
from itertools import islice
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from workstation.models.apply import apply_snapshot_page, fold_search_index_step  # noqa: E402
from workstation.models.db import open_cache  # noqa: E402

DATA_DIR = ROOT / "bench" / ".data"
PAGE_SIZE = 5000  # the protocol's largest snapshot page


def pages(items: Iterable[dict], size: int = PAGE_SIZE) -> Iterator[list[dict]]:
    it = iter(items)
    while page := list(islice(it, size)):
        yield page


def schema_fingerprint() -> str:
    models = ROOT / "workstation" / "models"
    h = hashlib.sha256()
    for f in sorted((models / "migrations" / "versions").glob("*.py")) + [models / "fts.py"]:
        h.update(f.read_bytes())
    return h.hexdigest()[:8]


def cache_file(n_orders: int, seed: int = 1) -> Path:
    """The standard bench cache for `n_orders`, built on first use."""
    path = DATA_DIR / f"cache-{n_orders}-s{seed}-{schema_fingerprint()}.sqlite"
    return build_cache(path, n_orders, seed)


def _log(msg: str) -> None:
    print(msg, file=sys.stderr, flush=True)


def _apply_stream(engine, stream: str, items: Iterable[dict], total: int | None) -> int:
    n = 0
    page_list = pages(items)
    page = next(page_list, [])
    while True:
        following = next(page_list, None)
        done = following is None
        n += apply_snapshot_page(engine, stream, page, next_cursor=None if done else f"{stream}-{n}",
                                 done=done, feed_cursor=f"{stream}-feed", total=total).rows
        if done:
            if stream == "orders":  # as the puller does after a first load
                while fold_search_index_step(engine):
                    pass
            return n
        page = following
        if stream == "orders" and n % 100_000 < PAGE_SIZE:
            _log(f"  {stream}: {n:,}")


def build_cache(path: Path, n_orders: int, seed: int = 1) -> Path:
    """Fill `path` with a demo shop of `n_orders` orders, unless a finished build is there."""
    path = Path(path)
    if path.exists():
        return path
    from storeserver.demodata import generate

    tmp = path.with_name(path.name + ".building")
    for leftover in (tmp, Path(f"{tmp}-wal"), Path(f"{tmp}-shm")):
        leftover.unlink(missing_ok=True)
    _log(f"building {path.name} ({n_orders:,} orders), once...")
    started = time.perf_counter()
    shop = generate(n_orders, seed)
    cache = open_cache(tmp)
    try:
        for stream, items in (("warehouses", shop.warehouses()), ("products", shop.products()),
                              ("stock", shop.stock()), ("buyers", shop.buyers()),
                              ("orders", shop.orders())):
            _apply_stream(cache.engine, stream, items, n_orders if stream == "orders" else None)
        with cache.engine.connect() as conn:
            raw = conn.connection.driver_connection
            # No ANALYZE: the app never runs it, so the bench must not plan with statistics.
            raw.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    finally:
        cache.close()
    tmp.rename(path)
    _log(f"built {path.name} in {time.perf_counter() - started:.0f} s")
    return path
