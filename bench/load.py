"""Load: N agents syncing and waiting on live events plus M simulated buyers, against one
`storeserver serve --workers 2` on PostgreSQL (a fresh database seeded here, dropped after).

    .venv/bin/python bench/load.py [--agents 50] [--buyers 500] [--rate 2] [--seconds 60]
                                   [--idle-seconds 20] [--orders 2000] [--workers 2] [--agent-procs 2]
                                   [--admin-url postgresql://postgres@127.0.0.1:5432/test]

Each agent (its own login, its own `workstation.sync.client.StoreClient`, one thread) signs in,
makes a first sync (the small streams whole, a one-item snapshot page of each big one for
its feed cursor), then loops: `/sync/wait` (25 s, `changes=100`), and when woken takes the
change pages inlined in the answer and pulls the change feeds of the other streams the
answer names (`streams`) to the head, as the workstation does. Buyers are `storeserver simulate`'s
(`storeserver.buyer_sim`): questions at `--rate` per second in all, each buyer then waits
for a reply through the relay's long poll (nobody answers here). The agents run in
`--agent-procs` child processes (threads there) and the buyers in one more, so the
generator's own interpreter lock does not add to the latencies it measures; it shares the
machine's cores with the server all the same, so each phase line says how much CPU the
generator, the server (all its workers) and the bench database's PostgreSQL backends used,
in % of one core.

Phases, in one run: the baseline (1 agent + the buyers), idle (N agents waiting, nothing
happening), load (N agents + the buyers). Database transactions per second are the
`xact_commit + xact_rollback` delta of the bench's database in `pg_stat_database`, read
after a quiet gap of 11 s on each side (PostgreSQL flushes an idle backend's counters
within 10 s). Latency counts every request except the long polls (sign-in and first sync
happen before a phase starts). Errors: any failed request, of agents or buyers. Delivery:
from the start of a buyer's post to the moment each agent holds the message (the wait's
inlined page, or the page it pulled; one clock: CLOCK_MONOTONIC is system-wide).

Lines: one per phase, the idle figure on its own line, the ratios, then last
`agents=… buyers=… requests=… p99_ms=… errors=… db_queries_per_s=…` (the load phase).
Goal: 50 agents + 500 buyers, errors = 0, p99 <= 200 ms, idle agents cost ~nothing.
"""
from __future__ import annotations

import argparse
import os
import secrets
import statistics
import sys
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

import psycopg  # noqa: E402
from sqlalchemy.engine import make_url  # noqa: E402

from storeserver.loadtest import start_server, stop_server  # noqa: E402

SMALL_STREAMS = {"warehouses", "agents", "conversations"}
WAIT_S = 25.0
INLINE_CHANGES = 100  # as workstation.sync.service asks
QUIET_S = 11.0  # PostgreSQL's PGSTAT_IDLE_INTERVAL is 10 s


# ---- agents ---------------------------------------------------------------------------------

@dataclass
class Tally:
    lock: threading.Lock = field(default_factory=threading.Lock)
    latencies_ms: list[float] = field(default_factory=list)
    errors: Counter = field(default_factory=Counter)
    wakes: int = 0
    recording: bool = False
    received: list[tuple[int, float]] = field(default_factory=list)  # (message id, monotonic time an agent had it)

    def timed(self, fn, *args, **kw):
        t0 = time.perf_counter()
        out = fn(*args, **kw)
        if self.recording:
            with self.lock:
                self.latencies_ms.append((time.perf_counter() - t0) * 1000)
        return out

    def got_messages(self, changes: list[dict]) -> None:
        if self.recording:
            now = time.monotonic()
            with self.lock:
                self.received += [(c["item"]["id"], now) for c in changes if c["op"] == "upsert"]

    def error(self, what: str) -> None:
        with self.lock:
            self.errors[what] += 1


class Agent(threading.Thread):
    def __init__(self, url: str, login: str, streams: tuple[str, ...], tally: Tally, stop: threading.Event):
        super().__init__(daemon=True, name=f"agent-{login}")
        from workstation.sync.client import StoreClient

        self.client = StoreClient(url, timeout=(3.05, 30))
        self.login, self.streams, self.tally, self.stop_event = login, streams, tally, stop
        self.cursors: dict[str, str] = {}
        self.seq = 0
        self.ready = threading.Event()

    def run(self) -> None:
        try:
            self._sign_in_and_first_sync()
        except Exception as exc:  # noqa: BLE001 - counted
            self.tally.error(f"start {type(exc).__name__}")
            self.ready.set()
            return
        self.ready.set()
        while not self.stop_event.is_set():
            try:
                head = self.client.wait(self.seq, WAIT_S, changes=INLINE_CHANGES)
                if head is None or self.stop_event.is_set():
                    continue
                if head.seq != self.seq:
                    with self.tally.lock:
                        self.tally.wakes += 1
                    # What moved, as the workstation does: the pages inlined in the answer are
                    # taken as they are (their cursors), the other moved streams are pulled.
                    inlined = head.changes or {}
                    for stream, page in inlined.items():
                        if stream in self.cursors:
                            self.cursors[stream] = page.next_cursor
                            if stream == "messages":
                                self.tally.got_messages(page.changes)
                    self._pull(None if head.streams is None else [s for s in head.streams if s not in inlined])
                    self.seq = head.seq
            except Exception as exc:  # noqa: BLE001 - counted, then go on like the workstation
                if self.stop_event.is_set():
                    break
                self.tally.error(f"agent {type(exc).__name__}")
                time.sleep(0.5)

    def _sign_in_and_first_sync(self) -> None:
        from workstation.sync.errors import TooManyAttempts

        for _ in range(30):
            try:
                self.client.login(self.login, self.login)
                break
            except TooManyAttempts as exc:  # the sign-in hash pool is bounded: come back later
                time.sleep(getattr(exc, "retry_after_s", 1) or 1)
        self.seq = self.client.head().seq
        for stream in self.streams:
            cursor = None
            while True:
                page = self.client.snapshot(stream, cursor, 1000 if stream in SMALL_STREAMS else 1)
                self.cursors[stream] = page.feed_cursor
                if page.done or stream not in SMALL_STREAMS:
                    break
                cursor = page.next_cursor
        self._pull()

    def _pull(self, only: list[str] | None = None) -> None:
        for stream in self.streams if only is None else [s for s in self.streams if s in only]:
            while True:
                page = self.tally.timed(self.client.changes, stream, self.cursors[stream], 1000)
                self.cursors[stream] = page.next_cursor
                if stream == "messages":
                    self.tally.got_messages(page.changes)
                if not page.has_more:
                    break

    def close(self) -> None:
        self.client.abort()


# ---- CPU, by who spent it ---------------------------------------------------------------

_TICK = os.sysconf("SC_CLK_TCK")


def _proc_cpu_s(pid: int) -> float:
    try:
        with open(f"/proc/{pid}/stat", encoding="ascii") as f:
            fields = f.read().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / _TICK  # utime + stime
    except (OSError, IndexError, ValueError):
        return 0.0


def _children(pid: int) -> list[int]:
    out = []
    try:
        for task in os.listdir(f"/proc/{pid}/task"):
            with open(f"/proc/{pid}/task/{task}/children", encoding="ascii") as f:
                out += [int(c) for c in f.read().split()]
    except OSError:
        pass
    return out


def cpu_now(server_pid: int, admin_url: str, db: str) -> dict[str, float]:
    """CPU seconds so far: this process (the load generator), the server and its workers,
    and the bench database's PostgreSQL backends alive now."""
    server = [server_pid, *_children(server_pid)]
    with pg_admin(admin_url) as conn:
        backends = [r[0] for r in conn.execute("SELECT pid FROM pg_stat_activity WHERE datname = %s", (db,))]
    return {"generator": time.process_time(), "server": sum(_proc_cpu_s(p) for p in server),
            "postgres": {p: _proc_cpu_s(p) for p in backends}}


def cpu_spent(before: dict, after: dict) -> dict[str, float]:
    pg = sum(v - before["postgres"].get(p, 0.0) for p, v in after["postgres"].items())
    return {"generator": after["generator"] - before["generator"], "server": after["server"] - before["server"],
            "postgres": pg}


# ---- the database -----------------------------------------------------------------------

def pg_admin(admin_url: str):
    u = make_url(admin_url)
    return psycopg.connect(host=u.host, port=u.port, user=u.username, dbname=u.database, autocommit=True)


def transactions(admin_url: str, name: str) -> int:
    with pg_admin(admin_url) as conn:
        conn.execute("SELECT pg_stat_clear_snapshot()")
        return conn.execute("SELECT xact_commit + xact_rollback FROM pg_stat_database WHERE datname = %s",
                            (name,)).fetchone()[0]


def create_database(admin_url: str, orders: int, agents: int) -> tuple[str, str, int]:
    """A fresh database with the demo shop and `agents` agent logins (password = login,
    hashed with argon2's cheapest profile: sign-in is not what this measures)."""
    from argon2 import PasswordHasher, profiles

    from storeserver import auth, ops
    from storeserver.db import make_engine, upgrade
    from storeserver.seed import seed_demo

    name = f"bench_load_{secrets.token_hex(4)}"
    with pg_admin(admin_url) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    url = make_url(admin_url).set(drivername="postgresql+psycopg", database=name).render_as_string(hide_password=False)
    auth.set_hasher(PasswordHasher.from_parameters(profiles.CHEAPEST))
    engine = make_engine(url)
    try:
        upgrade(engine)
        shop_id = seed_demo(engine, orders)
        for i in range(1, agents + 1):
            ops.create_agent(engine, shop_id, f"bench{i:03d}", f"bench{i:03d}", f"压测客服{i:03d}", str(5000 + i))
    finally:
        engine.dispose()
    return name, url, shop_id


def drop_database(admin_url: str, name: str) -> None:
    with pg_admin(admin_url) as conn:
        conn.execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = %s "
                     "AND pid <> pg_backend_pid()", (name,))
        conn.execute(f'DROP DATABASE IF EXISTS "{name}"')


# ---- phases -------------------------------------------------------------------------------

@dataclass
class Figures:
    name: str
    agents: int
    buyers: int
    seconds: float
    requests: int
    p50_ms: float
    p99_ms: float
    errors: int
    db_tx_per_s: float
    wakes: int = 0
    questions: int = 0
    error_kinds: dict = field(default_factory=dict)
    cpu: dict = field(default_factory=dict)
    delivery_ms: list[float] = field(default_factory=list)  # buyer post began -> an agent has the message

    def line(self) -> str:
        kinds = f" {self.error_kinds}" if self.error_kinds else ""
        cpu = ", ".join(f"{k} {v / self.seconds * 100:.0f}%" for k, v in self.cpu.items())
        d = self.delivery_ms
        delivery = (f"; a buyer's message reached each agent in p50 {statistics.median(d):.1f} ms, "
                    f"p99 {p99(d):.1f} ms ({len(d)} deliveries)" if d else "")
        return (f"{self.name}: {self.agents} agents + {self.buyers} buyers for {self.seconds:.0f} s: "
                f"{self.requests} requests ({self.requests / self.seconds:.0f}/s; p50 {self.p50_ms:.1f} ms, "
                f"p99 {self.p99_ms:.1f} ms), {self.errors} errors{kinds}, {self.wakes} agent wake-ups, "
                f"{self.questions} buyer questions, db {self.db_tx_per_s:.1f} transactions/s; "
                f"CPU (of one core) {cpu}{delivery}")


def p99(xs: list[float]) -> float:
    if not xs:
        return 0.0
    return statistics.quantiles(xs, n=100)[98] if len(xs) >= 100 else max(xs)


# ---- the load generator, in its own processes ---------------------------------------------
# Agents (threads, each its own StoreClient) run in `--agent-procs` child processes and the
# buyers in one more, so no single interpreter lock serialises 50 agents' and the buyers'
# work (that waiting would be counted as request latency). Each child reports its own CPU.

def _agents_main(pipe, url: str, logins: list[str], streams: tuple[str, ...]) -> None:
    tally, stop = Tally(), threading.Event()
    agents = [Agent(url, login, streams, tally, stop) for login in logins]
    for a in agents:
        a.start()
    for a in agents:
        a.ready.wait(120)
    pipe.send(("ready", dict(tally.errors)))
    cpu0 = time.process_time()
    while True:
        cmd = pipe.recv()
        if cmd == "record":
            with tally.lock:
                tally.latencies_ms.clear()
                tally.errors.clear()
                tally.wakes = 0
                tally.received.clear()
            cpu0 = time.process_time()
            tally.recording = True
            pipe.send("recording")
        elif cmd == "report":
            tally.recording = False
            with tally.lock:
                pipe.send({"latencies_ms": list(tally.latencies_ms), "errors": dict(tally.errors),
                           "wakes": tally.wakes, "cpu_s": time.process_time() - cpu0,
                           "received": list(tally.received)})
        else:  # "stop"
            stop.set()
            for a in agents:
                a.close()
            for a in agents:
                a.join(10)
            pipe.send("stopped")
            return


def _buyers_main(pipe, url: str, buyers, rate: float, seconds: float) -> None:
    from storeserver.buyer_sim import BuyerSimulator

    pipe.send("ready")
    pipe.recv()  # go
    cpu0 = time.process_time()
    summary = BuyerSimulator(url, "demo-relay-key", buyers, rate=rate, duration=seconds, seed=7,
                             patience_s=seconds).run()
    pipe.send({"latencies_ms": summary.latencies_ms, "errors": dict(summary.errors),
               "questions": summary.questions, "cpu_s": time.process_time() - cpu0,
               "sent_at": summary.sent_at})


class AgentProcesses:
    """`n` agents (logins bench001 ...) spread over `procs` child processes."""

    def __init__(self, url: str, n: int, procs: int, streams: tuple[str, ...]):
        import multiprocessing as mp

        ctx = mp.get_context("spawn")
        logins = [f"bench{i:03d}" for i in range(1, n + 1)]
        groups = [logins[i::procs] for i in range(min(procs, n))]
        self.n, self.children = n, []
        for group in groups:
            here, there = ctx.Pipe()
            proc = ctx.Process(target=_agents_main, args=(there, url, group, streams), daemon=True)
            proc.start()
            self.children.append((proc, here))
        self.start_errors = Counter()
        for _, pipe in self.children:
            _, errors = pipe.recv()
            self.start_errors.update(errors)

    def record(self) -> None:
        for _, pipe in self.children:
            pipe.send("record")
        for _, pipe in self.children:
            pipe.recv()

    def report(self) -> list[dict]:
        for _, pipe in self.children:
            pipe.send("report")
        return [pipe.recv() for _, pipe in self.children]

    def stop(self) -> None:
        for proc, pipe in self.children:
            pipe.send("stop")
        for proc, pipe in self.children:
            pipe.recv()
            proc.join(15)


def run_phase(name: str, args, url: str, db: str, agents: AgentProcesses, buyers,
              server_pid: int) -> Figures:
    import multiprocessing as mp

    bought = proc = None
    if buyers:  # started (and its imports done) before the phase
        ctx = mp.get_context("spawn")
        here, there = ctx.Pipe()
        proc = ctx.Process(target=_buyers_main, args=(there, url, buyers, args.rate, args.seconds), daemon=True)
        proc.start()
        here.recv()
    time.sleep(QUIET_S)
    tx0 = transactions(args.admin_url, db)
    cpu0 = cpu_now(server_pid, args.admin_url, db)
    agents.record()
    started = time.monotonic()
    if proc is not None:
        here.send("go")
        bought = here.recv()
        proc.join(15)
    else:
        time.sleep(args.seconds)
    elapsed = time.monotonic() - started
    reports = agents.report()
    cpu = cpu_spent(cpu0, cpu_now(server_pid, args.admin_url, db))
    cpu["generator"] += sum(r["cpu_s"] for r in reports) + (bought["cpu_s"] if bought else 0.0)
    time.sleep(QUIET_S)
    tx1 = transactions(args.admin_url, db)
    lat = [x for r in reports for x in r["latencies_ms"]] + (bought["latencies_ms"] if bought else [])
    errors = Counter()
    for r in reports + ([bought] if bought else []):
        errors.update(r["errors"])
    wakes = sum(r["wakes"] for r in reports)
    sent_at = bought["sent_at"] if bought else {}
    delivery = [(t - sent_at[m]) * 1000 for r in reports for m, t in r["received"] if m in sent_at]
    return Figures(name, agents.n, len(buyers), elapsed, len(lat),
                   statistics.median(lat) if lat else 0.0, p99(lat), sum(errors.values()),
                   (tx1 - tx0) / (elapsed + QUIET_S), wakes, bought["questions"] if bought else 0,
                   dict(errors.most_common(5)), cpu, delivery)


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--agents", type=int, default=50)
    p.add_argument("--buyers", type=int, default=500)
    p.add_argument("--rate", type=float, default=2.0, help="buyer questions per second, all buyers together")
    p.add_argument("--seconds", type=float, default=60.0, help="each measured phase")
    p.add_argument("--idle-seconds", type=float, default=20.0)
    p.add_argument("--orders", type=int, default=2000)
    p.add_argument("--workers", type=int, default=2)
    p.add_argument("--agent-procs", type=int, default=2, help="processes the agents are spread over")
    p.add_argument("--admin-url", default="postgresql://postgres@127.0.0.1:5432/test")
    args = p.parse_args()
    if make_url(args.admin_url).host not in ("127.0.0.1", "localhost"):
        print("loopback databases only", file=sys.stderr)
        return 2

    from storeserver.buyer_sim import load_buyers
    from storeserver.db import make_engine
    from storeserver.streams import STREAM_NAMES

    db, db_url, shop_id = create_database(args.admin_url, args.orders, args.agents)
    proc = None
    try:
        engine = make_engine(db_url)
        buyers = load_buyers(engine, shop_id, args.buyers, seed=7)
        engine.dispose()
        proc, url = start_server(db_url, seed_demo=0, workers=args.workers)
        print(f"PostgreSQL database {db}, {args.orders} orders, server with {args.workers} workers at {url}; "
              f"{len(buyers)} buyers at {args.rate}/s; machine load {os.getloadavg()[0]:.1f}", flush=True)
        streams = tuple(STREAM_NAMES)

        one = AgentProcesses(url, 1, 1, streams)
        base = run_phase("baseline", args, url, db, one, buyers, proc.pid)
        print(base.line(), flush=True)
        one.stop()

        many = AgentProcesses(url, args.agents, args.agent_procs, streams)
        if many.start_errors:
            print(f"agents failing to start: {dict(many.start_errors)}", flush=True)
        idle_args = argparse.Namespace(**{**vars(args), "seconds": args.idle_seconds})
        idle = run_phase("idle", idle_args, url, db, many, [], proc.pid)
        print(idle.line(), flush=True)
        print(f"idle: {args.agents} agents waiting, no buyers: db_transactions_per_s={idle.db_tx_per_s:.1f}", flush=True)
        load = run_phase("load", args, url, db, many, buyers, proc.pid)
        print(load.line(), flush=True)
        many.stop()
        print(f"vs baseline (1 agent): p99 {load.p99_ms / max(base.p99_ms, 0.001):.2f}x, "
              f"db transactions/s {load.db_tx_per_s / max(base.db_tx_per_s, 0.001):.2f}x; "
              f"machine load {os.getloadavg()[0]:.1f}", flush=True)
        print(f"agents={load.agents} buyers={load.buyers} requests={load.requests} p99_ms={load.p99_ms:.1f} "
              f"errors={load.errors} db_queries_per_s={load.db_tx_per_s:.1f}", flush=True)
    finally:
        if proc is not None:
            stop_server(proc)
        drop_database(args.admin_url, db)
    return 0


if __name__ == "__main__":
    sys.exit(main())
