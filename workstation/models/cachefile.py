"""A cache file: a shop's bulk streams, built once by the store server, installed at a first sync.

A first sync through snapshot pages costs the client ~150 us per order at 1M orders
(validation, search tokens, FTS5, the B-tree indexes: bench/ingest.py --parts), over two
minutes for a big shop on an office PC. Yet every agent of the shop computes the very same
file. So the server builds it once (`build`, with this module's own apply code, from the
same wire pages a paged sync gets) and each new agent downloads it (`sync.cachefile`), has
it checked (`check`) and copies its tables into the cache in one transaction (`install`):
SQLite's transfer optimization copies the rows and their indexes page by page, without
decoding a record (1M orders: ~4 s). The change feed then goes on from the cursor the file
was built at, so nothing changed since is missed (PROTOCOL.md, "Cache files").

A file holds the streams of `FILE_STREAMS` (the big ones every agent of a shop sees alike;
the small ones, and the agent's own, come in pages first). It is only installed into a cache
that holds none of their rows yet (a new agent's); anything else pages as before.
"""
from __future__ import annotations

import sqlite3
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path

from workstation.models import fts, outbox
from workstation.models.apply import STREAM_SPECS, apply_snapshot_page
from workstation.models.changes import ChangeSet, StreamChange
from workstation.models.db import HEAD_REVISION, CacheError, open_cache
from workstation.models.state import read_state
from workstation.models.streams import get_stream

# In pull order (models.streams): the big streams, the same for every agent of a shop.
FILE_STREAMS: tuple[str, ...] = ("remarks", "buyers", "orders")


class CacheFileError(CacheError):
    """A cache file is unusable (damaged, another schema, not for an empty cache); the
    cache was not changed."""


@dataclass(frozen=True)
class FilePage:
    """One snapshot page for `build` (as `wire.SnapshotPage` carries it)."""

    stream: str
    items: list[dict]
    next_cursor: str | None
    done: bool
    feed_cursor: str
    total: int | None


def tables_of(stream: str) -> tuple[str, ...]:
    """The cache tables a stream's rows live in: its own, its children's, the small tables
    they reference (places, sold items), its row count, its search index's."""
    spec = STREAM_SPECS[get_stream(stream).name]
    names = [kind.table for kind in spec.table.interned] + [spec.table.name]
    if spec.child is not None:
        if spec.items is not None:
            names.append(spec.items.table)
        names.append(spec.child.name)
    if spec.stream.count_table:
        names.append(spec.stream.count_table)
    if spec.stream.searchable:
        names += [fts.TABLE, *fts.SHADOW_TABLES]
    return tuple(dict.fromkeys(names))


def _all_tables(streams: Iterable[str]) -> tuple[str, ...]:
    return tuple(dict.fromkeys(t for s in streams for t in tables_of(s)))


def _replaced(streams: Iterable[str]) -> set[str]:
    """Tables an empty cache already has rows in, which the copy replaces whole: the search
    index's own (its structure) and the one-row counts."""
    counts = {STREAM_SPECS[s].stream.count_table for s in streams} - {None}
    return {*fts.SHADOW_TABLES, *counts}  # type: ignore[arg-type]


# ---- building (the store server) ------------------------------------------------------


def build(path: Path, pages: Iterable[FilePage],
          progress: Callable[[str, int, int | None], None] | None = None) -> dict[str, int]:
    """Write a cache file at `path` (which must not exist) from every snapshot page of the
    file's streams, applied exactly as a client applies them; then fold the search index
    and compact the file. Returns the rows per stream. `progress(stream, applied, total)`
    after each page."""
    if path.exists():
        raise FileExistsError(path)
    work = path.with_name(path.name + ".building")
    for p in (work, Path(f"{work}-wal"), Path(f"{work}-shm")):
        p.unlink(missing_ok=True)
    cache = open_cache(work)
    counts: dict[str, int] = {}
    try:
        batch: list[FilePage] = []
        for page in pages:
            if page.stream not in FILE_STREAMS:
                raise ValueError(f"stream {page.stream!r} is not one a cache file holds")
            batch.append(page)
            # Pages as a first sync applies them (models.apply: up to 5000 orders per
            # transaction), so the file is what a paged sync would have made.
            if page.done or sum(len(p.items) for p in batch) >= 5000:
                _apply(cache.engine, batch)
                counts[page.stream] = counts.get(page.stream, 0) + sum(len(p.items) for p in batch)
                batch = []
                if progress is not None:
                    progress(page.stream, counts[page.stream], page.total)
        if batch:
            raise ValueError(f"the pages of {batch[-1].stream} end without a last page")
        missing = [s for s in FILE_STREAMS if s not in counts]
        if missing:
            raise ValueError(f"no pages of {', '.join(missing)}")
        with cache.engine.connect() as conn:
            raw = conn.connection.driver_connection
            fts.optimize(raw.cursor())
            raw.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    finally:
        cache.writer.close(wait=True)
        cache.engine.dispose()
    con = sqlite3.connect(work, isolation_level=None)
    try:
        con.execute("VACUUM INTO ?", (str(path),))  # compact: what is downloaded
    finally:
        con.close()
        for p in (work, Path(f"{work}-wal"), Path(f"{work}-shm")):
            p.unlink(missing_ok=True)
    return counts


def _apply(engine, batch: list[FilePage]) -> None:
    last = batch[-1]
    apply_snapshot_page(engine, last.stream, [it for p in batch for it in p.items],
                        next_cursor=last.next_cursor, done=last.done, feed_cursor=last.feed_cursor,
                        total=next((p.total for p in batch if p.total is not None), None))


# ---- checking and installing (the client) ---------------------------------------------


@dataclass(frozen=True)
class FileContents:
    schema: str
    rows: dict[str, int]  # per stream


def _open_read_only(path: Path) -> sqlite3.Connection:
    con = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True)
    # A file from elsewhere: no functions run from its schema, every cell's size checked.
    con.execute("PRAGMA trusted_schema=OFF")
    con.execute("PRAGMA cell_size_check=ON")
    return con


def check(path: Path, streams: tuple[str, ...] = FILE_STREAMS, *, feed_cursor: str | None = None,
          rows: dict[str, int] | None = None) -> FileContents:
    """Read a downloaded cache file and check that it is whole and of this cache's schema,
    with every stream of `streams` loaded and on the feed (at `feed_cursor`, with `rows`
    rows per stream, when the server's description says). Raises CacheFileError."""
    try:
        con = _open_read_only(path)
    except sqlite3.Error as exc:
        raise CacheFileError(f"The downloaded cache file cannot be opened: {exc}", path) from exc
    try:
        try:
            damage = [r[0] for r in con.execute("PRAGMA quick_check(5)")]
            if damage != ["ok"]:
                raise CacheFileError(f"The downloaded cache file is damaged: {'; '.join(damage)}", path)
            tables = {n for (n,) in con.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
            if not {"alembic_version", "sync_state"} <= tables:
                raise CacheFileError("The downloaded file is not a cache", path)
            schema = con.execute("SELECT version_num FROM alembic_version").fetchone()
            if schema is None or schema[0] != HEAD_REVISION:
                raise CacheFileError(f"The cache file is of schema {schema and schema[0]!r}, this "
                                     f"version of the app needs {HEAD_REVISION!r}", path)
            found: dict[str, int] = {}
            cur = con.cursor()
            for stream in streams:
                state = read_state(cur, stream)
                if state.phase != "feed" or not state.cursor:
                    raise CacheFileError(f"The cache file does not hold all of {stream}", path)
                if feed_cursor is not None and state.cursor != feed_cursor:
                    raise CacheFileError(f"The cache file's {stream} is not the one described", path)
                found[stream] = cur.execute(f"SELECT count(*) FROM {get_stream(stream).table}").fetchone()[0]
            if rows is not None and found != {s: rows.get(s) for s in streams}:
                raise CacheFileError(f"The cache file holds {found}, not the {rows} described", path)
            for stream in streams:
                counted = STREAM_SPECS[stream].stream.count_table
                if counted:
                    (n,) = cur.execute(f"SELECT n FROM {counted} WHERE id = 1").fetchone() or (None,)
                    if n != found[stream]:
                        raise CacheFileError(f"The cache file counts {n} {stream} but holds {found[stream]}", path)
        except (sqlite3.DatabaseError, ValueError, TypeError) as exc:
            raise CacheFileError(f"The downloaded file is not a readable cache: {exc}", path) from exc
        return FileContents(schema[0], found)
    finally:
        con.close()


def not_installable(cur: sqlite3.Cursor, streams: tuple[str, ...] = FILE_STREAMS) -> str | None:
    """Why a cache file of `streams` may not go into this cache (None: it may): it has
    started loading one of them, or holds rows of their tables."""
    for stream in streams:
        state = read_state(cur, stream)
        if state.phase != "snapshot" or state.cursor is not None or state.applied:
            return f"The cache has started loading {stream} already"
    replaced = _replaced(streams) | {fts.TABLE}
    for table in _all_tables(streams):
        if table not in replaced and cur.execute(f"SELECT 1 FROM main.{table} LIMIT 1").fetchone():
            return f"The cache holds rows of {table} already"
    return None


def install(engine, path: Path, streams: tuple[str, ...] = FILE_STREAMS, *, feed_cursor: str | None = None,
            rows: dict[str, int] | None = None) -> ChangeSet:
    """Copy the rows and sync state of `streams` from the cache file at `path` (checked
    first, against `feed_cursor` and `rows` when given) into the cache, in ONE transaction:
    all of them, or nothing. Refused (a CacheFileError, nothing changed) when the cache holds
    any of their rows or has started loading them (`not_installable`). Run it on the cache
    writer.

    It runs on a connection of its own, closed at the end: FTS5 keeps the index's structure
    per connection and re-reads it only when ANOTHER connection has committed, so writing the
    index's tables on a pooled connection would leave that one with a stale index."""
    check(path, streams, feed_cursor=feed_cursor, rows=rows)
    # URI names on (the file is attached read-only by one).
    con = sqlite3.connect(Path(engine.url.database).resolve().as_uri(), uri=True, isolation_level=None)
    try:
        con.execute("PRAGMA busy_timeout=5000")
        con.execute("PRAGMA synchronous=FULL")
        con.execute("PRAGMA trusted_schema=OFF")
        con.execute("PRAGMA cell_size_check=ON")
        try:
            con.execute("ATTACH DATABASE ? AS file", (f"{path.resolve().as_uri()}?mode=ro",))
        except sqlite3.Error as exc:
            raise CacheFileError(f"The downloaded cache file cannot be opened: {exc}", path) from exc
        try:
            con.execute("BEGIN IMMEDIATE")
            try:
                _copy(con, streams, path)
                con.execute("COMMIT")
            except BaseException:
                if con.in_transaction:  # SQLite may have rolled back already (disk full)
                    con.execute("ROLLBACK")
                raise
        except sqlite3.Error as exc:
            raise CacheFileError(f"Could not install the cache file; nothing was changed: "
                                 f"{type(exc).__name__}: {exc}", path) from exc
        finally:
            con.execute("DETACH DATABASE file")
    finally:
        con.close()
    return ChangeSet.of(*(StreamChange(s, reloaded=True) for s in streams))


def _schema_sql(con: sqlite3.Connection, db: str, tables: tuple[str, ...]) -> dict[str, str]:
    marks = ", ".join("?" * len(tables))
    return dict(con.execute(f"SELECT name, sql FROM {db}.sqlite_master WHERE tbl_name IN ({marks}) "
                            f"AND sql IS NOT NULL", tables))


def _copy(con: sqlite3.Connection, streams: tuple[str, ...], path: Path) -> None:
    tables = _all_tables(streams)
    ours, theirs = _schema_sql(con, "main", tables), _schema_sql(con, "file", tables)
    if ours != theirs:
        odd = sorted(set(ours.items()) ^ set(theirs.items()))
        raise CacheFileError(f"The cache file's tables differ from this cache's ({odd[0][0]})", path)
    cur = con.cursor()
    problem = not_installable(cur, streams)
    if problem:
        raise CacheFileError(problem, path)
    replaced = _replaced(streams)
    for table in tables:
        if table == fts.TABLE:
            continue  # its rows are its shadow tables'
        if table in replaced:
            # The search index's own rows (its structure) and the one-row counts: replaced.
            cur.execute(f"DELETE FROM main.{table}")
            cur.execute(f"INSERT INTO main.{table} SELECT * FROM file.{table}")
            continue
        # `INSERT INTO t SELECT * FROM t'` of two tables of one schema copies pages of
        # records and index entries (SQLite's transfer optimization). A table with a UNIQUE
        # index needs a fallback plan SQLite can compile, which a generated column (orders'
        # phone_last4) makes impossible: such an index is dropped around the copy and made
        # again from the sorted rows (~1 s at 1M). (A UNIQUE constraint inside CREATE TABLE
        # could not be dropped: the copy would fail, as a CacheFileError, changing nothing.)
        generated = cur.execute("SELECT count(*) FROM pragma_table_xinfo(?) WHERE hidden IN (2, 3)",
                                (table,)).fetchone()[0]
        unique = cur.execute("SELECT name, sql FROM main.sqlite_master WHERE type = 'index' AND tbl_name = ? "
                             "AND sql LIKE 'CREATE UNIQUE INDEX%'", (table,)).fetchall() if generated else []
        for name, _sql in unique:
            cur.execute(f"DROP INDEX main.{name}")
        cur.execute(f"INSERT INTO main.{table} SELECT * FROM file.{table}")
        for _name, sql in unique:
            cur.execute(sql)
    marks = ", ".join("?" * len(streams))
    cur.execute(f"DELETE FROM main.sync_state WHERE stream IN ({marks})", streams)
    cur.execute(f"INSERT INTO main.sync_state SELECT * FROM file.sync_state WHERE stream IN ({marks})", streams)
    # Writes the agent made before (a remark waiting in the outbox) go back on top of the
    # rows just copied, as after any pulled page.
    shadowed = {i for (i,) in cur.execute("SELECT entity_id FROM outbox_shadow")}
    for stream in streams:
        outbox.reapply(cur, stream, shadowed)
