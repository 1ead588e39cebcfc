"""Apply sync pages to the cache: the only writer of synced data.

Every public call is ONE SQLite transaction (BEGIN IMMEDIATE) holding the row changes and
the stream's new cursor, so a crash or an error leaves rows and cursor exactly as before.

Hot path: plain sqlite3 `executemany` on the SQLAlchemy connection's driver connection.
Core inserts run at ~3/4 of that rate (ENVIRONMENT.md) and apply is benchmarked; the SQL stays
simple enough to read. Per id, the newest version wins: an item is written only when its
`seq` is greater than the cached one (checked up front, and again in the upsert's WHERE).
Child rows (SKUs of a product, lines of an order) are replaced together with their parent,
and orders together with their search index entries (`models.fts`, in bulk per page).
"""
from __future__ import annotations

import sqlite3
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, replace
from operator import itemgetter
from typing import Any

import orjson
from sqlalchemy import Engine
from sqlalchemy.exc import SQLAlchemyError

from workstation.models import fts, timefmt
from workstation.models.db import IMMEDIATE, CacheError
from workstation.models.state import StreamState, check_stream, read_state, write_state

Row = tuple[Any, ...]


class ApplyError(CacheError):
    """A page could not be applied; nothing of it (rows or cursor) was written."""


@dataclass(frozen=True)
class _Table:
    name: str
    columns: tuple[str, ...]
    row: Callable[[dict], Row] | None = None  # None for child tables (rows come from the parent)


@dataclass(frozen=True)
class _Stream:
    table: _Table
    child: _Table | None = None  # rows that travel inside the parent item
    child_key: str = ""  # the child column holding the parent id
    children: Callable[[dict], Iterable[Row]] | None = None
    searchable: bool = False  # keeps orders_fts / orders_short in step


def _t(value: Any) -> str | None:
    """Wire times are already canonical: skip the parse for them (6 per order, 1M orders)."""
    if value is None or (value.__class__ is str and len(value) == 20 and value[19] == "Z"):
        return value
    return timefmt.to_db(value)


_ORDER_PLAIN = (
    "id", "seq", "order_no", "buyer_id", "buyer_nick", "status", "payment_method", "total_cents",
    "shipping_cents", "discount_cents", "receiver_name", "receiver_phone", "province", "city",
    "district", "address_detail", "carrier", "tracking_no", "remark", "remark_flag", "remark_by")
_ORDER_TIMES = ("created_at", "paid_at", "shipped_at", "completed_at", "closed_at", "remark_at")
_order_plain = itemgetter(*_ORDER_PLAIN)  # C-speed field picking: this runs 1M times per first sync


def _order_row(o: dict) -> Row:
    return (*_order_plain(o), _t(o["created_at"]), _t(o["paid_at"]), _t(o["shipped_at"]),
            _t(o["completed_at"]), _t(o["closed_at"]), _t(o["remark_at"]))


def _order_lines(o: dict) -> Iterator[Row]:
    oid = o["id"]
    for li in o["lines"]:
        yield (li["id"], oid, li["sku_id"], li["style_no"], li["product_name"], li["colour"],
               li["size"], li["outer_id"], li["qty"], li["unit_price_cents"])


def _product_skus(p: dict) -> Iterator[Row]:
    pid = p["id"]
    for s in p["skus"]:
        yield (s["id"], pid, s["outer_id"], s["colour"], s["size"], s["page_price_cents"])


STREAM_SPECS: dict[str, _Stream] = {
    "warehouses": _Stream(_Table("warehouses", ("id", "seq", "name", "code"),
                                 lambda w: (w["id"], w["seq"], w["name"], w["code"]))),
    "products": _Stream(
        _Table("products", ("id", "seq", "style_no", "name", "category", "page_price_cents"),
               lambda p: (p["id"], p["seq"], p["style_no"], p["name"], p["category"],
                          p["page_price_cents"])),
        child=_Table("skus", ("id", "product_id", "outer_id", "colour", "size", "page_price_cents")),
        child_key="product_id", children=_product_skus,
    ),
    "stock": _Stream(_Table("stock", ("id", "seq", "sku_id", "warehouse_id", "qty", "reserved"),
                            lambda s: (s["id"], s["seq"], s["sku_id"], s["warehouse_id"], s["qty"],
                                       s["reserved"]))),
    "buyers": _Stream(_Table(
        "buyers", ("id", "seq", "nick", "name", "phone", "member_level", "first_order_at", "addresses"),
        lambda b: (b["id"], b["seq"], b["nick"], b["name"], b["phone"], b["member_level"],
                   _t(b.get("first_order_at")), orjson.dumps(b.get("addresses") or []).decode()),
    )),
    "orders": _Stream(
        _Table("orders", _ORDER_PLAIN + _ORDER_TIMES, _order_row),
        child=_Table("order_lines", ("id", "order_id", "sku_id", "style_no", "product_name", "colour",
                                     "size", "outer_id", "qty", "unit_price_cents")),
        child_key="order_id", children=_order_lines, searchable=True,
    ),
}


def upsert_sql(table: _Table) -> str:
    """INSERT ... ON CONFLICT DO UPDATE, guarded so an older seq never overwrites a newer row."""
    cols = ", ".join(table.columns)
    marks = ", ".join("?" * len(table.columns))
    sets = ", ".join(f"{c} = excluded.{c}" for c in table.columns if c != "id")
    return (f"INSERT INTO {table.name} ({cols}) VALUES ({marks}) "
            f"ON CONFLICT(id) DO UPDATE SET {sets} WHERE excluded.seq > {table.name}.seq")


def insert_sql(table: _Table) -> str:
    return (f"INSERT INTO {table.name} ({', '.join(table.columns)}) "
            f"VALUES ({', '.join('?' * len(table.columns))})")


@contextmanager
def _write_transaction(engine: Engine, what: str) -> Iterator[sqlite3.Cursor]:
    """One IMMEDIATE transaction; any failure rolls it back and surfaces as ApplyError."""
    try:
        with engine.connect() as conn:
            conn = conn.execution_options(**IMMEDIATE)
            with conn.begin():
                cur = conn.connection.driver_connection.cursor()
                try:
                    yield cur
                finally:
                    cur.close()
    except (sqlite3.Error, SQLAlchemyError, KeyError, TypeError, ValueError, AttributeError) as exc:
        raise ApplyError(f"Could not apply {what}; nothing was changed: {type(exc).__name__}: {exc}") from exc


def _cached_seqs(cur: sqlite3.Cursor, table: str, ids: list[int]) -> dict[int, int]:
    if not ids:
        return {}
    # One JSON parameter instead of thousands of "?": no SQLite variable limit to mind.
    rows = cur.execute(
        f"SELECT t.id, t.seq FROM json_each(?) AS j JOIN {table} AS t ON t.id = j.value",
        (orjson.dumps(ids),),
    )
    return dict(rows.fetchall())


def _write_rows(cur: sqlite3.Cursor, spec: _Stream, upserts: list[dict],
                deletes: list[tuple[int, int]]) -> int:
    """Write the newest version of each item; returns the rows actually changed."""
    table = spec.table
    cached = _cached_seqs(cur, table.name, [it["id"] for it in upserts] + [i for i, _ in deletes])
    fresh = [it for it in upserts if it["seq"] > cached.get(it["id"], -1)]
    gone = [i for i, seq in deletes if i in cached and cached[i] < seq]
    reindex: list[int] = []
    if spec.searchable:
        # Most changes (status, remark) leave the searchable text alone: skip those.
        reindex = fts.search_fields_changed(cur, [it for it in fresh if it["id"] in cached])
        fts.unindex_orders(cur, reindex + gone)
    if spec.child is not None:
        replaced = [(it["id"],) for it in fresh if it["id"] in cached] + [(i,) for i in gone]
        if replaced:
            cur.executemany(f"DELETE FROM {spec.child.name} WHERE {spec.child_key} = ?", replaced)
    if gone:
        cur.executemany(f"DELETE FROM {table.name} WHERE id = ?", [(i,) for i in gone])
    if fresh:
        row = table.row
        assert row is not None
        cur.executemany(upsert_sql(table), [row(it) for it in fresh])
        if spec.child is not None and spec.children is not None:
            cur.executemany(insert_sql(spec.child),
                            [row for it in fresh for row in spec.children(it)])
    if spec.searchable:
        fts.index_orders(cur, reindex + [it["id"] for it in fresh if it["id"] not in cached])
    return len(fresh) + len(gone)


def _newest_per_id(items: Iterable[dict]) -> list[dict]:
    """A page may carry an entity twice; only its newest version matters."""
    best: dict[int, dict] = {}
    for it in items:
        prev = best.get(it["id"])
        if prev is None or it["seq"] > prev["seq"]:
            best[it["id"]] = it
    return list(best.values())


def apply_snapshot_page(engine: Engine, stream: str, items: list[dict], *, next_cursor: str | None,
                        done: bool, feed_cursor: str, total: int | None) -> int:
    """Store one snapshot page and the cursor of the next one; returns rows written.

    When `done`, the stream moves to the change feed at `feed_cursor` and counts as synced.
    """
    check_stream(stream)
    spec = STREAM_SPECS[stream]
    with _write_transaction(engine, f"a {stream} snapshot page") as cur:
        written = _write_rows(cur, spec, _newest_per_id(items), [])
        old = read_state(cur, stream)
        applied = (old.applied if old.phase == "snapshot" else 0) + len(items)
        total = total if total is not None else old.total
        if done:
            new = StreamState(stream, "feed", feed_cursor, feed_cursor, total, applied,
                              timefmt.utc_now())
        else:
            new = StreamState(stream, "snapshot", next_cursor, feed_cursor, total, applied,
                              old.last_synced_at)
        write_state(cur, new)
    return written


def apply_changes(engine: Engine, stream: str, changes: list[dict], *, next_cursor: str,
                  has_more: bool = False) -> int:
    """Store one change-feed page (upserts and tombstones) and its cursor; returns rows changed.

    `has_more=True` (the server's flag) keeps `last_synced_at` where it was: the stream is not
    caught up yet. An empty page with `has_more=False` just records "synced now".
    """
    check_stream(stream)
    spec = STREAM_SPECS[stream]
    with _write_transaction(engine, f"a {stream} change page") as cur:
        last: dict[int, dict] = {}
        for ch in changes:
            key = ch["item"]["id"] if ch["op"] == "upsert" else ch["id"]
            if key not in last or ch["seq"] > last[key]["seq"]:
                last[key] = ch
        upserts = [ch["item"] for ch in last.values() if ch["op"] == "upsert"]
        deletes = [(ch["id"], ch["seq"]) for ch in last.values() if ch["op"] == "delete"]
        if len(upserts) + len(deletes) != len(last):
            raise ValueError("a change's op must be 'upsert' or 'delete'")
        written = _write_rows(cur, spec, upserts, deletes)
        old = read_state(cur, stream)
        synced = old.last_synced_at if has_more else timefmt.utc_now()
        write_state(cur, replace(old, phase="feed", cursor=next_cursor,
                                 applied=old.applied + len(changes), last_synced_at=synced))
    return written


def reset_stream(engine: Engine, stream: str) -> None:
    """Forget a stream's rows and sync state (after `410 cursor_gone`); the outbox stays."""
    check_stream(stream)
    spec = STREAM_SPECS[stream]
    with _write_transaction(engine, f"the reset of {stream}") as cur:
        cur.execute(f"DELETE FROM {spec.table.name}")
        if spec.searchable:
            fts.clear_index(cur)
        if spec.child is not None:
            cur.execute(f"DELETE FROM {spec.child.name}")
        cur.execute("DELETE FROM sync_state WHERE stream = ?", (stream,))
