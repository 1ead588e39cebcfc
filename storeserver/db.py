"""Engines and schema upgrades for the store backend.

PostgreSQL (psycopg 3) in production; a SQLite file is the embedded default. SQLite gets
WAL, foreign keys, a busy timeout and *real* transactions: Python 3.11's sqlite3 module
only opens a transaction before DML, so reads would otherwise be autocommit statements
and a page plus its lines could come from two different database states.
"""
from __future__ import annotations

import os
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import platformdirs
from sqlalchemy import Connection, Engine, create_engine, event, inspect
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DisconnectionError

ENV_URL = "STORESERVER_DATABASE_URL"
BUSY_TIMEOUT_MS = 30_000


def default_database_url() -> str:
    """`STORESERVER_DATABASE_URL`, else a SQLite file in the user's data folder."""
    env = os.environ.get(ENV_URL)
    if env:
        return env
    folder = Path(platformdirs.user_data_dir("StoreServer", False))
    folder.mkdir(parents=True, exist_ok=True)
    return f"sqlite:///{folder / 'store.sqlite3'}"


def normalize_url(url: str) -> str:
    """Plain `postgresql://` means psycopg 3 here (SQLAlchemy would pick psycopg2)."""
    u = make_url(url)
    if u.drivername in ("postgresql", "postgres"):
        u = u.set(drivername="postgresql+psycopg")
    return u.render_as_string(hide_password=False)


def make_engine(url: str, **kw) -> Engine:
    url = normalize_url(url)
    if make_url(url).get_backend_name() == "sqlite":
        kw.setdefault("connect_args", {}).setdefault("timeout", BUSY_TIMEOUT_MS / 1000)
        kw.setdefault("pool_size", 20)
        engine = create_engine(url, **kw)
        _sqlite_setup(engine)
        return engine
    # Connections kept, not made and dropped per burst: overflow connections are closed on
    # return, and under load (dozens of agents pulling at once) that churn of new backends
    # cost more than the queries. The same 30 at most per process as before.
    kw.setdefault("pool_size", 25)
    kw.setdefault("max_overflow", 5)
    # Last in, first out: a quiet server keeps reusing its most recent connection (no idle
    # check due, see _ping_when_idle) and lets the others age, instead of cycling through all.
    kw.setdefault("pool_use_lifo", True)
    engine = create_engine(url, **kw)
    if not kw.get("pool_pre_ping"):
        _ping_when_idle(engine)
    return engine


PING_IDLE_S = 10.0


def _ping_when_idle(engine: Engine) -> None:
    """Survive a database restart without a ping per request: a pooled connection unused for
    PING_IDLE_S is checked (`SELECT 1`) before it is handed out, and a dead one is replaced
    (SQLAlchemy retries the checkout on DisconnectionError). `pool_pre_ping` did that for
    every checkout, and its ping is a transaction of its own: it doubled the database's
    transactions. A connection that breaks while in steady use fails its one request, and
    SQLAlchemy then replaces every connection of the pool made before the failure."""
    @event.listens_for(engine.pool, "checkin")
    def _checked_in(_dbapi_conn, record):
        record.info["storeserver.idle_since"] = time.monotonic()

    @event.listens_for(engine.pool, "checkout")
    def _checked_out(dbapi_conn, record, _proxy):
        since = record.info.get("storeserver.idle_since")
        if since is None or time.monotonic() - since < PING_IDLE_S:
            return  # just made, or in steady use
        try:
            cursor = dbapi_conn.cursor()
            try:
                cursor.execute("SELECT 1")
            finally:
                cursor.close()
            dbapi_conn.rollback()
        except Exception as exc:  # noqa: BLE001 - any failure: a dead connection
            raise DisconnectionError(f"a pooled connection failed its check: {type(exc).__name__}") from exc


def is_sqlite(engine: Engine) -> bool:
    return engine.dialect.name == "sqlite"


def _sqlite_setup(engine: Engine) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn, _record):
        dbapi_conn.isolation_level = None  # we emit BEGIN ourselves (see module doc)
        cur = dbapi_conn.cursor()
        cur.execute("PRAGMA journal_mode=WAL")
        cur.execute("PRAGMA foreign_keys=ON")
        cur.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
        cur.execute("PRAGMA synchronous=NORMAL")
        cur.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn):
        # Writers ask for IMMEDIATE so they queue on the busy timeout instead of failing
        # with SQLITE_BUSY when a read transaction would have to be upgraded.
        mode = conn.get_execution_options().get("sqlite_begin", "DEFERRED")
        conn.exec_driver_sql(f"BEGIN {mode}")


@contextmanager
def write_txn(engine: Engine) -> Iterator[Connection]:
    """One write transaction: `with write_txn(engine) as conn: ...` commits on success.

    It also frames the live events of the transaction (storeserver.notify): the shops whose
    seq moved are published once each at its end, and in-process waiters wake after the commit."""
    from . import notify

    with engine.connect() as conn:
        conn.execution_options(sqlite_begin="IMMEDIATE")
        notify.begin(conn)
        try:
            with conn.begin():
                yield conn
                notify.flush(conn)  # inside the transaction: PostgreSQL delivers it at commit
        except BaseException:
            notify.finish(conn, committed=False)
            raise
        notify.finish(conn, committed=True)


def migrations_dir() -> Path:
    # Located relative to the package so it works installed and frozen (PyInstaller data).
    return Path(__file__).resolve().parent / "migrations"


def alembic_config(engine: Engine | None = None):
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(migrations_dir()))
    if engine is not None:
        cfg.attributes["engine"] = engine
    return cfg


def upgrade(engine: Engine) -> None:
    """Bring the schema to head (idempotent)."""
    from alembic import command

    command.upgrade(alembic_config(engine), "head")


def has_schema(engine: Engine) -> bool:
    return inspect(engine).has_table("shops")
