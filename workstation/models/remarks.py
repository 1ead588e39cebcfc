"""An order's remark (备注): its memo format, the agent's edits and what the editor shows.

A remark edit is an outbox write of kind `order.remark` (`models.outbox`: shown at once,
sent exactly once, never hidden by a pull): it overlays the order's remark fields, and
`remark_version` is the server's version it is based on. The server keeps the memo in a
fixed format (docs/PROTOCOL.md, "Remark memo"; `storeserver.mutations` composes the same):
the agent's text, then a trailer naming the reason, the agent and the time. The synced
history of a remark is the `remarks` stream (`remark_history`).
"""
from __future__ import annotations

import re
import sqlite3
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import Engine

from workstation.models import outbox, timefmt
from workstation.models.changes import ChangeSet
from workstation.models.db import read_with as _read, write_cursor
from workstation.models.outbox import WAITING, Kind, OutboxEntry, OutboxError

REMARK = Kind("order.remark", "orders", ("remark", "remark_flag", "remark_by", "remark_at"),
              "remark_version")
outbox.register(REMARK)

# ---- the memo format (docs/PROTOCOL.md, "Remark memo"; the server composes the same) -------

MAX_MEMO_BYTES = 1000
MAX_REASON_CHARS = 100
MEMO_TZ = timedelta(hours=8)
TRAILER_MARK = "【变动事由】"
FLAGS = (0, 1, 2, 3, 4, 5)
_MEMO = re.compile(r"(?s)^(?:(?P<text>.*)\n)?【变动事由】(?P<reason>[^｜\n]*)｜工号 (?P<agent_no>[^｜\n]+)"
                   r"｜(?P<at>\d{4}-\d{2}-\d{2} \d{2}:\d{2})$")


def compose_memo(text: str, reason: str, agent_no: str, at: datetime) -> str:
    """`text` + newline + `【变动事由】reason｜工号 1024｜2026-11-11 14:02` (UTC+8); the
    trailer alone when there is no text. `at` is aware UTC (or naive UTC)."""
    local = at.replace(tzinfo=None) + MEMO_TZ if at.tzinfo is None else (at + MEMO_TZ).replace(tzinfo=None)
    trailer = f"{TRAILER_MARK}{reason}｜工号 {agent_no}｜{local.strftime('%Y-%m-%d %H:%M')}"
    return f"{text}\n{trailer}" if text else trailer


def memo_bytes(text: str, reason: str, agent_no: str) -> int:
    """UTF-8 size of the final memo the server will store (the editor's live counter)."""
    return len(compose_memo(text, reason, agent_no, datetime(2000, 1, 1)).encode("utf-8"))


def parse_memo(memo: str) -> dict[str, str] | None:
    """{text, reason, agent_no, at} of a memo in the format, None for any other memo."""
    m = _MEMO.match(memo)
    if m is None:
        return None
    return {"text": m["text"] or "", "reason": m["reason"], "agent_no": m["agent_no"], "at": m["at"]}


def check_remark(text: str, flag: int, reason: str, agent_no: str) -> None:
    """Raise OutboxError with a clear message when the server would refuse this remark."""
    if not isinstance(flag, int) or isinstance(flag, bool) or flag not in FLAGS:
        raise OutboxError(f"the flag must be one of 0..5, not {flag!r}")
    if "\x00" in text or "\x00" in reason:
        raise OutboxError("the remark contains a NUL character")
    if any(c in reason for c in "\n\r｜") or len(reason) > MAX_REASON_CHARS:
        raise OutboxError(f"the reason must be one line of at most {MAX_REASON_CHARS} characters "
                          f"without '｜'")
    size = memo_bytes(text, reason, agent_no)
    if size > MAX_MEMO_BYTES:
        raise OutboxError(f"the memo would be {size} bytes; at most {MAX_MEMO_BYTES} (UTF-8, the "
                          f"reason, agent no. and time included)")


def _local_fields(text: str, flag: int, reason: str, agent_no: str, at: datetime) -> dict:
    """What an edit sets in the order's row until the server answers."""
    return {"remark": compose_memo(text, reason, agent_no, at), "remark_flag": flag,
            "remark_by": agent_no, "remark_at": timefmt.to_db(at)}


# ---- the agent's edits (writer jobs) -----------------------------------------------------------

def save_remark(engine: Engine, order_id: int, *, text: str, flag: int, reason: str, agent_no: str,
                initiator: object = None, now: datetime | None = None,
                base_version: int | None = None) -> ChangeSet:
    """The agent's remark edit of an order: shown at once, sent when the network allows.
    Raises OutboxError (nothing saved) for input the server would refuse."""
    check_remark(text, flag, reason, agent_no)
    at = now or timefmt.utc_now()
    return outbox.record(engine, REMARK.name, order_id, {"text": text, "flag": flag, "reason": reason},
                         _local_fields(text, flag, reason, agent_no, at), initiator=initiator, now=at,
                         base_version=base_version)


def resolve_remark(engine: Engine, mutation_id: str, *, text: str, flag: int, reason: str,
                   agent_no: str, initiator: object = None, now: datetime | None = None) -> ChangeSet:
    """Settle a remark conflict with the agent's merged text: the conflicting write and the
    agent's later waiting edits of that order (which the merge view showed as "mine") are
    replaced by ONE new write based on the server's version the conflict reported."""
    check_remark(text, flag, reason, agent_no)
    at = now or timefmt.utc_now()
    with write_cursor(engine, "save the merged remark") as cur:
        found = outbox.rows(cur, "mutation_id = ?", (mutation_id,))
        if not found:
            raise OutboxError(f"no outbox entry {mutation_id}")
        e = found[0]
        if e.status != "conflict" or e.kind != REMARK.name:
            raise OutboxError("only a remark in conflict can be resolved")
        later = outbox.rows(cur, "entity = ? AND entity_id = ? AND ordinal > ? AND status IN ('pending', 'conflict')",
                            (e.entity, e.entity_id, e.ordinal))
        gone = [e.mutation_id] + [r.mutation_id for r in later]
        cur.executemany("DELETE FROM outbox WHERE mutation_id = ?", [(m,) for m in gone])
        server = outbox.server_state(cur, REMARK, e.entity_id) or {}
        theirs = (e.result or {}).get("version", server.get(REMARK.version_field, 0))
        base_version = max(theirs, server.get(REMARK.version_field, 0))
        inflight = outbox.rows(cur, "entity = ? AND entity_id = ? AND status = 'inflight'", (e.entity, e.entity_id))
        new_id = outbox.record_in(cur, REMARK, e.entity_id, {"text": text, "flag": flag, "reason": reason},
                                  _local_fields(text, flag, reason, agent_no, at), now=at,
                                  base_version=base_version,
                                  base_state=(e.result or {}).get("state") or server)
        if not inflight:
            # Based on the newest server version the agent merged against, even behind an
            # older write of the order still waiting (a rejected one retried): `record_in`
            # would base it on that write's result. Behind a write in flight, it is based on
            # that write's result (filled in when it is applied).
            cur.execute("UPDATE outbox SET base_version = ? WHERE mutation_id = ?", (base_version, new_id))
    return outbox.changed(REMARK, {e.entity_id}, {new_id, *gone}, initiator)


# ---- what the editor shows (any thread) --------------------------------------------------------

def _shown_status(entry: OutboxEntry) -> str:
    return {"pending": "saved", "inflight": "saved", "done": "sent"}.get(entry.status, entry.status)


@dataclass(frozen=True)
class RemarkState:
    """What the editor shows about an order's remark."""

    status: str                       # "none" | "saved" (waiting) | "sent" | "conflict" | "rejected"
    entry: OutboxEntry | None         # the write the status is about
    theirs: dict | None = None        # conflict: the server's current remark fields
    base: dict | None = None          # conflict: the server's fields the agent's edit started from
    mine: dict | None = None          # conflict: the agent's latest text (what the row shows)


def remark_state(engine: Engine, order_id: int) -> RemarkState:
    def read(cur: sqlite3.Cursor) -> RemarkState:
        rows = outbox.rows(cur, "kind = ? AND entity_id = ?", (REMARK.name, order_id))
        if not rows:
            return RemarkState("none", None)
        conflict = next((r for r in rows if r.status == "conflict"), None)
        if conflict is not None:
            waiting = [r for r in rows if r.status in WAITING and r.ordinal >= conflict.ordinal]
            mine = {**(conflict.local_state or {}), **(waiting[-1].local_state or {})}
            mine.update(waiting[-1].payload)
            return RemarkState("conflict", conflict, (conflict.result or {}).get("state"),
                               conflict.base_state, mine)
        return RemarkState(_shown_status(rows[-1]), rows[-1])
    return _read(engine, read)


@dataclass(frozen=True)
class RemarkEntry:
    """One line of an order's remark history, newest first."""

    text: str
    flag: int
    reason: str
    agent_no: str
    at: datetime
    version: int | None       # None while not yet applied by the server
    status: str               # "synced" | "sent" | "saved" | "conflict" | "rejected"
    mutation_id: str | None


def remark_history(engine: Engine, order_id: int) -> list[RemarkEntry]:
    """The synced history of the order's remark plus the agent's writes not in it yet."""
    def read(cur: sqlite3.Cursor) -> list[RemarkEntry]:
        out = [RemarkEntry(t, f, r, a, timefmt.from_db(at), v, "synced", m) for t, f, r, a, at, v, m in cur.execute(
            "SELECT text, flag, reason, agent_no, created_at, version, mutation_id FROM remark_history "
            "WHERE order_id = ?", (order_id,))]
        synced = {e.mutation_id for e in out if e.mutation_id}
        for r in outbox.rows(cur, "kind = ? AND entity_id = ?", (REMARK.name, order_id)):
            if r.mutation_id in synced:
                continue
            local = r.local_state or {}
            out.append(RemarkEntry(r.payload.get("text", ""), r.payload.get("flag", 0),
                                   r.payload.get("reason", ""), local.get("remark_by") or "",
                                   timefmt.from_db(local.get("remark_at")) or r.created_at,
                                   (r.result or {}).get("version") if r.status == "done" else None,
                                   _shown_status(r), r.mutation_id))
        out.sort(key=lambda e: (e.at, e.version or 0), reverse=True)
        return out
    return _read(engine, read)
