"""Quick-phrase picker latency: a query typed in the picker to the filled text, against a
plain SQL LIKE over the phrases, in the same run.

    .venv/bin/python bench/phrases.py [--orders 1000000] [--phrases 2000] [--per-kind 200]

The cache is the shared bench cache (`bench/_cache.py`: a demo shop with `--orders`
orders, built once through the real apply path and reused), plus `--phrases` team phrases
(`storeserver.demophrases.varied_phrases`, the generator behind the server's
`seed_phrases`) applied as a `phrases` snapshot page, and the shop's settings.

One measurement = what the picker does per keystroke: `PhraseIndex.search(query, 20)`
(NFKC, words, shortcut / title / pinyin initials / text ranking, use and recency ties) and
`fill()` of the top match for a buyer with orders (the buyer's orders, the newest open one,
its values, the choice list, stock, shop settings). Queries, drawn from the library: a
shortcut prefix (`kd3`), title initials (`cxkd`), a 2-character Chinese fragment of a
title, a fragment of a text, two words (initials + Chinese). The raw side is the plain
query an implementation without an index would run: `title LIKE '%q%' OR text LIKE … OR
shortcut LIKE 'q%'` LIMIT 20 through sqlite3 on the same file (no pinyin, no ranking, no
filling). Each time is the median of 3 warm runs (the machine is shared). Goal: p95 <= 16
ms (one frame). The last line is machine-readable.
"""
from __future__ import annotations

import argparse
import os
import random
import sqlite3
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench._cache import cache_file  # noqa: E402
from workstation.models import phrase_fill as pf  # noqa: E402
from workstation.models import phrases as ph  # noqa: E402
from workstation.models.apply import apply_snapshot_page  # noqa: E402
from workstation.models.db import open_cache  # noqa: E402

KINDS = ("shortcut", "initials", "title_zh", "text_zh", "two_words")
RAW_SQL = ("SELECT id, title, shortcut, text FROM phrases WHERE title LIKE ?1 OR text LIKE ?1 OR shortcut LIKE ?2 "
           "ORDER BY id DESC LIMIT 20")


class Agent:
    display_name = "小美"
    shop_name = "棉麻小铺"
    agent_no = "1024"


def load_phrases(cache, n: int) -> None:
    from storeserver.demophrases import varied_phrases

    rows = varied_phrases(n, seed=1)
    items = [{"id": i + 1, "seq": 10_000_000 + i, "version": 1, "owner_agent_no": None, "category": c,
              "title": t, "shortcut": s, "text": x, "updated_by": "2048", "updated_at": "2026-11-10T01:00:00Z"}
             for i, (c, t, s, x) in enumerate(rows)]
    cache.writer.run(apply_snapshot_page, "phrases", items, next_cursor=None, done=True, feed_cursor="bench",
                     total=len(items))
    cache.writer.run(apply_snapshot_page, "shop_settings", [{
        "id": 1, "seq": 20_000_000, "version": 1, "shop_name": "棉麻小铺", "auto_reply_enabled": True,
        "auto_reply_text": "欢迎光临{shop_name}", "cutoff_time": "16:00", "updated_by": None, "updated_at": None}],
        next_cursor=None, done=True, feed_cursor="bench", total=1)
    # the library must be exactly these n (a bigger run before may have left more)
    cache.writer.run(_trim, n)


def _trim(engine, n: int):
    from workstation.models.changes import ChangeSet
    from workstation.models.db import write_cursor

    with write_cursor(engine, "trim the bench phrases") as cur:
        cur.execute("DELETE FROM phrases WHERE id > ?", (n,))
    return ChangeSet()


def _cjk_fragment(rng: random.Random, text: str, size: int) -> str | None:
    """`size` consecutive Chinese characters from `text` (None when it has no such run)."""
    import re

    runs = [r for r in re.findall(r"[\u4e00-\u9fff]+", text) if len(r) >= size]
    if not runs:
        return None
    run = rng.choice(runs)
    i = rng.randrange(len(run) - size + 1)
    return run[i:i + size]


def queries(index: ph.PhraseIndex, rng: random.Random, per_kind: int) -> dict[str, list[str]]:
    library = [m.phrase for m in index.search("", limit=10_000)]
    forms = {p.id: ph._forms(p) for p in library}
    out: dict[str, list[str]] = {k: [] for k in KINDS}
    while min(len(v) for v in out.values()) < per_kind:
        p = rng.choice(library)
        f = forms[p.id]
        if p.shortcut:
            out["shortcut"].append(p.shortcut[:rng.randint(2, max(2, len(p.shortcut)))])
        if len(f.title_initials) >= 2:
            out["initials"].append(f.title_initials[:rng.randint(2, min(4, len(f.title_initials)))])
        if fragment := _cjk_fragment(rng, p.title, 2):
            out["title_zh"].append(fragment)
        if fragment := _cjk_fragment(rng, p.text, rng.choice((2, 3))):
            out["text_zh"].append(fragment)
        if len(f.title_initials) >= 2 and (fragment := _cjk_fragment(rng, p.text, 2)):
            out["two_words"].append(f"{f.title_initials[:2]} {fragment}")
    return {k: v[:per_kind] for k, v in out.items()}


def buyers_with_orders(raw: sqlite3.Connection, rng: random.Random, n: int) -> list[int]:
    top = raw.execute("SELECT max(id) FROM orders").fetchone()[0] or 0
    out = []
    while len(out) < n and top:
        row = raw.execute("SELECT buyer_id FROM orders WHERE id >= ? ORDER BY id LIMIT 1",
                          (rng.randint(1, top),)).fetchone()
        if row:
            out.append(row[0])
    return out


def timed(fn, runs: int = 3) -> float:
    times = []
    for _ in range(runs):
        t0 = time.perf_counter()
        fn()
        times.append((time.perf_counter() - t0) * 1000)
    return statistics.median(times)


def pct(values: list[float], q: int) -> float:
    values = sorted(values)
    return values[min(len(values) - 1, int(round(q / 100 * (len(values) - 1))))] if values else 0.0


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--orders", type=int, default=1_000_000)
    ap.add_argument("--phrases", type=int, default=2000)
    ap.add_argument("--per-kind", type=int, default=200)
    ap.add_argument("--seed", type=int, default=7)
    args = ap.parse_args(argv)
    rng = random.Random(args.seed)

    path = cache_file(args.orders)
    cache = open_cache(path)
    try:
        load_phrases(cache, args.phrases)
        engine = cache.engine
        index = ph.PhraseIndex(engine, "1024")
        t0 = time.perf_counter()
        index.refresh()
        build_ms = (time.perf_counter() - t0) * 1000
        t0 = time.perf_counter()
        index.refresh()
        unchanged_ms = (time.perf_counter() - t0) * 1000
        qs = queries(index, rng, args.per_kind)
        buyers = buyers_with_orders(sqlite3.connect(path), rng, 50)
        raw = sqlite3.connect(path)
        print(f"cache {path.name}: {args.orders:,} orders, {len(index):,} phrases; index built in {build_ms:.0f} ms "
              f"(pinyin of every phrase), refresh with nothing moved {unchanged_ms:.2f} ms; load {os.getloadavg()[0]:.1f}")
        print(f"{'kind':<10} {'n':>4} {'p50 ms':>8} {'p95 ms':>8} {'max ms':>8} {'raw p50':>8} {'raw p95':>8} "
              f"{'hits':>6} {'raw hits':>8}")
        every, every_raw = [], []
        for kind in KINDS:
            ws, rs, hits, raw_hits = [], [], 0, 0
            for i, q in enumerate(qs[kind]):
                ctx = pf.FillContext(buyer_id=buyers[i % len(buyers)], agent=Agent)

                def picker(q=q, ctx=ctx):
                    matches = index.search(q, 20)
                    if matches:
                        return pf.fill(engine, matches[0].phrase.text, ctx)
                    return None

                def plain(q=q):
                    like = "%" + q.replace("%", "").replace("_", "") + "%"
                    return raw.execute(RAW_SQL, (like, q + "%")).fetchall()

                picker()  # warm
                plain()
                ws.append(timed(picker))
                rs.append(timed(plain))
                hits += bool(index.search(q, 1))
                raw_hits += bool(plain())
            every += ws
            every_raw += rs
            print(f"{kind:<10} {len(ws):>4} {pct(ws, 50):>8.2f} {pct(ws, 95):>8.2f} {max(ws):>8.2f} "
                  f"{pct(rs, 50):>8.2f} {pct(rs, 95):>8.2f} {hits:>6} {raw_hits:>8}")
        print(f"load after: {os.getloadavg()[0]:.1f}")
        print(f"phrase_p95_ms={pct(every, 95):.2f} raw_p95_ms={pct(every_raw, 95):.2f}")
    finally:
        cache.close()


if __name__ == "__main__":
    main()
