"""First-sync throughput: a storeserver process on loopback -> HTTP -> the workstation's cache.

    .venv/bin/python bench/ingest.py --orders 100000

1. Seeds (once; reused from bench/.data/, gitignored) a storeserver SQLite DB with demo data.
2. Builds the shop's cache file (PROTOCOL.md, "Cache files") as a server does, with
   `python -m storeserver build-cache-files` in a subprocess: its time and size.
3. Serves the DB with `python -m storeserver serve --cache-files` in a SUBPROCESS (as in
   production the server does not share the client's GIL) and runs `Puller.run_once()` into
   a fresh cache: a new agent's first sync, orders/s end to end (the big streams from the
   cache file, the rest in pages). Then the same first sync page by page, into another fresh
   cache: the baseline of the same run.
4. Stage by stage over the orders stream's pages: HTTP fetch of raw pages, validation
   (`wire.parse_snapshot_page`), and `apply_snapshot_page` into a fresh cache, against raw
   sqlite3 `executemany` of the same rows into the same tables of a fresh cache (same
   per-page transactions; plain INSERTs, so the ratio shows what the seq guards, the search
   indexing and the cursor bookkeeping of `apply` cost).

   With `--parts`, the apply stage's time per order split into its parts: making the
   search tokens, FTS5 storing them, the orders' B-tree indexes, and the rest.
5. The size of the first-synced cache per order, by part (orders, lines, buyers, the search
   index, B-tree indexes), after a WAL checkpoint.

Last line: `ingest_orders_per_s=... raw_rows_per_s=... apply_ratio=... cache_bytes_per_order=...
search_index_bytes_per_order=... vacuumed_bytes_per_order=... paged_orders_per_s=...
file_speedup=... file_build_s=... file_bytes_per_order=...` where apply_ratio = apply rows/s /
raw rows/s (rows = orders + order lines), paged_orders_per_s the page-by-page first sync,
file_speedup = its time / the cache file's, file_build_s the server's build (once per shop,
for all its agents) and file_bytes_per_order the download.
"""
from __future__ import annotations

import argparse
import json
import os
import queue
import re
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import requests  # noqa: E402

from workstation.models.apply import apply_snapshot_page  # noqa: E402
from workstation.models.db import open_cache  # noqa: E402
from workstation.sync import wire  # noqa: E402
from workstation.sync.client import StoreClient  # noqa: E402
from workstation.sync.puller import Puller  # noqa: E402

DATA = Path(__file__).resolve().parent / ".data"


def seeded_db(n_orders: int, seed: int) -> Path:
    """A storeserver SQLite file with `n_orders` demo orders, built once and reused."""
    path = DATA / f"store-{n_orders}-s{seed}.sqlite3"
    marker = path.with_suffix(".ok")
    if marker.exists() and path.exists():
        return path
    DATA.mkdir(parents=True, exist_ok=True)
    for p in (path, Path(f"{path}-wal"), Path(f"{path}-shm")):
        p.unlink(missing_ok=True)
    from storeserver import db as sdb
    from storeserver.seed import seed_demo

    print(f"seeding {n_orders} orders into {path} (once) ...", flush=True)
    t0 = time.perf_counter()
    engine = sdb.make_engine(f"sqlite:///{path}")
    if not sdb.has_schema(engine):
        sdb.upgrade(engine)
    seed_demo(engine, n_orders, seed=seed)
    engine.dispose()
    marker.write_text("ok\n")
    print(f"  seeded in {time.perf_counter() - t0:.1f} s", flush=True)
    return path


class Server:
    """`python -m storeserver serve` on a free loopback port."""

    def __init__(self, db_path: Path, cache_files: Path | None = None) -> None:
        env = {**os.environ, "PYTHONPATH": str(ROOT), "PYTHONUNBUFFERED": "1"}
        files = ["--cache-files", str(cache_files)] if cache_files is not None else []
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "storeserver", "serve", "--database-url", f"sqlite:///{db_path}",
             "--host", "127.0.0.1", "--port", "0", *files],
            cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        lines: queue.Queue[str | None] = queue.Queue()
        threading.Thread(target=self._pump, args=(lines,), daemon=True).start()
        self.url = self._await_url(lines)

    def _pump(self, lines: "queue.Queue[str | None]") -> None:
        assert self.proc.stdout is not None
        for line in self.proc.stdout:
            lines.put(line)
        lines.put(None)

    def _await_url(self, lines: "queue.Queue[str | None]") -> str:
        seen = []
        while True:
            line = lines.get(timeout=120)
            if line is None:
                raise SystemExit("storeserver exited:\n" + "".join(seen))
            seen.append(line)
            m = re.search(r"storeserver listening on (http://\S+)", line)
            if m:
                return m.group(1).rstrip("/")

    def stop(self) -> None:
        self.proc.terminate()
        try:
            self.proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait(timeout=30)


def _cpu_seconds(pid: int) -> float | None:
    """User+system CPU of a process (Linux /proc); None elsewhere."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    except (OSError, ValueError, IndexError):
        return None


def cache_size(path: Path, orders: int) -> tuple[float, float, float]:
    """(bytes per order of the whole file, of the search index, of the file after VACUUM),
    printing the parts. Snapshot pages arrive newest first (ids walking down), and B-tree
    pages filled from the left split half full: VACUUM shows what that costs."""
    con = sqlite3.connect(path)
    try:
        con.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        parts = con.execute(
            "SELECT CASE WHEN name LIKE 'orders_fts%' THEN 'search index (orders_fts*)' "
            "WHEN name LIKE 'ix_%' OR name LIKE 'sqlite_autoindex%' THEN 'b-tree indexes' ELSE name END, "
            "sum(pgsize) FROM dbstat GROUP BY 1 ORDER BY 2 DESC").fetchall()
    finally:
        con.close()
    total = path.stat().st_size
    print(f"cache size: {total / 1e6:.1f} MB, {total / orders:.0f} bytes/order")
    for name, size in parts[:8]:
        print(f"  {name:<28} {size / orders:>6.0f} bytes/order")
    con = sqlite3.connect(path)
    try:
        con.execute("VACUUM")
    finally:
        con.close()
    packed = path.stat().st_size
    print(f"  after VACUUM: {packed / 1e6:.1f} MB, {packed / orders:.0f} bytes/order")
    return (total / orders, sum(size for name, size in parts if name.startswith("search")) / orders,
            packed / orders)


def end_to_end(url: str, work: Path, page_size: int, server_pid: int, *, use_file: bool = True,
               name: str = "e2e") -> tuple[int, float, Path]:
    path = work / f"{name}.sqlite3"
    cache = open_cache(path)
    client = StoreClient(url)
    client.login("demo", "demo")
    server_cpu0, cpu0 = _cpu_seconds(server_pid), time.process_time()
    t0 = time.perf_counter()
    puller = Puller(client, cache.writer, page_size=page_size)
    puller.use_cache_file = use_file
    summary = puller.run_once()
    elapsed = time.perf_counter() - t0
    cpu, server_cpu1 = time.process_time() - cpu0, _cpu_seconds(server_pid)
    cache.close()
    orders = summary.streams["orders"].items
    for stream, s in summary.streams.items():
        how = "from the cache file" if s.from_file else f"in {s.snapshot_pages + s.feed_pages} pages"
        print(f"  {stream:<10} {s.items:>9} rows {how}")
    print(f"end to end ({'cache file' if use_file else 'pages only'}): {orders} orders ({summary.items} rows, "
          f"{summary.pages} pages) in {elapsed:.2f} s wall")
    if use_file and not summary.streams["orders"].from_file:
        raise SystemExit("the first sync did not use the cache file")
    # CPU time tells what the code costs when the machine is shared (wall time does not).
    server_cpu = (f"{server_cpu1 - server_cpu0:.2f} s" if server_cpu0 is not None
                  and server_cpu1 is not None else "n/a")
    print(f"  cpu: client {cpu:.2f} s ({orders / cpu:,.0f} orders per client cpu-second), "
          f"server {server_cpu}; load average {_loadavg()}")
    return orders, elapsed, path


def build_cache_file(db_path: Path, directory: Path) -> tuple[float, int]:
    """`storeserver build-cache-files` (as a server runs it, in a process of its own):
    (seconds, bytes of the gzipped file)."""
    shutil.rmtree(directory, ignore_errors=True)
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    t0 = time.perf_counter()
    out = subprocess.run([sys.executable, "-m", "storeserver", "build-cache-files", "--database-url",
                          f"sqlite:///{db_path}", "--cache-files", str(directory), "--min-orders", "1"],
                         cwd=ROOT, env=env, capture_output=True, text=True, check=True)
    elapsed = time.perf_counter() - t0
    print(out.stdout.strip())
    (desc,) = directory.glob("shop-*.json")
    return elapsed, json.loads(desc.read_text())["bytes"]


def _loadavg() -> str:
    try:
        return " ".join(f"{x:.1f}" for x in os.getloadavg()) + f" on {os.cpu_count()} cpus"
    except OSError:
        return "n/a"


def fetch_raw_pages(url: str, page_size: int) -> tuple[list[bytes], float]:
    """The orders snapshot as raw HTTP bodies (validated only to follow the cursors)."""
    client = StoreClient(url)
    token = client.login("demo", "demo").token
    session = requests.Session()
    session.headers["Authorization"] = f"Bearer {token}"
    bodies, cursor, fetch_s = [], None, 0.0
    while True:
        params = {"limit": page_size} if cursor is None else {"cursor": cursor, "limit": page_size}
        t0 = time.perf_counter()
        resp = session.get(f"{url}/api/v1/sync/orders/snapshot", params=params, timeout=(3, 60))
        resp.raise_for_status()
        body = resp.content
        fetch_s += time.perf_counter() - t0
        bodies.append(body)
        page = wire.parse_snapshot_page("orders", body)
        if page.done:
            return bodies, fetch_s
        cursor = page.next_cursor


ROUNDS = 2  # apply and raw alternate, best of each: a shared machine's noise hits both alike


def stage_figures(bodies: list[bytes], work: Path, *, parts: bool = False) -> tuple[float, float]:
    t0 = time.perf_counter()
    pages = [wire.parse_snapshot_page("orders", b) for b in bodies]
    validate_s = time.perf_counter() - t0
    n_orders = sum(len(p.items) for p in pages)
    n_rows = n_orders + sum(len(o["lines"]) for p in pages for o in p.items)
    print(f"validate: {n_orders / validate_s:,.0f} orders/s ({validate_s:.2f} s, "
          f"{sum(map(len, bodies)) / n_orders:.0f} bytes/order)")
    batches = _raw_batches(pages)
    apply_s = raw_s = float("inf")
    for i in range(ROUNDS):
        apply_s = min(apply_s, _time_apply(pages, work / f"apply{i}.sqlite3"))
        raw_s = min(raw_s, _time_raw(batches, work / f"raw{i}.sqlite3"))
    apply_rps, raw_rps = n_rows / apply_s, n_rows / raw_s
    if parts:
        apply_parts(pages, work, n_orders, apply_s)
    print(f"apply:    {apply_rps:,.0f} rows/s ({n_orders / apply_s:,.0f} orders/s, {apply_s:.2f} s, "
          f"best of {ROUNDS})")
    print(f"raw:      {raw_rps:,.0f} rows/s ({raw_s:.2f} s; plain INSERT executemany of the same "
          f"rows into the same tables, per-page transactions; no guards, no search indexing)")
    return apply_rps, raw_rps


def apply_parts(pages: list, work: Path, n_orders: int, apply_s: float) -> None:
    """What the apply stage spends per order on each part (`--parts`; two more applies).
    The search index's part is split into making the tokens (Python, timed alone) and
    FTS5 storing them (apply into a cache whose `orders_fts` is a plain table taking the
    same rows, so the rest of apply is unchanged); the B-tree part is apply into a cache
    without the orders' four secondary indexes. One round each: read them as shares."""
    from workstation.models import fts

    us = 1e6 / n_orders
    t0 = time.perf_counter()
    for p in pages:
        for o in p.items:
            fts.item_tokens(o)
    tokens_s = time.perf_counter() - t0

    def plain_tokens(db: sqlite3.Connection) -> None:
        db.execute("DROP TABLE orders_fts")
        db.execute("CREATE TABLE orders_fts (tokens TEXT)")  # apply inserts (rowid, tokens) as into FTS5

    def no_btrees(db: sqlite3.Connection) -> None:
        for (name,) in db.execute("SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = 'orders' "
                                  "AND name LIKE 'ix_%'").fetchall():
            db.execute(f"DROP INDEX {name}")

    without_fts5 = _time_apply(pages, work / "parts-fts.sqlite3", prepare=plain_tokens)
    without_btrees = _time_apply(pages, work / "parts-ix.sqlite3", prepare=no_btrees)
    fts5_s, btree_s = apply_s - without_fts5, apply_s - without_btrees
    print(f"apply parts (us/order): all {apply_s * us:.1f} = search tokens {tokens_s * us:.1f} + "
          f"FTS5 storing them {fts5_s * us:.1f} + orders' 4 B-tree indexes {btree_s * us:.1f} + "
          f"the rest {(apply_s - tokens_s - fts5_s - btree_s) * us:.1f} (rows, lines, guards, commits)")


def _time_apply(pages: list, path: Path, prepare: Callable[[sqlite3.Connection], None] | None = None) -> float:
    open_cache(path).close()
    if prepare is not None:  # a variant of the schema (apply_parts)
        db = sqlite3.connect(path)
        prepare(db)
        db.commit()
        db.close()
    cache = open_cache(path)
    t0 = time.perf_counter()
    for p in pages:
        apply_snapshot_page(cache.engine, "orders", p.items, next_cursor=p.next_cursor,
                            done=p.done, feed_cursor=p.feed_cursor, total=p.total)
    elapsed = time.perf_counter() - t0
    cache.close()
    return elapsed


# The cache's orders columns carry the wire field names (models.schema), but for the place
# (0010: province, city and district interned in `places`; the raw side numbers them in
# Python and inserts a page's new ones with the page); a line stores its id, order, item
# (0009: what it sold, interned in sold_items; the raw side takes the SKU id as a stand-in
# and skips the interning), qty and price.
PLACE_FIELDS = ("province", "city", "district")
ORDER_COLS = [k for k in wire.Order.__annotations__ if k != "lines" and k not in PLACE_FIELDS]
LINE_COLS = ["id", "order_id", "item_id", "qty", "unit_price_cents"]
Batch = tuple[list[tuple], list[tuple], list[tuple]]


def _raw_batches(pages: list) -> list[Batch]:
    places: dict[tuple, int] = {}
    out = []
    for p in pages:
        new = []
        for o in p.items:
            key = (o["province"], o["city"], o["district"])
            if key not in places:
                places[key] = len(places) + 1
                new.append((places[key], *key))
        out.append((new, [(*(o[k] for k in ORDER_COLS), places[(o["province"], o["city"], o["district"])])
                          for o in p.items],
                    [(ln["id"], o["id"], ln["sku_id"], ln["qty"], ln["unit_price_cents"])
                     for o in p.items for ln in o["lines"]]))
    return out


def _time_raw(batches: list[Batch], path: Path) -> float:
    open_cache(path).close()  # the same schema as the apply target
    db = sqlite3.connect(path, isolation_level=None)
    db.execute("PRAGMA journal_mode=WAL")
    db.execute("PRAGMA synchronous=NORMAL")
    order_sql = (f"INSERT INTO orders ({', '.join(ORDER_COLS)}, place_id) "
                 f"VALUES ({', '.join('?' * (len(ORDER_COLS) + 1))})")
    line_sql = f"INSERT INTO order_lines ({', '.join(LINE_COLS)}) VALUES ({', '.join('?' * len(LINE_COLS))})"
    place_sql = "INSERT INTO places (id, province, city, district) VALUES (?, ?, ?, ?)"
    t0 = time.perf_counter()
    for place_rows, order_rows, line_rows in batches:
        db.execute("BEGIN IMMEDIATE")
        db.executemany(place_sql, place_rows)
        db.executemany(order_sql, order_rows)
        db.executemany(line_sql, line_rows)
        db.execute("COMMIT")
    elapsed = time.perf_counter() - t0
    db.close()
    return elapsed


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--orders", type=int, default=100_000)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--page-size", type=int, default=1000)
    ap.add_argument("--parts", action="store_true",
                    help="also split the apply stage's time per order into its parts (two more applies)")
    args = ap.parse_args()

    db_path = seeded_db(args.orders, args.seed)
    with tempfile.TemporaryDirectory(prefix="ingest-bench-") as tmp:
        work = Path(tmp)
        print("building the shop's cache file (server side, once per shop) ...", flush=True)
        build_s, file_bytes = build_cache_file(db_path, work / "cache-files")
        server = Server(db_path, cache_files=work / "cache-files")
        try:
            orders, elapsed, synced = end_to_end(server.url, work, args.page_size, server.proc.pid)
            per_order, index_per_order, packed_per_order = cache_size(synced, orders)
            # The baseline, in the same run: the same first sync page by page.
            paged_orders, paged_s, _ = end_to_end(server.url, work, args.page_size, server.proc.pid,
                                                  use_file=False, name="paged")
            bodies, fetch_s = fetch_raw_pages(server.url, args.page_size)
            print(f"fetch:    {orders / fetch_s:,.0f} orders/s over HTTP ({fetch_s:.2f} s, "
                  f"{len(bodies)} pages)")
            apply_rps, raw_rps = stage_figures(bodies, work, parts=args.parts)
        finally:
            server.stop()
    assert paged_orders == orders
    print(f"cache file: built in {build_s:.1f} s on the server, {file_bytes / 1e6:.1f} MB "
          f"({file_bytes / orders:.0f} bytes/order) downloaded; first sync {elapsed:.2f} s vs "
          f"{paged_s:.2f} s page by page")
    print(f"ingest_orders_per_s={orders / elapsed:.0f} raw_rows_per_s={raw_rps:.0f} "
          f"apply_ratio={apply_rps / raw_rps:.2f} cache_bytes_per_order={per_order:.0f} "
          f"search_index_bytes_per_order={index_per_order:.0f} "
          f"vacuumed_bytes_per_order={packed_per_order:.0f} paged_orders_per_s={orders / paged_s:.0f} "
          f"file_speedup={paged_s / elapsed:.1f} file_build_s={build_s:.1f} "
          f"file_bytes_per_order={file_bytes / orders:.0f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
