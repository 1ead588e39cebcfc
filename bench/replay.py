"""Offline writes replayed: 1,000 remark writes saved while offline (each through the cache
writer: the row's new memo plus its outbox row, one transaction), then the network comes
back; how long until the server holds all of them. Then writes made online: how long from
the agent's save until the server has applied it (the sync loop running, woken by the write).

    .venv/bin/python bench/replay.py [--writes 1000] [--orders 2000] [--online 200]

Last line: replay_1000_s=… local_save_p95_ms=… online_push_p95_ms=…
(goals on loopback: replay <= 5 s, local save <= 5 ms, online push <= 300 ms)
"""
from __future__ import annotations

import argparse
import os
import random
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))
os.environ.setdefault("PYTHON_KEYRING_BACKEND", "keyring.backends.null.Keyring")


def p95(values: list[float]) -> float:
    return statistics.quantiles(values, n=20)[-1] if len(values) >= 20 else max(values)


def server_count(store_engine, ids: set[str]) -> int:
    from sqlalchemy import select

    from storeserver.models import RemarkHistory

    with store_engine.connect() as conn:
        held = set(conn.execute(select(RemarkHistory.mutation_id).where(
            RemarkHistory.mutation_id.is_not(None))).scalars())
    return len(ids & held)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--writes", type=int, default=1000)
    parser.add_argument("--orders", type=int, default=2000)
    parser.add_argument("--online", type=int, default=200)
    args = parser.parse_args()

    from sqlalchemy import create_engine

    from workstation.demo import start_store, stop_store
    from workstation.models import outbox, remarks
    from workstation.models.db import open_cache
    from workstation.sync.client import StoreClient
    from workstation.sync.puller import Puller
    from workstation.sync.pusher import Pusher
    from workstation.sync.service import SyncService

    store_dir = ROOT / "bench" / ".data" / f"replay-store-{args.orders}"
    store_dir.mkdir(parents=True, exist_ok=True)
    proc, url = start_store(store_dir, args.orders, simulate=False, nice=10)
    store_engine = create_engine(f"sqlite:///{store_dir / 'store.sqlite'}")
    rng = random.Random(3)
    try:
        with tempfile.TemporaryDirectory(prefix="ws-replay-") as tmp:
            cache = open_cache(Path(tmp) / "cache.sqlite3")
            client = StoreClient(url)
            client.login("demo", "demo")
            Puller(client, cache.writer).run_once()
            order_ids = list(range(1, min(args.orders, 400) + 1))

            # 1. Offline: every save is a local transaction through the one writer.
            saves, ids = [], set()
            for i in range(args.writes):
                t0 = time.perf_counter()
                changes = cache.writer.run(remarks.save_remark, rng.choice(order_ids), text=f"离线备注 {i}",
                                           flag=1 + i % 5, reason="回放", agent_no="1024")
                saves.append(time.perf_counter() - t0)
                ids |= set(changes.outbox)
            print(f"saved {len(ids)} writes offline; local save p50 {statistics.median(saves) * 1000:.2f} ms, "
                  f"p95 {p95(saves) * 1000:.2f} ms")

            # 2. The network is back: push until the server holds every one.
            t0 = time.perf_counter()
            summary = Pusher(client, cache.writer).push()
            replay_s = time.perf_counter() - t0
            held = server_count(store_engine, ids)
            assert held == len(ids), f"the server holds {held} of {len(ids)}"
            print(f"replayed {summary.sent} writes in {replay_s:.2f} s ({summary.rounds} batches, "
                  f"{summary.applied} applied, {summary.conflicts} conflicts); the server holds all {held}")

            # 3. Online: the sync loop runs; time from the save to the server's answer recorded.
            done_at: dict[str, float] = {}
            waiting: dict[str, threading.Event] = {}

            def on_change(changes) -> None:
                for m in changes.outbox:
                    e = outbox.get_entry(cache.engine, m)
                    if e is not None and e.status == "done" and m not in done_at:
                        done_at[m] = time.perf_counter()
                        if m in waiting:
                            waiting[m].set()

            cache.writer.add_listener(on_change)
            service = SyncService(client, cache.writer)
            thread = threading.Thread(target=service.run, daemon=True)
            thread.start()
            while service.state != "online":
                time.sleep(0.05)
            online = []
            for i in range(args.online):
                t0 = time.perf_counter()
                changes = service.submit_write(remarks.save_remark, rng.choice(order_ids), text=f"在线 {i}",
                                               flag=2, reason="在线", agent_no="1024").result()
                (m,) = changes.outbox
                event = waiting.setdefault(m, threading.Event())
                if m in done_at:
                    event.set()
                assert event.wait(30), "an online write never reached the server"
                online.append(done_at[m] - t0)
                time.sleep(0.01)
            service.stop()
            thread.join(timeout=30)
            client.close()
            cache.close()
            print(f"online writes: p50 {statistics.median(online) * 1000:.1f} ms, "
                  f"p95 {p95(online) * 1000:.1f} ms from the save to the server's answer")
    finally:
        store_engine.dispose()
        stop_store(proc)
    print(f"load average: {os.getloadavg()[0]:.2f} (2 cores; other work on the machine skews these)")
    print(f"replay_{args.writes}_s={replay_s:.2f} local_save_p95_ms={p95(saves) * 1000:.2f} "
          f"online_push_p95_ms={p95(online) * 1000:.1f}")


if __name__ == "__main__":
    main()
