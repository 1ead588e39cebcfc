"""Apply sync pages to the cache: the only writer of synced data.

Every public call is ONE SQLite transaction (BEGIN IMMEDIATE) holding the row changes and
the stream's new cursor, so a crash or an error leaves rows and cursor exactly as before.
Every call returns a `ChangeSet` (`models.changes`): which ids it wrote, inserted, deleted
and re-indexed. Run them through the cache's one writer (`Cache.writer`, `models.writer`).

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
from dataclasses import dataclass, replace
from operator import itemgetter
from typing import Any

import orjson
from sqlalchemy import Engine

from sqlalchemy import JSON

from workstation.models import fts, outbox, timefmt
from workstation.models.changes import ChangeSet, StreamChange
from workstation.models.db import CacheError, write_cursor
from workstation.models.schema import AddressList, Base, Coded, Interned, UtcDateTime, UtcEpoch, pack_addresses
from workstation.models.state import StreamState, read_state, write_state
from workstation.models.streams import STREAMS, CacheStream, get_stream

Row = tuple[Any, ...]


class ApplyError(CacheError):
    """A page could not be applied; nothing of it (rows or cursor) was written."""


@dataclass(frozen=True)
class _Table:
    name: str
    columns: tuple[str, ...]
    row: Callable[[dict], Row]
    # The SQL value of each column: "?" or an expression of its "?"s (epoch times, 0009;
    # interned fields, 0010).
    values: tuple[str, ...] = ()
    interned: tuple[Interned, ...] = ()  # their new combinations are stored first (0010)

    def store_interned(self, cur: sqlite3.Cursor, items: list[dict]) -> None:
        for kind in self.interned:
            rows = {tuple(it[f] for f in kind.fields) for it in items}
            cur.execute(kind.new_rows_sql, (orjson.dumps(sorted(rows)),))

    @property
    def marks(self) -> str:
        return ", ".join(self.values or ("?",) * len(self.columns))


@dataclass(frozen=True)
class _Spec:
    """How one declared stream (`models.streams`) is written: built once from its ORM model."""

    stream: CacheStream
    table: _Table
    child: _Table | None
    children: Callable[[dict], Iterable[Row]] | None
    items: "_Items | None" = None


def _t(value: Any) -> str | None:
    """Wire times are already canonical: skip the parse for them (6 per order, 1M orders)."""
    if value is None or (value.__class__ is str and len(value) == 20 and value[19] == "Z"):
        return value
    return timefmt.to_db(value)


def _json(value: Any) -> str:
    return orjson.dumps(value if value is not None else []).decode()


def _tuple_getter(columns: tuple[str, ...]) -> Callable[[dict], tuple]:
    if not columns:
        return lambda _d: ()
    if len(columns) == 1:
        (only,) = columns
        return lambda d: (d[only],)
    return itemgetter(*columns)  # C-speed field picking: this runs 1M times per first sync


def _row_writer(model: type[Base], skip: tuple[str, ...] = ()) -> tuple[tuple[str, ...], Callable[[dict], Row],
                                                                       tuple[str, ...]]:
    """The stored columns of `model` (plain ones first, then times, then JSON documents), a
    function turning a wire entity into that row, and each column's SQL value (epoch times
    are converted by SQLite, in C: `timefmt.EPOCH_SQL`; an interned column is looked up from
    its wire fields: `Interned.lookup_sql`). Computed columns are left to SQLite."""
    plain: list[str] = []
    plain_fields: list[str] = []  # the wire fields of the plain columns (an interned one has several)
    lookups: dict[str, str] = {}
    times: list[str] = []
    epochs: list[str] = []
    docs: list[str] = []
    packed: list[str] = []
    coded: list[str] = []
    for col in model.__table__.columns:
        if col.computed is not None or col.name in skip:
            continue
        if isinstance(col.type, UtcDateTime):
            times.append(col.name)
        elif isinstance(col.type, UtcEpoch):
            epochs.append(col.name)
        elif isinstance(col.type, JSON):
            docs.append(col.name)
        elif isinstance(col.type, AddressList):
            packed.append(col.name)
        elif isinstance(col.type, Coded):
            coded.append(col.name)
        elif isinstance(col.type, Interned):
            plain.append(col.name)
            plain_fields.extend(col.type.fields)
            lookups[col.name] = col.type.lookup_sql
        else:
            plain.append(col.name)
            plain_fields.append(col.name)
    times += epochs  # the same canonical text goes in; SQL turns it into seconds
    get_plain, get_times, get_docs, get_packed = (_tuple_getter(tuple(c)) for c in (plain_fields, times, docs, packed))
    if coded:
        codes = [(col_name, {n: i for i, n in enumerate(model.__table__.columns[col_name].type.names)})
                 for col_name in coded]

        def row(d: dict) -> Row:
            return (*get_plain(d), *map(_t, get_times(d)), *(table[d[c]] for c, table in codes))
        assert not docs and not packed, "coded columns beside documents: extend _row_writer"
    elif docs or packed:
        def row(d: dict) -> Row:
            return (*get_plain(d), *map(_t, get_times(d)), *map(_json, get_docs(d)),
                    *map(pack_addresses, get_packed(d)))
    elif times:
        def row(d: dict) -> Row:
            return (*get_plain(d), *map(_t, get_times(d)))
    else:
        row = get_plain
    columns = (*plain, *times, *docs, *packed, *coded)
    values = tuple(timefmt.EPOCH_SQL if c in epochs else lookups.get(c, "?") for c in columns)
    return columns, row, values


@dataclass(frozen=True)
class _Items:
    """Child fields stored once in a table of their own (0009: `sold_items`); the child row
    keeps a reference. Looked up per page by the page's SKUs, new ones inserted."""

    table: str
    columns: tuple[str, ...]  # the first one (sku_id) narrows the lookup
    key: Callable[[dict], tuple]

    def ids(self, cur: sqlite3.Cursor, keys: Iterable[tuple]) -> dict[tuple, int]:
        keys = set(keys)
        if not keys:
            return {}
        first = self.columns[0]
        cols = ", ".join(self.columns)
        rows = cur.execute(f"SELECT {cols}, id FROM {self.table} WHERE {first} IN "
                           f"(SELECT value FROM json_each(?))", (orjson.dumps(sorted({k[0] for k in keys})),))
        known = {r[:-1]: r[-1] for r in rows}
        insert = f"INSERT INTO {self.table} ({cols}) VALUES ({', '.join('?' * len(self.columns))})"
        for k in keys - known.keys():
            known[k] = cur.execute(insert, k).lastrowid
        return known


def _spec(stream: CacheStream) -> _Spec:
    columns, row, values = _row_writer(stream.model)
    interned = tuple(c.type for c in stream.model.__table__.columns if isinstance(c.type, Interned))
    table = _Table(stream.table, columns, row, values, interned)
    if stream.child is None:
        return _Spec(stream, table, None, None)
    child = stream.child
    key = child.key
    if child.items is None:
        child_columns, child_row, _ = _row_writer(child.model, skip=(child.parent_column,))

        def children(parent: dict) -> Iterator[Row]:
            pid = parent["id"]
            for item in parent[key]:
                yield (pid, *child_row(item))

        child_table = _Table(child.model.__tablename__, (child.parent_column, *child_columns), child_row)
        return _Spec(stream, table, child_table, children)
    # The child row is (parent id, its own fields..., the item's id): `_write_children` puts
    # the item id in place of the item's key tuple, which `children` leaves last.
    child_columns, child_row, _ = _row_writer(child.model, skip=(child.parent_column, child.item_column))
    item_columns, item_key, _ = _row_writer(child.items, skip=("id",))
    items = _Items(child.items.__tablename__, item_columns, item_key)

    def children_with_items(parent: dict) -> Iterator[Row]:
        pid = parent["id"]
        for item in parent[key]:
            yield (pid, *child_row(item), item_key(item))

    child_table = _Table(child.model.__tablename__,
                         (child.parent_column, *child_columns, child.item_column), child_row)  # type: ignore[arg-type]
    return _Spec(stream, table, child_table, children_with_items, items)


STREAM_SPECS: dict[str, _Spec] = {name: _spec(stream) for name, stream in STREAMS.items()}


def upsert_sql(table: _Table, *, guarded: bool = True) -> str:
    """INSERT ... ON CONFLICT DO UPDATE, guarded so an older seq never overwrites a newer row
    (unguarded while a stream is reloaded: the server's new history is the truth)."""
    cols = ", ".join(table.columns)
    sets = ", ".join(f"{c} = excluded.{c}" for c in table.columns if c != "id")
    guard = f" WHERE excluded.seq > {table.name}.seq" if guarded else ""
    return (f"INSERT INTO {table.name} ({cols}) VALUES ({table.marks}) "
            f"ON CONFLICT(id) DO UPDATE SET {sets}{guard}")


def insert_sql(table: _Table) -> str:
    return f"INSERT INTO {table.name} ({', '.join(table.columns)}) VALUES ({table.marks})"


def _write_transaction(engine: Engine, what: str):
    """One IMMEDIATE transaction (`db.write_cursor`): the database refusing the page is an
    ApplyError; a bug (KeyError, TypeError...) propagates as itself, so the sync loop reports
    it as one instead of retrying it forever."""
    return write_cursor(engine, f"apply {what}", ApplyError)


def _by_id(item: dict) -> int:
    return item["id"]


def _cached_seqs(cur: sqlite3.Cursor, table: str, ids: list[int]) -> dict[int, int]:
    if not ids:
        return {}
    # One JSON parameter instead of thousands of "?": no SQLite variable limit to mind.
    rows = cur.execute(
        f"SELECT t.id, t.seq FROM json_each(?) AS j JOIN {table} AS t ON t.id = j.value",
        (orjson.dumps(ids),),
    )
    return dict(rows.fetchall())


def _recount(cur: sqlite3.Cursor, spec: _Spec, delta: int | None) -> None:
    """Keep the stream's row count (`CacheStream.count_table`) in step: `delta` rows more (or
    fewer), or None: none are left. In the transaction that wrote them; once per page, where
    a per-row trigger cost ~15 us per order written (0011)."""
    table = spec.stream.count_table
    if table is None or delta == 0:
        return
    if delta is None:
        cur.execute(f"UPDATE {table} SET n = 0 WHERE id = 1")
    else:
        cur.execute(f"UPDATE {table} SET n = n + ? WHERE id = 1", (delta,))


def _write_rows(cur: sqlite3.Cursor, spec: _Spec, upserts: list[dict],
                deletes: list[tuple[int, int]], *, reload: bool = False) -> StreamChange:
    """Write the newest version of each item (every item while reloading); returns what
    changed."""
    table, stream = spec.table, spec.stream
    cached = _cached_seqs(cur, table.name, [it["id"] for it in upserts] + [i for i, _ in deletes])
    if reload:
        fresh = [it for it in upserts if it["seq"] != cached.get(it["id"], -1)]
    else:
        fresh = [it for it in upserts if it["seq"] > cached.get(it["id"], -1)]
    gone = [i for i, seq in deletes if i in cached and (reload or cached[i] < seq)]
    # Written in ascending id order: snapshot pages walk ids downwards, and rows inserted
    # in descending key order leave every B-tree page about half full (SQLite's split
    # favours appending), which made a first-synced cache ~1.8x its vacuumed size.
    fresh.sort(key=_by_id)
    inserted = [it["id"] for it in fresh if it["id"] not in cached]
    reindex: list[int] = []
    if stream.searchable:
        # Most changes (status, remark) leave the searchable text alone: skip those.
        reindex = fts.search_fields_changed(cur, [it for it in fresh if it["id"] in cached])
        fts.unindex_orders(cur, reindex + gone)
    _delete_children(cur, spec, [it["id"] for it in fresh if it["id"] in cached] + gone)
    if gone:
        cur.executemany(f"DELETE FROM {table.name} WHERE id = ?", [(i,) for i in gone])
    if fresh:
        table.store_interned(cur, fresh)
        cur.executemany(upsert_sql(table, guarded=not reload), [table.row(it) for it in fresh])
        if spec.child is not None and spec.children is not None:
            rows = [row for it in fresh for row in spec.children(it)]
            if spec.items is not None:
                ids = spec.items.ids(cur, [r[-1] for r in rows])
                rows = [(*r[:-1], ids[r[-1]]) for r in rows]
            cur.executemany(insert_sql(spec.child), rows)
    _recount(cur, spec, len(inserted) - len(gone))
    if stream.searchable:
        fts.index_orders(cur, reindex)
        fts.index_items(cur, [it for it in fresh if it["id"] not in cached])  # = inserted
    return StreamChange(stream.name, upserted=frozenset(it["id"] for it in fresh),
                        inserted=frozenset(inserted), deleted=frozenset(gone),
                        reindexed=frozenset(reindex + inserted) if stream.searchable else frozenset())


def _delete_children(cur: sqlite3.Cursor, spec: _Spec, parent_ids: list[int]) -> None:
    if spec.child is None or not parent_ids:
        return
    key = spec.stream.child.parent_column  # type: ignore[union-attr]
    cur.execute(f"DELETE FROM {spec.child.name} WHERE {key} IN (SELECT value FROM json_each(?))",
                (orjson.dumps(parent_ids),))


def _newest_per_id(items: Iterable[dict]) -> list[dict]:
    """A page may carry an entity twice; only its newest version matters."""
    best: dict[int, dict] = {}
    for it in items:
        prev = best.get(it["id"])
        if prev is None or it["seq"] > prev["seq"]:
            best[it["id"]] = it
    return list(best.values())


def _sweep_unconfirmed(cur: sqlite3.Cursor, spec: _Spec, below: int | None, down_to: int | None,
                       confirmed: set[int]) -> list[int]:
    """While reloading: cached ids in [down_to, below) that the new snapshot did not bring are
    gone on the server. (Snapshot pages walk ids downwards, so every page covers exactly the
    range from the previous page's lowest id down to its own.)"""
    table = spec.table.name
    where, args = [], []
    if below is not None:
        where.append("id < ?")
        args.append(below)
    if down_to is not None:
        where.append("id >= ?")
        args.append(down_to)
    sql = f"SELECT id FROM {table}" + (f" WHERE {' AND '.join(where)}" if where else "")
    stale = [i for (i,) in cur.execute(sql, args) if i not in confirmed]
    if stale:
        if spec.stream.searchable:
            fts.unindex_orders(cur, stale)
        _delete_children(cur, spec, stale)
        cur.execute(f"DELETE FROM {table} WHERE id IN (SELECT value FROM json_each(?))",
                    (orjson.dumps(stale),))
        _recount(cur, spec, -len(stale))
    return stale


def apply_snapshot_page(engine: Engine, stream: str, items: list[dict], *, next_cursor: str | None,
                        done: bool, feed_cursor: str, total: int | None) -> ChangeSet:
    """Store one snapshot page and the cursor of the next one; returns what changed.

    When `done`, the stream moves to the change feed at `feed_cursor` and counts as synced.
    While the stream is being reloaded (`begin_reload`), its old rows keep answering lookups:
    each page overwrites the rows it brings and removes the cached rows of its id range that
    the server no longer has; the last page removes whatever lies below it.
    """
    spec = STREAM_SPECS[get_stream(stream).name]
    with _write_transaction(engine, f"a {stream} snapshot page") as cur:
        old = read_state(cur, stream)
        reload = old.phase == "reload"
        items = _newest_per_id(items)
        change = _write_rows(cur, spec, items, [], reload=reload)
        outbox.reapply(cur, stream, change.upserted)  # a pull never hides a waiting write
        floor = old.reload_floor
        if reload:
            ids = {it["id"] for it in items}
            lowest = min(ids) if ids else None
            # A page that brings nothing proves nothing about ids below it, unless it ends the
            # snapshot (then everything below the floor is gone).
            stale = (_sweep_unconfirmed(cur, spec, floor, None if done else lowest, ids)
                     if ids or done else [])
            change = StreamChange(stream, change.upserted, change.inserted,
                                  frozenset(stale), change.reindexed, reloaded=done)
            if lowest is not None:
                floor = lowest
        applied = (old.applied if old.phase != "feed" else 0) + len(items)
        total = total if total is not None else old.total
        if done:
            new = StreamState(stream, "feed", feed_cursor, feed_cursor, total, applied,
                              timefmt.utc_now())
        else:
            new = StreamState(stream, old.phase if reload else "snapshot", next_cursor,
                              feed_cursor, total, applied, old.last_synced_at,
                              reload_floor=floor if reload else None)
        write_state(cur, new)
    return ChangeSet.of(change)


def apply_changes(engine: Engine, stream: str, changes: list[dict], *, next_cursor: str,
                  has_more: bool = False) -> ChangeSet:
    """Store one change-feed page (upserts and tombstones) and its cursor; returns what changed.

    `has_more=True` (the server's flag) keeps `last_synced_at` where it was: the stream is not
    caught up yet. An empty page with `has_more=False` just records "synced now".
    """
    spec = STREAM_SPECS[get_stream(stream).name]
    with _write_transaction(engine, f"a {stream} change page") as cur:
        last: dict[int, dict] = {}
        for ch in changes:
            key = ch["item"]["id"] if ch["op"] == "upsert" else ch["id"]
            if key not in last or ch["seq"] > last[key]["seq"]:
                last[key] = ch
        upserts = [ch["item"] for ch in last.values() if ch["op"] == "upsert"]
        deletes = [(ch["id"], ch["seq"]) for ch in last.values() if ch["op"] == "delete"]
        if len(upserts) + len(deletes) != len(last):
            raise ApplyError("a change's op must be 'upsert' or 'delete'; nothing was changed")
        change = _write_rows(cur, spec, upserts, deletes)
        outbox.reapply(cur, stream, change.upserted)  # a pull never hides a waiting write
        old = read_state(cur, stream)
        synced = old.last_synced_at if has_more else timefmt.utc_now()
        write_state(cur, replace(old, phase="feed", cursor=next_cursor,
                                 applied=old.applied + len(changes), last_synced_at=synced,
                                 reload_floor=None))
    return ChangeSet.of(change)


def fold_search_index_step(engine: Engine) -> bool:
    """One short step of `fts.merge_step` in its own write transaction, so other writes
    (an agent's remark) queue behind one step, not the whole fold; True while more is left."""
    with _write_transaction(engine, "a step of folding the search index") as cur:
        return fts.merge_step(cur)


def begin_reload(engine: Engine, stream: str) -> ChangeSet:
    """Start loading a stream afresh (after `410 cursor_gone`) BESIDE its cached rows: they
    keep answering lookups until the new snapshot has replaced them (`apply_snapshot_page`
    sweeps what the server no longer has). The outbox is untouched. Nothing visible changes
    yet, so the change set is empty."""
    get_stream(stream)
    with _write_transaction(engine, f"the reload of {stream}") as cur:
        old = read_state(cur, stream)
        write_state(cur, StreamState(stream, "reload", None, None, None, 0, old.last_synced_at,
                                     reload_floor=None))
    return ChangeSet()


def reset_stream(engine: Engine, stream: str) -> ChangeSet:
    """Forget a stream's rows and sync state at once; the outbox stays. (Sync reloads with
    `begin_reload`, which keeps lookups answering meanwhile; this is the blunt tool.)"""
    spec = STREAM_SPECS[get_stream(stream).name]
    with _write_transaction(engine, f"the reset of {stream}") as cur:
        cur.execute(f"DELETE FROM {spec.table.name}")
        _recount(cur, spec, None)
        if spec.stream.searchable:
            fts.clear_index(cur)
        if spec.child is not None:
            cur.execute(f"DELETE FROM {spec.child.name}")
        cur.execute("DELETE FROM sync_state WHERE stream = ?", (stream,))
    return ChangeSet.of(StreamChange(stream, reloaded=True))
