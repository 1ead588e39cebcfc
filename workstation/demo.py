"""`python -m workstation.demo`: the product end to end on one machine.

Starts the reference store backend (`python -m storeserver serve`) on SQLite with demo data
on a free loopback port, then the workstation signed in as demo/demo against it (no
dialog), and stops the server when the window closes. While it runs, the store simulates a
busy back office (new orders, stock counts) and buyers who chat with the shop
(`storeserver simulate`: questions in Chinese about their own orders, a message about every
30 s, `--buyer-interval`), so the queue is alive. `--second-agent` also opens a
second workstation signed in as another agent of the same shop (demo2 / demo2, agent no.
2048), so two agents can edit the same order's remark and see the merge.
"""
from __future__ import annotations

import argparse
import os
import shutil
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

READY_PREFIX = "storeserver listening on "


def default_demo_dir() -> Path:
    from platformdirs import user_data_dir  # noqa: PLC0415

    return Path(user_data_dir("Workstation", False)) / "demo"


def parse_args(argv: list[str]) -> argparse.Namespace:
    p = argparse.ArgumentParser(prog="python -m workstation.demo", description=__doc__.splitlines()[0])
    p.add_argument("--orders", type=int, default=20000, help="demo orders to seed (default 20000)")
    p.add_argument("--reset", action="store_true", help="delete the demo store and caches first")
    p.add_argument("--lang", choices=["zh_CN", "en"], help="interface language")
    p.add_argument("--data-dir", help="demo folder (default: <user data dir>/demo)")
    p.add_argument("--no-simulate", action="store_true",
                   help="do not simulate new orders nor buyer messages while running")
    p.add_argument("--buyer-interval", type=float, default=30.0, metavar="S",
                   help="simulated buyers (`storeserver simulate`) send a message about every S "
                        "seconds and answer the agents' replies (default 30; 0 = no buyers)")
    p.add_argument("--second-agent", action="store_true",
                   help="also open a second workstation as agent demo2 (to try a remark conflict)")
    p.add_argument("--exit-after", type=float, default=None, help=argparse.SUPPRESS)  # smoke checks
    p.add_argument("--connect", help=argparse.SUPPRESS)  # (internal) the second agent's window
    p.add_argument("--login", default="demo", help=argparse.SUPPRESS)
    p.add_argument("--password", default="demo", help=argparse.SUPPRESS)
    return p.parse_args(argv)


SECOND_AGENT = ("demo2", "demo2", "演示客服二号", "2048")


def ensure_second_agent(demo_dir: Path) -> None:
    """The demo shop's second agent (created once, in the demo store's database)."""
    from sqlalchemy import create_engine, select  # noqa: PLC0415

    from storeserver import ops  # noqa: PLC0415
    from storeserver.models import Agent  # noqa: PLC0415

    engine = create_engine(f"sqlite:///{(demo_dir / 'store.sqlite').as_posix()}")
    try:
        with engine.connect() as conn:
            shop_id = conn.execute(select(Agent.shop_id).where(Agent.login == "demo")).scalar_one()
            exists = conn.execute(select(Agent.id).where(Agent.login == SECOND_AGENT[0])).first()
        if exists is None:
            login, password, name, agent_no = SECOND_AGENT
            ops.create_agent(engine, shop_id, login, password, name, agent_no)
    finally:
        engine.dispose()


def open_second_agent(url: str, demo_dir: Path, args: argparse.Namespace) -> subprocess.Popen:
    cmd = [sys.executable, "-m", "workstation.demo", "--connect", url, "--login", SECOND_AGENT[0],
           "--password", SECOND_AGENT[1], "--data-dir", str(demo_dir)]
    if args.lang:
        cmd += ["--lang", args.lang]
    if args.exit_after is not None:
        cmd += ["--exit-after", str(args.exit_after)]
    say(f"opening a second workstation as {SECOND_AGENT[0]} / {SECOND_AGENT[1]} (agent {SECOND_AGENT[3]})")
    return subprocess.Popen(cmd)


def say(text: str) -> None:
    print(f"[demo] {text}", flush=True)


def start_store(demo_dir: Path, orders: int, *, simulate: bool = True, timeout_s: float = 600.0,
                nice: int = 0, cache_files: Path | None = None,
                build_cache_files: bool = False) -> tuple[subprocess.Popen, str]:
    """Start the store server; echo its progress; return (process, base URL). `cache_files`:
    the directory of the shop's cache files it offers (`build_cache_files`: builds them)."""
    cmd = [sys.executable, "-m", "storeserver", "serve",
           "--database-url", f"sqlite:///{(demo_dir / 'store.sqlite').as_posix()}",
           "--port", "0", "--seed-demo", str(orders)]
    if cache_files is not None:
        cmd += ["--cache-files", str(cache_files)]
        if build_cache_files:
            cmd += ["--build-cache-files", "--cache-file-min-orders", "1"]
    if simulate:
        cmd.append("--simulate")
    say(f"starting the store server ({orders:,} demo orders; seeding takes a while the first time)…")
    extra = {"preexec_fn": lambda: os.nice(nice)} if nice and os.name == "posix" else {}
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                            encoding="utf-8", errors="replace", bufsize=1, **extra)
    url_box: list[str] = []
    found = threading.Event()

    def pump() -> None:
        assert proc.stdout is not None
        for line in proc.stdout:
            line = line.rstrip()
            if not url_box and line.startswith(READY_PREFIX):
                url_box.append(line[len(READY_PREFIX):].strip())
                found.set()
            if line:
                print(f"  store: {line}", flush=True)
        found.set()

    threading.Thread(target=pump, name="store-output", daemon=True).start()
    started = time.monotonic()
    deadline = started + timeout_s
    while not found.wait(5.0):
        say(f"still preparing the demo shop… {time.monotonic() - started:.0f} s")
        if time.monotonic() > deadline:
            stop_store(proc)
            raise RuntimeError("the store server did not start in time")
    if not url_box:
        raise RuntimeError(f"the store server exited (code {proc.wait()}) before listening")
    return proc, url_box[0]


DEMO_BUYERS = 12
DEMO_RELAY_KEY = "demo-relay-key"  # `storeserver seed` gives the demo shop this relay key


def start_buyers(url: str, demo_dir: Path, interval_s: float) -> subprocess.Popen:
    """`storeserver simulate` at a gentle rate, so the demo queue is alive; each buyer
    message is echoed to the console."""
    cmd = [sys.executable, "-m", "storeserver", "simulate", "--url", url, "--relay-key", DEMO_RELAY_KEY,
           "--database-url", f"sqlite:///{(demo_dir / 'store.sqlite').as_posix()}",
           "--buyers", str(DEMO_BUYERS), "--rate", f"{1 / interval_s:.6f}", "--duration", str(12 * 3600),
           "--seed", str(int(time.time()) % 100_000), "--verbose"]
    say(f"simulated buyers: a message about every {interval_s:.0f} s")
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                            encoding="utf-8", errors="replace", bufsize=1)

    def pump() -> None:
        assert proc.stdout is not None
        for line in proc.stdout:
            if line.strip():
                print(f"  chat {line.rstrip()}", flush=True)

    threading.Thread(target=pump, name="buyers-output", daemon=True).start()
    return proc


def stop_store(proc: subprocess.Popen, timeout_s: float = 10.0, what: str = "the store server") -> None:
    if proc.poll() is not None:
        return
    say(f"stopping {what}…")
    proc.terminate()  # uvicorn shuts down gracefully on SIGTERM
    try:
        proc.wait(timeout_s)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


def run_workstation(url: str, lang: str | None, exit_after: float | None,
                    login: str = "demo", password: str = "demo") -> int:
    from PySide6.QtCore import QTimer  # noqa: PLC0415

    from workstation import app as ws  # noqa: PLC0415

    argv = [sys.argv[0]] + (["--lang", lang] if lang else [])
    application = ws.create_application(argv)
    running = ws.build(application, lang=lang)
    # Ctrl+C in the console closes the window cleanly (Python only sees signals between
    # Qt events, so a timer wakes the interpreter regularly).
    signal.signal(signal.SIGINT, lambda *_: running.window.close())
    waker = QTimer(application)
    waker.timeout.connect(lambda: None)
    waker.start(250)
    if exit_after is not None:
        QTimer.singleShot(int(exit_after * 1000), running.window.close)
    running.session.connection_changed.connect(lambda state: say(f"workstation: {state}"))
    counts: list[int] = []

    def report_count(n: int) -> None:
        if not counts or counts[-1] != n:
            counts.append(n)
            say(f"workstation: {n:,} orders cached")

    running.session.order_count_changed.connect(report_count)
    ws.show(running, direct=(url, login, password))
    code = application.exec()
    ws.finish_background_work(code)
    return code


def main(argv: list[str] | None = None) -> int:
    args = parse_args(sys.argv[1:] if argv is None else argv)
    demo_dir = Path(args.data_dir).resolve() if args.data_dir else default_demo_dir()
    if args.reset and demo_dir.exists():
        say(f"removing {demo_dir}")
        shutil.rmtree(demo_dir)
    demo_dir.mkdir(parents=True, exist_ok=True)
    if args.connect:  # the second agent's window: its own settings, caches and window state
        os.environ["WORKSTATION_DATA_DIR"] = str(demo_dir / f"workstation-{args.login}")
        return run_workstation(args.connect, args.lang, args.exit_after, args.login, args.password)
    # The demo's settings and caches stay apart from a real installation's.
    os.environ["WORKSTATION_DATA_DIR"] = str(demo_dir / "workstation")
    # A new agent's first sync (the second window, a reset cache) comes from the shop's
    # prebuilt cache file once it is built (a few seconds after the start).
    proc, url = start_store(demo_dir, args.orders, simulate=not args.no_simulate,
                            cache_files=demo_dir / "cache-files", build_cache_files=True)
    say(f"store server ready at {url}; opening the workstation as demo/demo")
    second = buyers = None
    try:
        if not args.no_simulate and args.buyer_interval > 0:
            buyers = start_buyers(url, demo_dir, args.buyer_interval)
        if args.second_agent:
            ensure_second_agent(demo_dir)
            second = open_second_agent(url, demo_dir, args)
        return run_workstation(url, args.lang, args.exit_after)
    finally:
        if second is not None:
            second.wait()  # the store stays up while the second window is open
        if buyers is not None:
            stop_store(buyers, what="the simulated buyers")  # they print a summary as they go
        stop_store(proc)


if __name__ == "__main__":
    sys.exit(main())
