"""Open (create or upgrade) the local cache file.

Start-up matters: when the file is already at `HEAD_REVISION` this module reads one row
and never imports Alembic. Only a new, older or foreign file takes the migration path.
"""
from __future__ import annotations

import logging
import sqlite3
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.pool import QueuePool

log = logging.getLogger(__name__)
T = TypeVar("T")

# Must equal the head of migrations/versions (tests/cache/test_db.py checks it).
HEAD_REVISION = "0012_search_digit_quads"
MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"

# Execution option for writers: take the write lock at BEGIN, so a read-then-write
# transaction never fails half-way with "database is locked".
IMMEDIATE = {"sqlite_begin": "IMMEDIATE"}


class CacheError(Exception):
    """The cache file cannot be used (unreadable, corrupt, not a cache, failed upgrade)."""

    def __init__(self, message: str, path: Path | None = None) -> None:
        super().__init__(message)
        self.path = path


class CacheTooNewError(CacheError):
    """The file was written by a newer Workstation (a schema revision this app does not know)."""

    def __init__(self, path: Path, revision: str) -> None:
        super().__init__(
            f"The cache file {path} has schema revision {revision!r}, which this version of "
            f"Workstation does not know (it knows up to {HEAD_REVISION!r}). It was written by a "
            "newer Workstation: update Workstation, or delete the file to rebuild the cache "
            "from the server.",
            path,
        )
        self.revision = revision


def read_with(engine: Engine, fn: Callable[[sqlite3.Cursor], T]) -> T:
    """`fn(cursor)` on a raw cursor of a pooled connection (a read on any thread; the
    models' indexed queries use it instead of SQLAlchemy statements on their hot paths)."""
    with engine.connect() as conn:
        cur = conn.connection.driver_connection.cursor()
        try:
            return fn(cur)
        finally:
            cur.close()


@contextmanager
def write_cursor(engine: Engine, action: str, error: type[CacheError] = CacheError) -> Iterator[sqlite3.Cursor]:
    """One IMMEDIATE write transaction on a raw cursor; any failure rolls it back.

    The database refusing the write (disk full, constraint, a locked or damaged file)
    surfaces as `error` ("Could not <action>; nothing was changed: ..."), a cache problem
    worth retrying later. Anything else (KeyError, TypeError...) is a bug in the caller:
    it propagates as it is, with its traceback. For jobs on the cache writer."""
    try:
        with engine.connect() as conn:
            conn = conn.execution_options(**IMMEDIATE)
            with conn.begin():
                cur = conn.connection.driver_connection.cursor()
                try:
                    yield cur
                finally:
                    cur.close()
    except (sqlite3.Error, SQLAlchemyError) as exc:
        raise error(f"Could not {action}; nothing was changed: {type(exc).__name__}: {exc}") from exc


@dataclass
class Cache:
    path: Path
    engine: Engine
    writer: Any = None  # models.writer.CacheWriter: every write goes through it

    def close(self) -> None:
        """Refuse new writes, let the queued ones finish, then release the file. Returns at
        once: the GUI thread never waits on it."""
        writer = self.writer
        if writer is None or writer.closed:
            self.engine.dispose()
            return
        writer.close(wait=False, then=lambda engine: engine.dispose())  # after the last write


def _on_connect(dbapi_conn: sqlite3.Connection, _record: Any) -> None:
    # Let SQLAlchemy (our "begin" hook) issue BEGIN itself: pysqlite's implicit
    # transactions start late and would leave read-then-write sequences unprotected.
    dbapi_conn.isolation_level = None
    cur = dbapi_conn.cursor()
    cur.execute("PRAGMA journal_mode=WAL")  # readers (UI) never block the writer (sync)
    # FULL: every commit is on disk before it returns, also across a power cut. The cache holds
    # unsent work (the outbox); NORMAL with WAL may lose the last commits in a power cut. One
    # writer commits a page or a local write at a time, so the fsync per commit is cheap.
    cur.execute("PRAGMA synchronous=FULL")
    # One writer (models.writer) means writers never wait for each other; this only covers
    # another program holding the file (a backup tool, a second copy of the app).
    cur.execute("PRAGMA busy_timeout=5000")
    cur.execute("PRAGMA cache_size=-32768")  # 32 MiB page cache per connection
    cur.execute("PRAGMA mmap_size=268435456")
    cur.execute("PRAGMA temp_store=MEMORY")
    cur.close()


def _on_begin(conn: Any) -> None:
    mode = conn.get_execution_options().get("sqlite_begin", "DEFERRED")
    conn.exec_driver_sql(f"BEGIN {mode}")


def make_engine(path: Path) -> Engine:
    """An engine on `path` with the cache's connection settings (no schema check)."""
    engine = create_engine(
        f"sqlite:///{path}",
        poolclass=QueuePool,
        pool_size=4,
        max_overflow=8,
        connect_args={"check_same_thread": False},
    )
    event.listen(engine, "connect", _on_connect)
    event.listen(engine, "begin", _on_begin)
    return engine


def _current_revision(engine: Engine) -> str | None:
    """The file's Alembic revision, None for a new/empty file."""
    with engine.connect() as conn:
        raw = conn.connection.driver_connection
        has_table = raw.execute(
            "SELECT 1 FROM sqlite_master WHERE type='table' AND name='alembic_version'"
        ).fetchone()
        if not has_table:
            return None
        row = raw.execute("SELECT version_num FROM alembic_version").fetchone()
        return row[0] if row else None


def _alembic_config(connection: Any) -> Any:
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS_DIR))
    cfg.attributes["connection"] = connection
    return cfg


def script_head() -> str:
    """The head revision according to the shipped migration scripts."""
    from alembic.script import ScriptDirectory

    return ScriptDirectory.from_config(_alembic_config(None)).get_current_head()


def _upgrade(engine: Engine, path: Path, revision: str | None,
             progress: Callable[[int, int], None] | None = None,
             backup_progress: Callable[[int, int], None] | None = None) -> None:
    from alembic import command
    from alembic.script import ScriptDirectory
    from alembic.util import CommandError

    cfg = _alembic_config(None)
    if revision is not None:
        try:
            ScriptDirectory.from_config(cfg).get_revision(revision)
        except CommandError:
            raise CacheTooNewError(path, revision) from None
        backup = backup_before_upgrade(engine, path, revision, backup_progress)
    # One transaction: a failed upgrade leaves the file exactly as it was.
    with engine.begin() as conn:
        cfg.attributes["connection"] = conn
        cfg.attributes["progress"] = progress  # long steps (index rebuilds) report (done, total)
        command.upgrade(cfg, "head")
    if revision is not None:
        for old in path.parent.glob(f"{path.name}.*.bak"):  # keep only the newest backup
            if old != backup:
                old.unlink(missing_ok=True)
        _shrink_after_upgrade(engine)


def _shrink_after_upgrade(engine: Engine) -> None:
    """An upgrade that rebuilt big tables (0009) leaves their old pages free inside the file:
    give them back to the disk (VACUUM; ~10 s at a million orders, once). Best effort: a
    failure (disk full: VACUUM needs room for a copy) leaves a valid, just larger, file."""
    with engine.connect() as conn:
        raw = conn.connection.driver_connection
        free, pages = raw.execute("PRAGMA freelist_count").fetchone()[0], raw.execute("PRAGMA page_count").fetchone()[0]
        if free * 10 < pages:  # little to gain
            return
        try:
            raw.execute("VACUUM")
            raw.execute("PRAGMA wal_checkpoint(TRUNCATE)")  # the file itself shrinks now
        except sqlite3.Error as exc:
            log.warning("could not give the free space of the upgraded cache back: %s", exc)


BACKUP_STEP_PAGES = 2048  # pages copied per backup step (8 MiB at 4 KiB pages)


def backup_before_upgrade(engine: Engine, path: Path, revision: str,
                          progress: Callable[[int, int], None] | None = None) -> Path:
    """Copy the cache (with SQLite's online backup, so WAL content is included) to
    `<name>.<revision>.bak` before migrating it. The transaction already protects against a
    failed upgrade; this protects the outbox (unsent writes, the one thing the server cannot
    give back) against an upgrade that succeeds but is wrong. `progress(pages done, pages)`
    is called after each step (a million-order cache takes seconds to copy)."""
    backup = path.with_name(f"{path.name}.{revision}.bak")
    backup.unlink(missing_ok=True)
    with engine.connect() as conn:
        target = sqlite3.connect(backup)
        try:
            if progress is None:
                conn.connection.driver_connection.backup(target)
            else:
                conn.connection.driver_connection.backup(
                    target, pages=BACKUP_STEP_PAGES,
                    progress=lambda _status, remaining, total: progress(total - remaining, total))
        finally:
            target.close()
    return backup


def open_cache(path: Path, progress: Callable[[int, int], None] | None = None,
               backup_progress: Callable[[int, int], None] | None = None) -> Cache:
    """Open the cache at `path`, creating or upgrading it to the current schema. A long
    upgrade step (rebuilding the search indexes of a big cache) calls `progress(done, total)`
    now and then, on the calling thread; the copy made before an upgrade calls
    `backup_progress(pages done, pages)` the same way."""
    path = Path(path)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise CacheError(f"Cannot create the cache folder {path.parent}: {exc}", path) from exc
    engine = make_engine(path)
    try:
        revision = _current_revision(engine)
        if revision != HEAD_REVISION:
            _upgrade(engine, path, revision, progress, backup_progress)
    except CacheError:
        engine.dispose()
        raise
    except Exception as exc:  # sqlite3/SQLAlchemy/Alembic errors: the file is unusable
        engine.dispose()
        raise CacheError(f"Cannot open the cache file {path}: {exc}", path) from exc
    from workstation.models.writer import CacheWriter  # noqa: PLC0415 (imports changes, apply-free)

    return Cache(path=path, engine=engine, writer=CacheWriter(engine))
