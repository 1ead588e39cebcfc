"""What one buyer post costs: `POST /api/v1/relay/messages` against the real app (served in
this process, over HTTP) on a fresh PostgreSQL database (seeded here, dropped after), with
every SQL statement the server runs counted and timed (SQLAlchemy cursor events).

    .venv/bin/python bench/relay_post.py [--posts 40] [--agents 5] [--orders 2000]
                                         [--admin-url postgresql://postgres@127.0.0.1:5432/test]

Posts, one at a time: the very first (a cold server), then `--posts` buyers writing for the
first time (a new conversation, assigned, with the day's auto-reply), then the same buyers
writing again (their open conversation, no auto-reply). Per kind: the HTTP time (median,
max), statements per post, the time in statements, and the statements by time.
Last line: `first_ms=… new_p50_ms=… new_statements=… again_p50_ms=… again_statements=…`.
"""
from __future__ import annotations

import argparse
import statistics
import sys
import threading
import time
import uuid
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))


class Statements:
    """Every statement of the engine, with its time, while `recording`."""

    def __init__(self, engine) -> None:
        from sqlalchemy import event

        self.lock = threading.Lock()
        self.items: list[tuple[str, float]] = []
        self._local = threading.local()
        event.listen(engine, "before_cursor_execute", self._before)
        event.listen(engine, "after_cursor_execute", self._after)

    def _before(self, conn, cursor, statement, params, context, executemany):
        self._local.t = time.perf_counter()

    def _after(self, conn, cursor, statement, params, context, executemany):
        ms = (time.perf_counter() - self._local.t) * 1000
        with self.lock:
            self.items.append((" ".join(statement.split())[:90], ms))

    def take(self) -> list[tuple[str, float]]:
        with self.lock:
            out, self.items = self.items, []
        return out


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--posts", type=int, default=40)
    p.add_argument("--agents", type=int, default=5)
    p.add_argument("--orders", type=int, default=2000)
    p.add_argument("--admin-url", default="postgresql://postgres@127.0.0.1:5432/test")
    p.add_argument("--served", action="store_true",
                   help="against `storeserver serve --workers 2` (its own processes; no statement counts): "
                        "each post's time in order, to see the cold ones")
    args = p.parse_args()
    if args.served:
        return served(args)

    import requests
    from sqlalchemy import update

    from bench.load import create_database, drop_database
    from storeserver.api import create_app
    from storeserver.buyer_sim import load_buyers
    from storeserver.db import make_engine
    from storeserver.models import Agent
    from storeserver.ops import utcnow
    from storeserver.testing import serve_in_thread

    db, db_url, shop_id = create_database(args.admin_url, args.orders, args.agents)
    try:
        engine = make_engine(db_url)
        buyers = load_buyers(engine, shop_id, args.posts + 1, seed=7)
        with engine.begin() as conn:  # the agents are "seen": new conversations get assigned
            conn.execute(update(Agent.__table__).values(last_seen_at=utcnow()))
        stmts = Statements(engine)
        app = create_app(engine)
        kinds: dict[str, list[tuple[float, list]]] = defaultdict(list)
        with serve_in_thread(app) as url:
            http = requests.Session()
            http.headers["Authorization"] = "Relay demo-relay-key"

            def post(kind: str, buyer_id: int) -> None:
                stmts.take()
                t0 = time.perf_counter()
                r = http.post(url + "/api/v1/relay/messages", timeout=30, json={
                    "client_id": str(uuid.uuid4()), "buyer_id": buyer_id, "text": "在吗？能便宜点吗", "product_id": None})
                ms = (time.perf_counter() - t0) * 1000
                r.raise_for_status()
                kinds[kind].append((ms, stmts.take()))

            post("first", buyers[0].buyer_id)
            for b in buyers[1:]:
                post("new", b.buyer_id)
            for b in buyers[1:]:
                post("again", b.buyer_id)
        figures = {}
        for kind, runs in kinds.items():
            times = [ms for ms, _ in runs]
            counts = [len(s) for _, s in runs]
            in_sql = [sum(ms for _, ms in s) for _, s in runs]
            print(f"{kind}: {len(runs)} posts, HTTP p50 {statistics.median(times):.1f} ms, max {max(times):.1f} ms; "
                  f"{statistics.median(counts):.0f} statements, {statistics.median(in_sql):.1f} ms in them (p50)")
            by: dict[str, list[float]] = defaultdict(list)
            for _, s in runs:
                for sql, ms in s:
                    by[sql].append(ms)
            for sql, mss in sorted(by.items(), key=lambda kv: -sum(kv[1]))[:25]:
                print(f"    {len(mss) / len(runs):4.1f}x {statistics.median(mss):6.2f} ms  {sql}")
            figures[kind] = (statistics.median(times), statistics.median(counts))
        print(f"first_ms={figures['first'][0]:.1f} new_p50_ms={figures['new'][0]:.1f} "
              f"new_statements={figures['new'][1]:.0f} again_p50_ms={figures['again'][0]:.1f} "
              f"again_statements={figures['again'][1]:.0f}")
        engine.dispose()
    finally:
        drop_database(args.admin_url, db)
    return 0


def served(args) -> int:
    import requests
    from sqlalchemy import update

    from bench.load import create_database, drop_database
    from storeserver.buyer_sim import load_buyers
    from storeserver.db import make_engine
    from storeserver.loadtest import start_server, stop_server
    from storeserver.models import Agent
    from storeserver.ops import utcnow

    db, db_url, shop_id = create_database(args.admin_url, args.orders, args.agents)
    proc = None
    try:
        engine = make_engine(db_url)
        buyers = load_buyers(engine, shop_id, args.posts, seed=7)
        with engine.begin() as conn:
            conn.execute(update(Agent.__table__).values(last_seen_at=utcnow()))
        engine.dispose()
        proc, url = start_server(db_url, seed_demo=0, workers=2)
        times = []
        for b in buyers + buyers:
            http = requests.Session()  # a new connection per chat, as buyer_sim does
            http.headers["Authorization"] = "Relay demo-relay-key"
            t0 = time.perf_counter()
            r = http.post(url + "/api/v1/relay/messages", timeout=30, json={
                "client_id": str(uuid.uuid4()), "buyer_id": b.buyer_id, "text": "在吗？", "product_id": None})
            times.append((time.perf_counter() - t0) * 1000)
            r.raise_for_status()
            http.close()
            time.sleep(0.2)
        print("first posts (ms): " + " ".join(f"{t:.0f}" for t in times[:8]))
        print(f"served: {len(times)} posts, p50 {statistics.median(times):.1f} ms, "
              f"max after the first 4 {max(times[4:]):.1f} ms")
    finally:
        if proc is not None:
            stop_server(proc)
        drop_database(args.admin_url, db)
    return 0


if __name__ == "__main__":
    sys.exit(main())
