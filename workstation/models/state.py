"""Where each synced stream stands (read side; `apply` writes it with every page)."""
from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from datetime import datetime
from typing import Literal

from sqlalchemy import Engine

from workstation.models import timefmt
from workstation.models.db import write_cursor
from workstation.models.streams import STREAM_NAMES, get_stream

# Every stream the cache holds, in priority (first-load) order: declared in models.streams.
STREAMS = STREAM_NAMES

# snapshot: first load; reload: loading afresh beside the old rows (after 410); feed: live.
Phase = Literal["snapshot", "reload", "feed"]


@dataclass(frozen=True)
class StreamState:
    stream: str
    phase: Phase
    cursor: str | None  # snapshot phase: next snapshot page; feed phase: next change page
    feed_cursor: str | None  # where the change feed starts once the snapshot is done
    total: int | None  # entities in the snapshot, when the server said
    applied: int  # items processed so far (snapshot progress = applied / total)
    last_synced_at: datetime | None  # last time this stream was fully caught up
    # While reloading: the lowest id the new snapshot has confirmed so far (None: none yet).
    reload_floor: int | None = None

    @property
    def loading(self) -> bool:
        """In a (first or repeated) snapshot load, not yet on the change feed."""
        return self.phase != "feed"

    @classmethod
    def fresh(cls, stream: str) -> StreamState:
        return cls(stream, "snapshot", None, None, None, 0, None)


_COLUMNS = "stream, phase, cursor, feed_cursor, total, applied, last_synced_at, reload_floor"


def check_stream(stream: str) -> None:
    get_stream(stream)


def read_state(cur: sqlite3.Cursor, stream: str) -> StreamState:
    """The stream's state as seen inside the caller's transaction."""
    row = cur.execute(f"SELECT {_COLUMNS} FROM sync_state WHERE stream = ?", (stream,)).fetchone()
    if row is None:
        return StreamState.fresh(stream)
    return StreamState(row[0], row[1], row[2], row[3], row[4], row[5], timefmt.from_db(row[6]),
                       row[7])


def write_state(cur: sqlite3.Cursor, state: StreamState) -> None:
    # An upsert, not INSERT OR REPLACE: columns this module does not own (later migrations
    # add some) keep their values.
    sets = ", ".join(f"{c} = excluded.{c}" for c in (*_COLUMNS.split(", ")[1:], "updated_at"))
    cur.execute(
        f"INSERT INTO sync_state ({_COLUMNS}, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) "
        f"ON CONFLICT(stream) DO UPDATE SET {sets}",
        (state.stream, state.phase, state.cursor, state.feed_cursor, state.total, state.applied,
         timefmt.to_db(state.last_synced_at), state.reload_floor, timefmt.utc_now_text()),
    )


def get_stream_state(engine: Engine, stream: str) -> StreamState:
    """The stored state; a stream never synced (or reset) is in phase `snapshot`, cursor None."""
    check_stream(stream)
    with engine.connect() as conn:
        return read_state(conn.connection.driver_connection.cursor(), stream)


def last_synced_at(engine: Engine) -> datetime | None:
    """How fresh the cache is: the oldest stream's last sync; None until every stream has
    finished its first load."""
    with engine.connect() as conn:
        rows = conn.connection.driver_connection.execute(
            "SELECT stream, last_synced_at FROM sync_state"
        ).fetchall()
    synced = {stream: at for stream, at in rows if at is not None}
    if any(stream not in synced for stream in STREAMS):
        return None
    return timefmt.from_db(min(synced[s] for s in STREAMS))


@dataclass(frozen=True)
class SyncFailure:
    at: datetime
    reason: str


def record_attempt(engine: Engine, error: str | None) -> None:
    """Remember the last sync attempt and, when it failed, a short reason, so "last sync
    failed at 14:05: server unreachable" survives a restart. Written by the cache writer."""
    now = timefmt.utc_now_text()
    with write_cursor(engine, "record the sync attempt") as cur:
        for stream in STREAMS:  # rows of streams never synced yet are fresh states
            cur.execute("INSERT INTO sync_state (stream, phase, applied, updated_at) "
                        "VALUES (?, 'snapshot', 0, ?) ON CONFLICT(stream) DO NOTHING", (stream, now))
        cur.execute("UPDATE sync_state SET last_error = ?, last_attempt_at = ?",
                    (error[:500] if error else None, now))


def last_failure(engine: Engine) -> SyncFailure | None:
    """The last attempt's failure, or None when the last attempt succeeded (or none was made)."""
    with engine.connect() as conn:
        row = conn.connection.driver_connection.execute(
            "SELECT last_attempt_at, last_error FROM sync_state WHERE last_error IS NOT NULL "
            "ORDER BY last_attempt_at DESC LIMIT 1").fetchone()
    if row is None or row[0] is None:
        return None
    return SyncFailure(timefmt.from_db(row[0]), row[1])
