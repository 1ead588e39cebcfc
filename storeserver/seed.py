"""Loading demo data: `seed_demo(engine, n_orders)` creates the demo shop and its history.

Rows stream from the generator in chunks (memory stays flat) and go in with Core
`executemany`; on PostgreSQL with COPY, which is several times faster. Everything is one
transaction, so a failed seed leaves nothing behind. The demo conversations go in last,
through the real chat writes (storeserver.demochat), after the shop's settings (auto-reply
on, cut-off 16:00) and quick phrases (storeserver.demophrases); a few buyer notes on the
buyers of the demo queue come last. The demo agent is the shop's manager (it edits the
team's phrases and the settings). Ids are shifted past existing rows,
so a second demo shop can live in the same database (tests of shop scoping).
"""
from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from datetime import datetime
from itertools import islice

import orjson
from sqlalchemy import Connection, DateTime, Engine, func, insert, select, text, update

from . import auth
from .answering import create_settings
from .db import write_txn
from .demochat import seed_conversations
from .demophrases import AUTO_REPLY, CUTOFF_TIME, seed_demo_answering, seed_notes
from .demophrases import seed_phrases as seed_phrases  # re-exported: bulk phrases for benchmarks
from .demodata import DemoShop, generate
from .models import (Agent, Buyer, Conversation, Order, OrderLine, Product, RemarkHistory, Shop, Sku,
                     Stock, Warehouse)
from .ops import reserve_seq, utcnow

CHUNK = 5000
DEMO_LOGIN, DEMO_PASSWORD, DEMO_NAME, DEMO_AGENT_NO = "demo", "demo", "演示客服", "1024"
SECOND_AGENT = ("demo2", "demo2", "演示客服二号", "2048")  # login, password, name, agent no
DEMO_RELAY_KEY = "demo-relay-key"
DEMO_OVERDUE_AFTER_S = 100
_TABLES = {t.__tablename__: t.__table__ for t in (Warehouse, Product, Sku, Stock, Buyer, Order, OrderLine)}


def seed_demo(engine: Engine, n_orders: int, seed: int = 1, end: datetime | None = None, *,
              second_agent: bool = False) -> int:
    """Create the demo shop (agent `demo` / `demo`, relay key `demo-relay-key`) with
    `n_orders` orders and its conversations; returns its id. `second_agent` adds demo2 /
    demo2 (agent 2048), as `storeserver seed` and `serve --seed-demo` do."""
    return seed_shop(engine, generate(n_orders, seed, end), relay_key=DEMO_RELAY_KEY,
                     more_agents=(SECOND_AGENT,) if second_agent else ())


def seed_shop(engine: Engine, demo: DemoShop, *, shop_name: str | None = None,
              login: str = DEMO_LOGIN, password: str = DEMO_PASSWORD,
              display_name: str = DEMO_NAME, agent_no: str = DEMO_AGENT_NO,
              relay_key: str | None = None,
              more_agents: tuple[tuple[str, str, str, str], ...] = ()) -> int:
    """`more_agents`: (login, password, display name, agent no) of further agents (role
    agent; the first is the manager)."""
    agents = ((login, password, display_name, agent_no), *more_agents)
    hashes = [auth.hash_password(a[1]) for a in agents]
    now = utcnow()
    with write_txn(engine) as conn:
        shop_id = conn.execute(insert(Shop.__table__).values(
            name=shop_name or demo.shop_name, seq=0, epoch=1, purged_seq=0, created_at=now,
            relay_key_sha256=auth.relay_key_digest(relay_key) if relay_key else None,
            overdue_after_s=DEMO_OVERDUE_AFTER_S).returning(Shop.__table__.c.id)).scalar_one()
        off = {name: conn.execute(select(func.coalesce(func.max(t.c.id), 0))).scalar_one()
               for name, t in _TABLES.items()}
        load = _copy_rows if conn.dialect.name == "postgresql" else _insert_rows
        load(conn, "warehouses", ({**w, "shop_id": shop_id, "id": w["id"] + off["warehouses"]}
                                  for w in demo.warehouses()))
        products = demo.products()
        load(conn, "products", ({**_without(p, "skus"), "shop_id": shop_id, "id": p["id"] + off["products"]}
                                for p in products))
        load(conn, "skus", ({**s, "id": s["id"] + off["skus"], "product_id": p["id"] + off["products"]}
                            for p in products for s in p["skus"]))
        load(conn, "stock", ({**s, "shop_id": shop_id, "id": s["id"] + off["stock"],
                              "sku_id": s["sku_id"] + off["skus"],
                              "warehouse_id": s["warehouse_id"] + off["warehouses"]} for s in demo.stock()))
        load(conn, "buyers", (_buyer_row(b, shop_id, off) for b in demo.buyers()))
        _load_orders(conn, load, demo.orders(), shop_id, off)
        last = _history_of_seeded_remarks(conn, shop_id, demo.last_seq)
        conn.execute(update(Shop.__table__).where(Shop.__table__.c.id == shop_id)
                     .values(seq=last))
        # Numbered after the bulk load, through the one seq writer like any later change.
        for i, ((a_login, _, a_name, a_no), pw_hash) in enumerate(zip(agents, hashes)):
            conn.execute(insert(Agent.__table__).values(
                shop_id=shop_id, seq=reserve_seq(conn, shop_id), login=a_login, password_hash=pw_hash,
                display_name=a_name, agent_no=a_no, active=True, created_at=now,
                role="manager" if i == 0 else "agent"))
        name = shop_name or demo.shop_name
        create_settings(conn, shop_id, name, auto_reply_enabled=True, auto_reply_text=AUTO_REPLY,
                        cutoff_time=CUTOFF_TIME)
        seed_demo_answering(conn, shop_id, agent_no=agent_no, now=now)
        seed_conversations(conn, shop_id, name, seed=demo.seed, now=now,
                           agent_nos=tuple(a[3] for a in agents))
        seed_notes(conn, shop_id, _queue_buyers(conn, shop_id), now)
        if conn.dialect.name == "postgresql":
            _reset_pg_sequences(conn)
    if engine.dialect.name == "postgresql":
        # Fresh statistics after a bulk load, or the planner may sort a whole table per page.
        with engine.connect() as conn:
            conn.execution_options(isolation_level="AUTOCOMMIT").exec_driver_sql("ANALYZE")
    return shop_id


def _queue_buyers(conn: Connection, shop_id: int) -> list[int]:
    """The buyers of the open demo conversations, longest waiting first."""
    c = Conversation.__table__
    return conn.execute(select(c.c.buyer_id).where(c.c.shop_id == shop_id, c.c.status == "open")
                        .order_by(c.c.waiting_since.asc().nulls_last(), c.c.id)).scalars().all()


def _history_of_seeded_remarks(conn: Connection, shop_id: int, last_seq: int) -> int:
    """One history entry (version 1) per seeded remark, numbered after everything else;
    returns the shop's new last seq."""
    o, h = Order.__table__, RemarkHistory.__table__
    rows = conn.execute(select(o.c.id, o.c.remark_version, o.c.remark, o.c.remark_flag, o.c.remark_by,
                               o.c.remark_at)
                        .where(o.c.shop_id == shop_id, o.c.remark != "", o.c.remark_by.is_not(None),
                               o.c.remark_at.is_not(None)).order_by(o.c.id)).all()
    for chunk in _chunks({"shop_id": shop_id, "seq": last_seq + i, "order_id": r.id,
                          "version": r.remark_version, "text": r.remark, "flag": r.remark_flag,
                          "reason": "", "agent_no": r.remark_by, "created_at": r.remark_at,
                          "mutation_id": None} for i, r in enumerate(rows, 1)):
        conn.execute(insert(h), chunk)
    return last_seq + len(rows)


def _without(d: dict, key: str) -> dict:
    return {k: v for k, v in d.items() if k != key}


def _buyer_row(b: dict, shop_id: int, off: dict) -> dict:
    return {**b, "shop_id": shop_id, "id": b["id"] + off["buyers"]}


def _load_orders(conn: Connection, load: Callable, orders: Iterator[dict], shop_id: int, off: dict) -> None:
    lines: list[dict] = []

    def order_rows() -> Iterator[dict]:
        for o in orders:
            row = _without(o, "lines")
            row["shop_id"], row["id"] = shop_id, o["id"] + off["orders"]
            row["buyer_id"] = o["buyer_id"] + off["buyers"]
            for ln in o["lines"]:
                lines.append({**ln, "id": ln["id"] + off["order_lines"], "order_id": row["id"],
                              "sku_id": ln["sku_id"] + off["skus"]})
            yield row

    # Orders go in chunk by chunk, each followed by its lines, so memory stays bounded.
    rows = order_rows()
    while chunk := list(islice(rows, CHUNK)):
        load(conn, "orders", chunk)
        load(conn, "order_lines", lines)
        lines.clear()


def _chunks(rows: Iterable[dict]) -> Iterator[list[dict]]:
    it = iter(rows)
    while chunk := list(islice(it, CHUNK)):
        yield chunk


def _kinds(table: str) -> list[tuple[str, str]]:
    """(column, how to convert a wire value): "time", "json" or "" (as is)."""
    out = []
    for c in _TABLES[table].columns:
        kind = "time" if isinstance(c.type, DateTime) else "json" if c.name == "addresses" else ""
        out.append((c.name, kind))
    return out


def _sqlite_time(v: str | None) -> str | None:
    # Wire "2026-11-11T02:13:00Z" -> SQLAlchemy's SQLite storage "2026-11-11 02:13:00.000000"
    # (string comparisons in SQL need the very same format ops.py writes).
    return None if v is None else f"{v[:10]} {v[11:19]}.000000"


def _json(v) -> str:
    return orjson.dumps(v).decode()


def _insert_rows(conn: Connection, table: str, rows: Iterable[dict]) -> None:
    """SQLite: the driver's executemany on plain tuples (SQLAlchemy's per-value bind
    processing costs more than the insert itself at this volume)."""
    kinds = _kinds(table)
    sql = f"INSERT INTO {table} ({', '.join(c for c, _ in kinds)}) VALUES ({', '.join('?' * len(kinds))})"
    conv = {"time": _sqlite_time, "json": _json}
    raw = conn.connection.dbapi_connection
    for chunk in _chunks(rows):
        raw.executemany(sql, [tuple(conv[k](r[c]) if k else r[c] for c, k in kinds) for r in chunk])


def _copy_rows(conn: Connection, table: str, rows: Iterable[dict]) -> None:
    """PostgreSQL: COPY through psycopg 3. Wire times go in as text; PostgreSQL reads the
    ISO form and ignores the Z for a `timestamp without time zone` (stored as UTC)."""
    kinds = _kinds(table)
    raw = conn.connection.dbapi_connection
    with raw.cursor() as cur, cur.copy(f"COPY {table} ({', '.join(c for c, _ in kinds)}) FROM STDIN") as copy:
        for row in rows:
            copy.write_row([_json(row[c]) if k == "json" else row[c] for c, k in kinds])


def _reset_pg_sequences(conn: Connection) -> None:
    # Rows went in with explicit ids; move each id sequence past them.
    for name in ("shops", "agents", *_TABLES):
        conn.execute(text(f"SELECT setval(pg_get_serial_sequence('{name}', 'id'), "
                          f"(SELECT COALESCE(MAX(id), 0) + 1 FROM {name}), false)"))
