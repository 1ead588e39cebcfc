"""`storeserver` command line: serve, seed, create-agent, migrate."""
from __future__ import annotations

import argparse
import getpass
import logging
import sys

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
    print(f"seeded demo shop {shop_id} with {args.orders} orders (logins demo / demo and "
          f"demo2 / demo2, relay key demo-relay-key)")
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


def cmd_serve(args) -> int:
    import uvicorn

    from .api import create_app
    from .models import Shop

    engine = _engine(args)
    with engine.connect() as conn:
        shops = conn.execute(select(func.count()).select_from(Shop.__table__)).scalar_one()
        first = conn.execute(select(func.min(Shop.__table__.c.id))).scalar_one()
    if args.seed_demo and not shops:
        from .seed import seed_demo

        first = seed_demo(engine, args.seed_demo, second_agent=True)
    simulator = None
    if args.simulate and first is not None:
        from .simulate import Simulator

        simulator = Simulator(engine, first).start()

    class _Server(uvicorn.Server):
        async def startup(self, sockets=None):
            await super().startup(sockets)
            if self.servers:  # tell whoever launched us where we are (port 0 = any free port)
                host, port = self.servers[0].sockets[0].getsockname()[:2]
                print(f"storeserver listening on http://{host}:{port}", flush=True)

    from .limits import UVICORN_OPTIONS

    app = create_app(engine, hash_slots=args.login_concurrency)
    config = uvicorn.Config(app, host=args.host, port=args.port, log_level=args.log_level,
                            timeout_graceful_shutdown=3, lifespan="off", **UVICORN_OPTIONS)
    try:
        _Server(config).run()
    finally:
        if simulator:
            simulator.stop()
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
    s.add_argument("--login-concurrency", type=int, default=None, metavar="N",
                   help="password checks run at once (each takes 64 MiB and ~0.1 s of CPU; "
                        "default: half the CPU cores, 1 to 4)")
    s.set_defaults(func=cmd_serve)

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
