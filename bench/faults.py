"""First load through a bad network: the same first sync of a shop, once through a clean
loopback link and once through a link with 5% each of dropped requests, dropped responses,
resets, truncated bodies, headers cut short, 503, 429 and delays (tests/sync/chaos.py), in
the same run against the same store subprocess. Both caches must end equal to the server.

    .venv/bin/python bench/faults.py [--orders 20000] [--rate 0.05]

Last line: faulty_s=… clean_s=… ratio=… offline_share=…
(offline_share: share of the faulty load's time during which the status said "offline";
goals: ratio <= 2, offline_share <= 0.1)
"""
from __future__ import annotations

import argparse
import os
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))
os.environ.setdefault("PYTHON_KEYRING_BACKEND", "keyring.backends.null.Keyring")


RETRY_AFTER_S = 1.0  # what tests/sync/chaos.py sends with its 429 and 503


def first_load(url: str, proxy_url: str, work: Path, timeout_s: float) -> tuple[float, float, dict, Path]:
    """(seconds to the first "online", seconds spent "offline", state counts, cache path)."""
    from workstation.models.db import open_cache
    from workstation.sync.client import StoreClient
    from workstation.sync.service import SyncService
    from workstation.ui.sync_worker import PAGE_SIZE

    cache = open_cache(work / "cache.sqlite3")
    client = StoreClient(url, timeout=(3.05, 30))
    client.login("demo", "demo")  # sign in directly; the sync goes through the link under test
    client.base_url = proxy_url
    transitions: list[tuple[float, str]] = []
    online = threading.Event()

    def on_state(state: str) -> None:
        transitions.append((time.perf_counter(), state))
        if state == "online":
            online.set()

    retries = {"n": 0}
    import logging

    class Count(logging.Handler):
        def emit(self, record):
            if "retrying after" in record.getMessage():
                retries["n"] += 1

    handler = Count(logging.DEBUG)
    svc_log = logging.getLogger("workstation.sync.service")
    svc_log.setLevel(logging.DEBUG)
    svc_log.addHandler(handler)
    service = SyncService(client, cache.writer, on_state=on_state, page_size=PAGE_SIZE)
    start = time.perf_counter()
    thread = threading.Thread(target=service.run, daemon=True)
    thread.start()
    if not online.wait(timeout_s):
        service.stop()
        raise SystemExit(f"the first load did not finish within {timeout_s:.0f} s")
    end = time.perf_counter()
    service.stop()
    thread.join(timeout=30)
    offline = 0.0
    for (at, state), (nxt, _) in zip(transitions, transitions[1:] + [(end, "")]):
        if state == "offline":
            offline += min(nxt, end) - at
    counts: dict[str, int] = {}
    for _, state in transitions:
        counts[state] = counts.get(state, 0) + 1
    svc_log.removeHandler(handler)
    counts["loop_retries"] = retries["n"]  # failures that got past the client's own retries
    path = cache.path
    cache.close()
    return end - start, offline, counts, path


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--orders", type=int, default=20_000)
    parser.add_argument("--rate", type=float, default=0.05, help="probability of EACH fault per request")
    parser.add_argument("--max-delay", type=float, default=2.0, help="longest injected delay (s)")
    parser.add_argument("--timeout", type=float, default=900)
    args = parser.parse_args()

    from sqlalchemy import create_engine

    from tests.sync.chaos import Chaos, target_of
    from tests.sync.helpers import assert_cache_equals_server
    from workstation.demo import start_store, stop_store

    store_dir = ROOT / "bench" / ".data" / f"faults-store-{args.orders}"
    store_dir.mkdir(parents=True, exist_ok=True)
    proc, url = start_store(store_dir, args.orders, simulate=False, nice=10)
    store_engine = create_engine(f"sqlite:///{store_dir / 'store.sqlite'}")
    try:
        results = {}
        for name, rate in (("clean", 0.0), ("faulty", args.rate)):
            with tempfile.TemporaryDirectory(prefix=f"ws-faults-{name}-") as tmp, \
                    Chaos.every(target_of(url), rate, max_delay_s=args.max_delay, seed=11) as link:
                seconds, offline, states, path = first_load(url, link.url, Path(tmp), args.timeout)
                assert_cache_equals_server(store_engine, 1, path)
                waits = link.delayed_s + RETRY_AFTER_S * (link.counts.get("status_429", 0)
                                                          + link.counts.get("status_503", 0))
                results[name] = (seconds, offline, waits)
                faults = sum(link.counts.values())
                print(f"{name}: first load of {args.orders:,} orders in {seconds:.1f} s; "
                      f"offline {offline:.1f} s; states {states}; faults injected {faults} "
                      f"{dict(sorted(link.counts.items()))}; cache equals the server")
    finally:
        store_engine.dispose()
        stop_store(proc)
    faulty_s, offline_s, waits_s = results["faulty"]
    clean_s = results["clean"][0]
    # What the faults themselves cost, however well handled: the injected delays and the
    # pauses the server asked for (Retry-After on 429/503, which a polite client honours).
    # The rest is what the client's own handling of the faults costs.
    own_s = max(0.0, faulty_s - clean_s - waits_s)
    print(f"of the {faulty_s - clean_s:.1f} s extra: {waits_s:.1f} s injected delays and requested "
          f"pauses (Retry-After), {own_s:.1f} s the client's own retrying")
    print(f"faulty_s={faulty_s:.1f} clean_s={clean_s:.1f} ratio={faulty_s / clean_s:.2f} "
          f"offline_share={offline_s / faulty_s:.3f} retry_overhead_ratio={(clean_s + own_s) / clean_s:.2f}")


if __name__ == "__main__":
    main()
