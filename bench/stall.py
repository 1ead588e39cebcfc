"""GUI responsiveness: the real main window in its own process, a 5 ms QTimer measuring the
longest gap between event-loop turns, against a loopback storeserver subprocess (seeded once).
Scenarios, each in a fresh process:

- `first-sync`: a full first sync of >= 50k orders with lookups typed meanwhile, then an
  idle minute-equivalent (no change on the server, "sync now" pressed a few times) counting
  the searches and detail loads the panes issue (goal: 0);
- `first-sync-busy`: the same first sync while two other processes keep both cores busy
  (a browser and the marketplace client on an agent's PC);
- `sign-out-hang` / `close-hang`: in the middle of the first sync the network starts to hang
  (every request waits forever, tests/sync/chaos.py); then the agent signs out / closes;
- `first-sync-file`: the first sync of a new agent once the shop's cache file is built
  (docs/PROTOCOL.md, "Cache files"; the scenarios before it page), lookups typed meanwhile.

    .venv/bin/python bench/stall.py [--orders 60000] [--scenario NAME]

Last line: max_stall_ms=… first_sync_ms=… busy_ms=… sign_out_hang_ms=… close_hang_ms=…
file_sync_ms=… idle_requeries_per_min=…   (goals: every stall <= 50 ms, aim 16; requeries 0)
"""
from __future__ import annotations

import argparse
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
os.environ.setdefault("PYTHON_KEYRING_BACKEND", "keyring.backends.null.Keyring")

QUERIES = ["李", "王芳", "1381", "杭州", "SF", "张伟", "2026", "浙江省杭州市", "陈", "0001"]


class StallMeter:
    def __init__(self, interval_ms: int = 5) -> None:
        from PySide6.QtCore import Qt, QTimer

        self.gaps: list[float] = []
        self.slow: list[tuple[int, str]] = []
        self.by_phase: dict[str, float] = {}
        self.worst_at = ""
        self.phase = "start"
        self._last = None
        self.timer = QTimer()
        self.timer.setTimerType(Qt.TimerType.PreciseTimer)
        self.timer.setInterval(interval_ms)
        self.timer.timeout.connect(self._tick)

    def start(self) -> None:
        self._last = time.perf_counter()
        self.timer.start()

    def stop(self) -> None:
        self.timer.stop()

    def _tick(self) -> None:
        now = time.perf_counter()
        gap = (now - self._last) * 1000
        self._last = now
        if not self.gaps or gap > max(self.gaps):
            self.worst_at = self.phase
        if gap > 30:
            self.slow.append((round(gap), self.phase))
        kind = self.phase.split(" ")[0] if not self.phase.startswith("first sync") else "first-sync"
        self.by_phase[kind] = max(self.by_phase.get(kind, 0.0), gap)
        self.gaps.append(gap)


SCENARIOS = ("first-sync", "first-sync-busy", "sign-out-hang", "close-hang", "first-sync-file")
IDLE_S = 20.0  # idle time after the first sync in which nothing may be re-queried


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--orders", type=int, default=60_000)
    parser.add_argument("--timeout", type=float, default=900)
    parser.add_argument("--no-typing", action="store_true", help="do not type lookups during the sync")
    parser.add_argument("--scenario", choices=SCENARIOS, help="run only this one (in this process)")
    parser.add_argument("--url", help="(internal) the store to use")
    args = parser.parse_args()
    if args.scenario and args.url:
        run_scenario(args)
        return

    from workstation.demo import start_store, stop_store

    store_dir = ROOT / "bench" / ".data" / f"stall-store-{args.orders}"
    store_dir.mkdir(parents=True, exist_ok=True)
    # The store normally runs on another machine: here it yields the CPU to the workstation.
    files = store_dir / "cache-files"
    shutil.rmtree(files, ignore_errors=True)  # the first syncs page; the last one has the file
    proc, url = start_store(store_dir, args.orders, simulate=False, nice=10, cache_files=files)
    figures: dict[str, str] = {}
    try:
        for name in ([args.scenario] if args.scenario else SCENARIOS):
            if name == "first-sync-file":
                from bench.ingest import build_cache_file  # noqa: PLC0415 (as the ingest bench builds it)

                build_cache_file(store_dir / "store.sqlite", files)
            load = _busy_cores() if name == "first-sync-busy" else []
            try:
                out = subprocess.run(
                    [sys.executable, __file__, "--scenario", name, "--url", url, "--orders", str(args.orders),
                     "--timeout", str(args.timeout)] + (["--no-typing"] if args.no_typing else []),
                    capture_output=True, text=True, timeout=args.timeout + 120)
            finally:
                for p in load:
                    p.kill()
            print(f"--- {name}")
            print(out.stdout.strip() or out.stderr[-2000:])
            figures.update(dict(re.findall(r"(\w+)=([\d.]+)", out.stdout.strip().splitlines()[-1]
                                          if out.stdout.strip() else "")))
    finally:
        stop_store(proc)
    stalls = {k: float(v) for k, v in figures.items() if k.endswith("_ms")}
    print(f"max_stall_ms={max(stalls.values(), default=float('nan')):.0f} "
          f"first_sync_ms={figures.get('first_sync_ms', '?')} busy_ms={figures.get('busy_ms', '?')} "
          f"sign_out_hang_ms={figures.get('sign_out_hang_ms', '?')} "
          f"close_hang_ms={figures.get('close_hang_ms', '?')} file_sync_ms={figures.get('file_sync_ms', '?')} "
          f"idle_requeries_per_min={figures.get('idle_requeries_per_min', '?')}")


def _busy_cores() -> list[subprocess.Popen]:
    """Two processes of their own spinning at normal priority: both cores busy."""
    spin = "import time\nend = time.time() + 1800\nwhile time.time() < end: pass\n"
    return [subprocess.Popen([sys.executable, "-c", spin]) for _ in range(os.cpu_count() or 2)]


def run_scenario(args) -> None:
    home = Path(tempfile.mkdtemp(prefix="ws-stall-"))
    os.environ["WORKSTATION_DATA_DIR"] = str(home)  # fresh cache: a real first sync
    if args.scenario in ("first-sync", "first-sync-busy", "first-sync-file"):
        gaps, worst_at, synced, sync_s, searches, requeries = run_window(
            args.url, args.orders, args.timeout, typing=not args.no_typing,
            idle_s=IDLE_S if args.scenario == "first-sync" else 0.0)
        print(f"orders synced: {synced:,} in {sync_s:.1f} s; lookups typed during the sync: {searches}")
        print(f"event-loop ticks: {len(gaps):,}; gap p50 {statistics.median(gaps):.1f} ms, "
              f"p99 {statistics.quantiles(gaps, n=100)[98]:.1f} ms; longest during: {worst_at}")
        key = {"first-sync": "first_sync_ms", "first-sync-busy": "busy_ms"}.get(args.scenario, "file_sync_ms")
        extra = (f" idle_requeries_per_min={requeries * 60 / IDLE_S:.1f}"
                 if args.scenario == "first-sync" else "")
        print(f"{key}={max(gaps):.0f}{extra}")
    else:
        worst, after_s = run_hang(args.url, args.scenario, args.timeout)
        key = "sign_out_hang_ms" if args.scenario == "sign-out-hang" else "close_hang_ms"
        print(f"longest event-loop gap after the {args.scenario.split('-')[0]} with the network "
              f"hanging: {worst:.0f} ms; the window answered again/closed after {after_s * 1000:.0f} ms")
        print(f"{key}={worst:.0f}")


def run_hang(url: str, scenario: str, timeout_s: float) -> tuple[float, float]:
    from PySide6.QtCore import QTimer

    from tests.sync.chaos import Chaos, target_of
    from workstation import app as ws

    link = Chaos(target_of(url))
    application = ws.create_application([sys.argv[0]])
    running = ws.build(application, lang="zh_CN")
    meter = StallMeter()
    state: dict = {"acted": None, "closed_at": None}

    def act() -> None:
        state["acted"] = time.perf_counter()
        meter.phase = scenario
        meter.start()
        if scenario == "sign-out-hang":
            running.window.sign_out_requested.emit()
            QTimer.singleShot(2000, application.quit)
        else:
            running.window.close()  # quits the event loop once the window is gone

    def on_progress(fraction) -> None:
        if fraction is not None and fraction > 0.2 and state["acted"] is None and not link.mode == "hang":
            link.set_mode("hang")  # from now on every request waits forever
            QTimer.singleShot(500, act)

    running.session.first_sync_progress.connect(on_progress)
    QTimer.singleShot(int(timeout_s * 1000), application.quit)
    ws.show(running, direct=(link.url, "demo", "demo"))
    application.exec()
    ended = time.perf_counter()
    meter.stop()
    if state["acted"] is None:
        raise SystemExit("the scenario never reached its action")
    running.window.close()
    link.close()  # the hanging requests end; the process can exit
    return max(meter.gaps) if meter.gaps else 0.0, ended - state["acted"]


def run_window(url: str, n_orders: int, timeout_s: float, typing: bool = True, idle_s: float = 0.0):
    from PySide6.QtCore import QTimer

    from workstation import app as ws

    application = ws.create_application([sys.argv[0]])
    running = ws.build(application, lang="zh_CN")
    meter = StallMeter()
    lookup = running.window.lookup
    state = {"count": 0, "synced_at": None, "searches": 0, "started": None, "idle_from": None}

    def on_count(n: int) -> None:
        state["count"] = n

    def on_connection(connection: str) -> None:
        if connection == "online" and state["synced_at"] is None:
            state["synced_at"] = time.perf_counter()
            meter.phase = "after sync"
            # include the refresh that follows, then the idle part
            QTimer.singleShot(1500, start_idle if idle_s else application.quit)

    def start_idle() -> None:
        meter.phase = "idle"
        state["idle_from"] = lookup.queries_issued
        for k in range(1, 4):  # a few sync cycles (empty pages) inside the idle time
            QTimer.singleShot(int(idle_s * 1000 * k / 4), running.session.sync_now)
        QTimer.singleShot(int(idle_s * 1000), application.quit)

    def on_progress(fraction) -> None:
        if fraction is not None:
            meter.phase = f"first sync {fraction:.0%}"

    def type_query() -> None:
        if state["synced_at"] is None:
            lookup.search_field.setText(QUERIES[state["searches"] % len(QUERIES)])
            state["searches"] += 1

    running.session.order_count_changed.connect(on_count)
    running.session.connection_changed.connect(on_connection)
    running.session.first_sync_progress.connect(on_progress)
    typer = QTimer()
    typer.timeout.connect(type_query)
    QTimer.singleShot(int(timeout_s * 1000), application.quit)

    ws.show(running, direct=(url, "demo", "demo"))

    def begin() -> None:  # after the first event-loop turn: start-up is measured elsewhere
        state["started"] = time.perf_counter()
        meter.phase = "sign-in"
        meter.start()
        if typing:
            typer.start(700)

    QTimer.singleShot(0, begin)
    application.exec()
    meter.stop()
    typer.stop()
    requeries = lookup.queries_issued - state["idle_from"] if state["idle_from"] is not None else 0
    if state["synced_at"] is None:
        raise SystemExit("the first sync did not finish in time")
    # The last count comes from the background job after the sync; read the cache directly.
    from workstation.models.search import count_orders

    engine = running.session.cache.engine if running.session.cache else None
    synced = count_orders(engine) if engine is not None else state["count"]
    running.window.close()
    if meter.slow:
        print(f"gaps over 30 ms ({len(meter.slow)}): {meter.slow[:20]}")
    print("longest gap per phase: " + ", ".join(f"{k} {v:.0f} ms" for k, v in meter.by_phase.items()))
    return (meter.gaps, meter.worst_at, synced, state["synced_at"] - state["started"], state["searches"],
            requeries)


if __name__ == "__main__":
    main()
