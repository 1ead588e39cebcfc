"""Sign-in flood: N concurrent wrong-password sign-ins for S seconds against a storeserver in
its own process (production argon2 profile), while one agent keeps syncing (head, the
orders change feed, a snapshot page, in a loop). The agent's request latency is measured
with and without the flood, and the server's memory (VmRSS / VmHWM from /proc).

    .venv/bin/python bench/login_flood.py [--attackers 100] [--seconds 20] [--database-url URL]
                                          [--login-concurrency 2]

Attackers run in a separate process, each from its own loopback address (127.0.0.2 ...),
half guessing the agent's password, half spraying logins that do not exist.
Last line: flood_p99_ms=… calm_p99_ms=… peak_rss_mib=… status_429=…
(goals: flood p99 <= 3x calm, peak memory <= 400 MiB at 100 attackers)
"""
from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

import requests  # noqa: E402

from storeserver.loadtest import child_env, server_memory, start_server  # noqa: E402


def agent_loop(url: str, token: str, seconds: float) -> list[float]:
    """One agent syncing: head, the orders change feed, a snapshot page; latency of each (ms)."""
    http = requests.Session()
    http.headers["Authorization"] = f"Bearer {token}"
    api = url + "/api/v1"
    feed = http.get(api + "/sync/orders/snapshot", params={"limit": 1}, timeout=30).json()["feed_cursor"]
    latencies, stop_at, i = [], time.monotonic() + seconds, 0
    while time.monotonic() < stop_at:
        path, params = [("/sync/head", {}), ("/sync/orders/changes", {"cursor": feed}),
                        ("/sync/orders/snapshot", {"limit": 50})][i % 3]
        t0 = time.perf_counter()
        r = http.get(api + path, params=params, timeout=30)
        latencies.append((time.perf_counter() - t0) * 1000)
        assert r.status_code == 200, (path, r.status_code, r.text[:200])
        i += 1
        time.sleep(0.01)  # an agent's pace, not a load generator's
    return latencies


def p99(xs: list[float]) -> float:
    return statistics.quantiles(xs, n=100)[98] if len(xs) >= 100 else max(xs)


def main() -> int:
    p = argparse.ArgumentParser()
    p.add_argument("--attackers", type=int, default=100)
    p.add_argument("--seconds", type=float, default=20.0)
    p.add_argument("--orders", type=int, default=2000)
    p.add_argument("--database-url", default=None, help="default: a fresh SQLite file")
    p.add_argument("--login-concurrency", type=int, default=None, help="default: the server's own")
    args = p.parse_args()

    with tempfile.TemporaryDirectory() as tmp:
        url_db = args.database_url or f"sqlite:///{Path(tmp) / 'flood.sqlite3'}"
        proc, url = start_server(url_db, seed_demo=args.orders, login_concurrency=args.login_concurrency)
        try:
            r = requests.post(url + "/api/v1/auth/login", json={"login": "demo", "password": "demo"}, timeout=30)
            token = r.json()["token"]
            start = server_memory(proc.pid)
            calm = agent_loop(url, token, args.seconds)
            before = server_memory(proc.pid)
            attack = subprocess.Popen(
                [sys.executable, "-m", "storeserver.loadtest", "flood", url, "--attackers",
                 str(args.attackers), "--seconds", str(args.seconds)],
                cwd=ROOT, env=child_env(), stdout=subprocess.PIPE, text=True)
            time.sleep(0.5)  # let the attackers connect
            flooded = agent_loop(url, token, args.seconds - 1)
            tally = json.loads(attack.communicate(timeout=args.seconds + 120)[0].strip().splitlines()[-1])
            after = server_memory(proc.pid)
            relogin = requests.post(url + "/api/v1/auth/login", json={"login": "demo", "password": "demo"},
                                    timeout=30).status_code
        finally:
            proc.kill()
            proc.wait(30)

    calm_p99, flood_p99 = p99(calm), p99(flooded)
    print(f"database: {url_db.split(':', 1)[0]}, attackers: {args.attackers}, {args.seconds:.0f} s each phase, "
          f"login concurrency {args.login_concurrency or 'default'}, machine load {os.getloadavg()[0]:.1f}")
    print(f"server memory: {start.rss_mib:.0f} MiB at start, {before.rss_mib:.0f} MiB before the flood, "
          f"{after.rss_mib:.0f} MiB after; peak {after.peak_mib:.0f} MiB")
    print(f"agent requests: calm {len(calm)} (median {statistics.median(calm):.1f} ms, p99 {calm_p99:.1f} ms), "
          f"flood {len(flooded)} (median {statistics.median(flooded):.1f} ms, p99 {flood_p99:.1f} ms)")
    print(f"attacker answers: {tally}; the agent signs in again afterwards: HTTP {relogin}")
    print(f"flood_p99_ms={flood_p99:.1f} calm_p99_ms={calm_p99:.1f} peak_rss_mib={after.peak_mib:.0f} "
          f"status_429={tally.get('429', 0)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
