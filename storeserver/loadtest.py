"""Tools for the sign-in flood test and benchmark (loopback only, bounded in time).

- `start_server(...)`: `python -m storeserver serve` in its own process on a free port.
- `server_memory(pid)`: resident and peak resident memory of a process (Linux /proc).
- `python -m storeserver.loadtest flood URL --attackers N --seconds S`: N concurrent
  attackers, each on its own loopback source address (127.0.0.2, .3, ...) so per-address
  limits see N clients, send wrong-password sign-ins until S seconds have passed; half
  guess the password of `--login`, half spray logins that do not exist. Prints one JSON
  line: the count of answers per status.
"""
from __future__ import annotations

import argparse
import http.client
import json
import os
import secrets
import subprocess
import sys
import threading
import time
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

ROOT = Path(__file__).resolve().parent.parent


def child_env() -> dict[str, str]:
    return {**os.environ, "PYTHONPATH": str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", ""),
            "PYTHONUNBUFFERED": "1"}


def start_server(database_url: str, *, seed_demo: int, login_concurrency: int | None = None,
                 workers: int = 1, timeout: float = 120.0) -> tuple[subprocess.Popen, str]:
    """A server process seeded with the demo shop (passwords hashed with the production
    profile, as the child never swaps the hasher); returns it and its base URL.
    `workers` > 1: `serve --workers N` (PostgreSQL only)."""
    args = [sys.executable, "-m", "storeserver", "serve", "--database-url", database_url,
            "--port", "0", "--seed-demo", str(seed_demo)]
    if login_concurrency:
        args += ["--login-concurrency", str(login_concurrency)]
    if workers != 1:
        args += ["--workers", str(workers)]
    proc = subprocess.Popen(args, cwd=ROOT, env=child_env(), stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, text=True)
    found: list[str] = []
    ready = threading.Event()

    def pump() -> None:  # keep reading so the child never blocks on a full pipe
        for line in proc.stdout:
            if not found and "listening on" in line:
                found.append(line.rsplit(" ", 1)[1].strip())
                ready.set()
        ready.set()
    threading.Thread(target=pump, daemon=True).start()
    if not ready.wait(timeout) or not found:
        proc.kill()
        raise RuntimeError("the storeserver process did not start")
    return proc, found[0]


def stop_server(proc: subprocess.Popen, timeout: float = 15.0) -> None:
    """SIGTERM (uvicorn shuts down gracefully, workers too), then SIGKILL if it lingers."""
    if proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(timeout)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(5)


@dataclass(frozen=True)
class Memory:
    rss_mib: float
    peak_mib: float  # VmHWM: the largest resident size since the process started


def server_memory(pid: int) -> Memory:
    fields = {}
    with open(f"/proc/{pid}/status", encoding="ascii") as f:
        for line in f:
            name, _, value = line.partition(":")
            if name in ("VmRSS", "VmHWM"):
                fields[name] = int(value.split()[0]) / 1024
    return Memory(fields["VmRSS"], fields["VmHWM"])


def loopback_address(i: int) -> str:
    """The i-th attacker's source address: 127.0.0.2 ... 127.0.0.254, then 127.0.1.x ..."""
    return f"127.0.{i // 253}.{i % 253 + 2}"


def _attacker(url: str, address: str, login: str | None, stop_at: float, tally: Counter,
              lock: threading.Lock) -> None:
    parts = urlsplit(url)
    conn = None
    while time.monotonic() < stop_at:
        if conn is None:
            conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=30,
                                              source_address=(address, 0))
        body = json.dumps({"login": login or f"guest-{secrets.token_hex(4)}",
                           "password": secrets.token_hex(8)})
        try:
            conn.request("POST", "/api/v1/auth/login", body, {"Content-Type": "application/json"})
            resp = conn.getresponse()
            resp.read()
            status = str(resp.status)
        except (OSError, http.client.HTTPException) as exc:
            status = type(exc).__name__
            conn.close()
            conn = None
        with lock:
            tally[status] += 1
    if conn is not None:
        conn.close()


def flood(url: str, attackers: int, seconds: float, login: str = "demo") -> Counter:
    """Run the attackers in this process's threads; returns answers counted by status."""
    tally: Counter = Counter()
    lock = threading.Lock()
    stop_at = time.monotonic() + seconds
    threads = [threading.Thread(target=_attacker, daemon=True,
                                args=(url, loopback_address(i), login if i % 2 == 0 else None,
                                      stop_at, tally, lock))
               for i in range(attackers)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(seconds + 60)
    return tally


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m storeserver.loadtest")
    sub = p.add_subparsers(dest="command", required=True)
    f = sub.add_parser("flood", help="wrong-password sign-ins from many loopback addresses")
    f.add_argument("url")
    f.add_argument("--attackers", type=int, default=40)
    f.add_argument("--seconds", type=float, default=5.0)
    f.add_argument("--login", default="demo")
    args = p.parse_args(argv)
    if urlsplit(args.url).hostname not in ("127.0.0.1", "localhost"):
        print("loopback servers only", file=sys.stderr)
        return 2
    print(json.dumps(dict(flood(args.url, args.attackers, args.seconds, args.login))), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
