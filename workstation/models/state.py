"""Where each synced stream stands (read side; `apply` writes it with every page)."""
from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from datetime import datetime
from typing import Literal

from sqlalchemy import Engine

from workstation.models import timefmt

# Every stream the cache holds, in first-load order (mirrors sync.puller.STREAM_ORDER).
STREAMS = ("warehouses", "products", "stock", "buyers", "orders")

Phase = Literal["snapshot", "feed"]


@dataclass(frozen=True)
class StreamState:
    stream: str
    phase: Phase
    cursor: str | None  # snapshot phase: next snapshot page; feed phase: next change page
    feed_cursor: str | None  # where the change feed starts once the snapshot is done
    total: int | None  # entities in the snapshot, when the server said
    applied: int  # items processed so far (snapshot progress = applied / total)
    last_synced_at: datetime | None  # last time this stream was fully caught up

    @classmethod
    def fresh(cls, stream: str) -> StreamState:
        return cls(stream, "snapshot", None, None, None, 0, None)


_COLUMNS = "stream, phase, cursor, feed_cursor, total, applied, last_synced_at"


def check_stream(stream: str) -> None:
    if stream not in STREAMS:
        raise ValueError(f"unknown stream {stream!r}; expected one of {', '.join(STREAMS)}")


def read_state(cur: sqlite3.Cursor, stream: str) -> StreamState:
    """The stream's state as seen inside the caller's transaction."""
    row = cur.execute(f"SELECT {_COLUMNS} FROM sync_state WHERE stream = ?", (stream,)).fetchone()
    if row is None:
        return StreamState.fresh(stream)
    return StreamState(row[0], row[1], row[2], row[3], row[4], row[5], timefmt.from_db(row[6]))


def write_state(cur: sqlite3.Cursor, state: StreamState) -> None:
    # An upsert, not INSERT OR REPLACE: columns this module does not own (later migrations
    # add some) keep their values.
    sets = ", ".join(f"{c} = excluded.{c}" for c in (*_COLUMNS.split(", ")[1:], "updated_at"))
    cur.execute(
        f"INSERT INTO sync_state ({_COLUMNS}, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?) "
        f"ON CONFLICT(stream) DO UPDATE SET {sets}",
        (state.stream, state.phase, state.cursor, state.feed_cursor, state.total, state.applied,
         timefmt.to_db(state.last_synced_at), timefmt.utc_now_text()),
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
