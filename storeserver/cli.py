"""`storeserver` command line: serve, simulate, seed, create-agent, migrate."""
from __future__ import annotations

import argparse
import getpass
import logging
import os
import subprocess
import sys
from pathlib import Path

from sqlalchemy import func, select

from .db import ENV_URL, default_database_url, make_engine, upgrade


def _engine(args):
    engine = make_engine(args.database_url or default_database_url())
    upgrade(engine)
    return engine


def cmd_migrate(args) -> int:
    _engine(args)
    print("database is at the latest schema")
    return 0


def cmd_seed(args) -> int:
    from .seed import seed_demo

    shop_id = seed_demo(_engine(args), args.orders, seed=args.seed, second_agent=True)
    print(f"seeded demo shop {shop_id} with {args.orders} orders (logins demo / demo, the "
          f"store manager, and demo2 / demo2, relay key demo-relay-key)")
    return 0


def cmd_create_agent(args) -> int:
    from . import ops

    engine = _engine(args)
    shop_id = ops.shop_id_by_name(engine, args.shop) or ops.create_shop(engine, args.shop)
    password = args.password or getpass.getpass(f"password for {args.login}: ")
    if not password:
        print("a password is required", file=sys.stderr)
        return 2
    agent_id = ops.create_agent(engine, shop_id, args.login, password, args.name, args.agent_no)
    print(f"agent {agent_id} ({args.login}) created in shop {shop_id} ({args.shop})")
    return 0


def _server_class():
    import uvicorn

    class Server(uvicorn.Server):
        async def startup(self, sockets=None):
            await super().startup(sockets)
            if self.servers:  # tell whoever launched us where we are (port 0 = any free port)
                host, port = self.servers[0].sockets[0].getsockname()[:2]
                print(f"storeserver listening on http://{host}:{port}", flush=True)
    return Server


ENV_LOGIN_CONCURRENCY = "STORESERVER_LOGIN_CONCURRENCY"
ENV_CACHE_FILES = "STORESERVER_CACHE_FILES"


SWITCH_INTERVAL_S = 0.0005


def _prompt_threads() -> None:
    """A write (a sync endpoint, on a worker thread) gives up the interpreter lock at each
    database round trip and waits to get it back while the event loop answers a burst of
    woken long polls: with the default 5 ms switch interval a buyer's post of ~10 round
    trips queued up to ~50 ms behind one burst. A shorter interval hands it back sooner."""
    sys.setswitchinterval(SWITCH_INTERVAL_S)


def worker_app():
    """The app factory of `serve --workers N` (uvicorn imports it in each worker process):
    each worker makes its own engine, notifier listener and sign-in hash pool."""
    from .api import create_app

    _prompt_threads()
    slots = os.environ.get(ENV_LOGIN_CONCURRENCY)
    return create_app(make_engine(os.environ[ENV_URL]), hash_slots=int(slots) if slots else None,
                      cache_files=os.environ.get(ENV_CACHE_FILES) or None)


def cmd_serve(args) -> int:
    import uvicorn

    from .api import create_app
    from .db import is_sqlite
    from .limits import UVICORN_OPTIONS
    from .models import Shop

    if args.workers < 1:
        print("--workers must be at least 1", file=sys.stderr)
        return 2
    url = args.database_url or default_database_url()
    engine = _engine(args)
    if args.workers > 1 and is_sqlite(engine):
        print("--workers > 1 needs PostgreSQL: SQLite (the embedded default) has one writer at a "
              "time and its live events wake only the process that wrote; serve it with one "
              "process, or pass --database-url postgresql://...", file=sys.stderr)
        return 2
    with engine.connect() as conn:
        shops = conn.execute(select(func.count()).select_from(Shop.__table__)).scalar_one()
        first = conn.execute(select(func.min(Shop.__table__.c.id))).scalar_one()
    if args.seed_demo and not shops:
        from .seed import seed_demo

        first = seed_demo(engine, args.seed_demo, second_agent=True)
    if args.build_cache_files and not args.cache_files:
        print("--build-cache-files needs --cache-files DIR", file=sys.stderr)
        return 2
    builder = _start_cache_file_builder(args, url) if args.build_cache_files else None
    simulator = None
    if args.simulate and first is not None:
        from .simulate import Simulator

        simulator = Simulator(engine, first).start()

    options = dict(host=args.host, port=args.port, log_level=args.log_level,
                   timeout_graceful_shutdown=3, **UVICORN_OPTIONS)
    try:
        if args.workers == 1:
            _prompt_threads()
            app = create_app(engine, hash_slots=args.login_concurrency, cache_files=args.cache_files)
            _server_class()(uvicorn.Config(app, lifespan="on", **options)).run()
        else:
            _serve_workers(args, url, options)
    finally:
        if simulator:
            simulator.stop()
        if builder is not None:
            builder.terminate()
            try:
                builder.wait(timeout=10)
            except subprocess.TimeoutExpired:
                builder.kill()
    return 0


def _start_cache_file_builder(args, url: str):
    """`build-cache-files --every` in a process of its own: building a big shop's file takes
    minutes of CPU that must not slow the answers."""
    # Its stdin is a pipe from here: when this process ends, killed or not, the builder reads
    # end-of-file and stops (on every OS).
    return subprocess.Popen([sys.executable, "-m", "storeserver", "build-cache-files", "--database-url", url,
                             "--cache-files", str(args.cache_files), "--every", str(args.cache_file_every),
                             "--min-orders", str(args.cache_file_min_orders), "--with-parent"],
                            stdin=subprocess.PIPE)


def cmd_build_cache_files(args) -> int:
    import threading
    import time

    from . import cachefiles
    from .models import Order, Shop

    if args.with_parent:
        def parent_gone() -> None:
            sys.stdin.buffer.read()  # returns when the server's end of the pipe closes
            os._exit(0)
        threading.Thread(target=parent_gone, daemon=True).start()
    engine = _engine(args)
    directory = Path(args.cache_files)
    cachefiles.sweep(directory)
    failed = False
    while True:
        with engine.connect() as conn:
            if args.shop is not None:
                shops = [args.shop]
            else:
                count = func.count(Order.__table__.c.id)
                shops = list(conn.execute(select(Shop.__table__.c.id).join_from(
                    Shop.__table__, Order.__table__, Order.__table__.c.shop_id == Shop.__table__.c.id)
                    .group_by(Shop.__table__.c.id).having(count >= args.min_orders)).scalars())
        for shop_id in shops:
            try:
                d = cachefiles.build(engine, shop_id, directory)
            except Exception:  # noqa: BLE001 - one shop's failure must not stop the others' rebuilds
                logging.getLogger(__name__).exception("the cache file of shop %s could not be built", shop_id)
                failed = True
                continue
            print(f"cache file of shop {shop_id}: {d.streams} in {d.build_s} s, {d.bytes / 1e6:.1f} MB "
                  f"({d.unpacked_bytes / 1e6:.1f} MB unpacked)", flush=True)
        if not args.every:
            return 1 if failed else 0
        time.sleep(args.every)


def _listening_socket(host: str, port: int, backlog: int):
    """The workers' shared socket, listening at once (connections wait in the backlog until
    a worker is up). Made with proto IPPROTO_TCP: asyncio sets TCP_NODELAY only on accepted
    sockets whose proto says TCP, and uvicorn's own bind_socket leaves it 0, which made every
    kept-alive answer wait ~44 ms for a delayed ACK (measured: 52 ms per /sync/head)."""
    import socket

    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    sock.bind((host, port))
    sock.listen(backlog)
    sock.set_inheritable(True)
    return sock


def _serve_workers(args, url: str, options: dict) -> None:
    """N uvicorn worker processes on one listening socket (bound here, so port 0 works)."""
    import uvicorn
    from uvicorn.supervisors import Multiprocess

    os.environ[ENV_URL] = url  # the workers (spawned) read their settings from the environment
    if args.cache_files:
        os.environ[ENV_CACHE_FILES] = str(args.cache_files)
    if args.login_concurrency:
        os.environ[ENV_LOGIN_CONCURRENCY] = str(args.login_concurrency)
    config = uvicorn.Config("storeserver.cli:worker_app", factory=True, workers=args.workers,
                            lifespan="on", **options)
    sock = _listening_socket(args.host, args.port, config.backlog)
    host, port = sock.getsockname()[:2]
    # The same line as one process (launchers parse it); connections made before the workers
    # are up wait in the socket's backlog.
    print(f"storeserver: {args.workers} worker processes", flush=True)
    print(f"storeserver listening on http://{host}:{port}", flush=True)
    Multiprocess(config, sockets=[sock]).run()


def cmd_simulate(args) -> int:
    from sqlalchemy.engine import make_url

    from .buyer_sim import BuyerSimulator, load_buyers
    from .models import Shop

    if make_url(args.url).host not in ("127.0.0.1", "localhost", "::1") and not args.any_host:
        print("simulate talks to loopback servers only (pass --any-host to allow others)", file=sys.stderr)
        return 2
    if args.buyers < 1 or args.rate <= 0 or args.duration <= 0:
        print("--buyers, --rate and --duration must be positive", file=sys.stderr)
        return 2
    engine = make_engine(args.database_url or default_database_url())
    try:
        with engine.connect() as conn:
            shop_id = args.shop_id or conn.execute(select(func.min(Shop.__table__.c.id))).scalar_one()
        buyers = load_buyers(engine, shop_id, args.buyers, args.seed) if shop_id else []
    finally:
        engine.dispose()
    if not buyers:
        print("no buyers with orders in that database: seed it first (storeserver seed)", file=sys.stderr)
        return 2
    sim = BuyerSimulator(args.url, args.relay_key, buyers, rate=args.rate, duration=args.duration,
                         seed=args.seed, log=(lambda line: print(line, flush=True)) if args.verbose else None)
    import signal

    signal.signal(signal.SIGTERM, lambda *_: sim.stop())
    try:
        summary = sim.run()
    except KeyboardInterrupt:
        sim.stop()
        summary = sim.summary
    print(summary.line(), flush=True)
    return 0


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="storeserver", description="Reference store backend")
    sub = p.add_subparsers(dest="command", required=True)

    def db_arg(sp):
        sp.add_argument("--database-url", default=None,
                        help=f"SQLAlchemy URL (default ${ENV_URL}, else a SQLite file in the user data folder)")

    s = sub.add_parser("serve", help="run the HTTP API")
    db_arg(s)
    s.add_argument("--host", default="127.0.0.1")
    s.add_argument("--port", type=int, default=8000, help="0 picks a free port")
    s.add_argument("--seed-demo", type=int, default=0, metavar="N",
                   help="seed the demo shop with N orders when the database has no shop yet")
    s.add_argument("--simulate", action="store_true", help="make live changes every few seconds")
    s.add_argument("--log-level", default="warning")
    s.add_argument("--workers", type=int, default=1, metavar="N",
                   help="server processes over one database (PostgreSQL only for N > 1; live "
                        "events reach every process through LISTEN/NOTIFY)")
    s.add_argument("--login-concurrency", type=int, default=None, metavar="N",
                   help="password checks run at once (each takes 64 MiB and ~0.1 s of CPU; "
                        "default: half the CPU cores, 1 to 4)")
    s.add_argument("--cache-files", default=None, metavar="DIR",
                   help="offer the shops' prebuilt cache files in DIR to first syncs (PROTOCOL.md)")
    s.add_argument("--build-cache-files", action="store_true",
                   help="build them now and every --cache-file-every seconds (a separate process)")
    s.add_argument("--cache-file-every", type=float, default=6 * 3600, metavar="S", help=argparse.SUPPRESS)
    s.add_argument("--cache-file-min-orders", type=int, default=10_000, metavar="N", help=argparse.SUPPRESS)
    s.set_defaults(func=cmd_serve)

    s = sub.add_parser("build-cache-files", help="build the shops' cache files for first syncs")
    db_arg(s)
    s.add_argument("--cache-files", required=True, metavar="DIR")
    s.add_argument("--shop", type=int, default=None, help="only this shop (default: every shop with "
                                                          "--min-orders orders)")
    s.add_argument("--min-orders", type=int, default=10_000, metavar="N")
    s.add_argument("--every", type=float, default=0, metavar="S", help="rebuild every S seconds (0: once)")
    s.add_argument("--with-parent", action="store_true", help=argparse.SUPPRESS)
    s.set_defaults(func=cmd_build_cache_files)

    s = sub.add_parser("simulate", help="simulated buyers chatting through the relay of a running server",
                       description="Buyers of the shop (picked from the database, with their own "
                                   "orders) ask in Chinese what buyers ask (bargaining, ship faster, "
                                   "arrival, logistics, size and stock, address changes, cash on "
                                   "delivery), wait for replies and answer them, for a bounded time; "
                                   "then a summary line.")
    s.add_argument("--url", default="http://127.0.0.1:8000", help="the running server (loopback)")
    s.add_argument("--relay-key", default="demo-relay-key", help="the shop's relay key")
    db_arg(s)
    s.add_argument("--shop-id", type=int, default=None, help="default: the first shop")
    s.add_argument("--buyers", type=int, default=20, help="how many buyers take part")
    s.add_argument("--rate", type=float, default=0.2, help="new questions per second (all buyers together)")
    s.add_argument("--duration", type=float, default=60.0, help="seconds, then it stops")
    s.add_argument("--seed", type=int, default=1, help="who asks what (deterministic per seed)")
    s.add_argument("--verbose", action="store_true", help="print every buyer message")
    s.add_argument("--any-host", action="store_true", help=argparse.SUPPRESS)
    s.set_defaults(func=cmd_simulate)

    s = sub.add_parser("seed", help="create the demo shop")
    db_arg(s)
    s.add_argument("--orders", type=int, default=10_000)
    s.add_argument("--seed", type=int, default=1)
    s.set_defaults(func=cmd_seed)

    s = sub.add_parser("create-agent", help="add an agent login (creates the shop if needed)")
    db_arg(s)
    s.add_argument("--shop", required=True)
    s.add_argument("--login", required=True)
    s.add_argument("--name", required=True)
    s.add_argument("--agent-no", required=True)
    s.add_argument("--password", default=None, help="prompted when omitted")
    s.set_defaults(func=cmd_create_agent)

    s = sub.add_parser("migrate", help="upgrade the database schema")
    db_arg(s)
    s.set_defaults(func=cmd_migrate)
    return p


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    logging.basicConfig(level=logging.WARNING)
    return args.func(args)


if __name__ == "__main__":
    sys.exit(main())
