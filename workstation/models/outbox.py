"""The outbox: every local write, for every write kind, applied at once and sent exactly once.

A local write is ONE cache transaction (a writer job): the entity's row in the cache gets the
write's effect and an `outbox` row records it with a client-made UUID (the idempotency key
of POST /mutations). The sync loop (`sync.pusher`) sends waiting rows, oldest first, before
it pulls, and records the server's answers here.

**A pull never hides a waiting write.** While writes of an entity wait (pending, inflight or
in conflict), `outbox_shadow` keeps the server's state of the fields they overlay, and the
cached row shows that state with the waiting writes applied on top, in their order. Every
page `models.apply` writes calls `reapply()` in the same transaction, so a feed page for
the entity updates the shadow and the row shows the overlay again before anyone can read
it: no flicker back to the old text. When the last waiting write of an entity is answered
the row shows the server's state and the shadow goes.

**Per entity, in order.** Only the oldest waiting write of an entity is sent; the next one is
based on its result (its `base_version` is filled in when the one before is applied), so two
edits of the same remark made offline never conflict with each other. A write parked in
`conflict` holds back later writes of the same entity (they build on it) until it is
resolved or discarded; a `rejected` write holds back nothing; other entities never wait.

Kinds are declared in their own modules (`models.remarks`: `order.remark`; buyers,
conversations, phrases) and `register`ed in `KINDS`; a new write kind adds a `Kind` with
the fields it overlays, and its module the functions that make its writes.
"""
from __future__ import annotations

import json
import random
import sqlite3
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import orjson
from sqlalchemy import Engine

from workstation.models import timefmt
from workstation.models.changes import ChangeSet, StreamChange
from workstation.models.db import CacheError, read_with as _read, write_cursor

WAITING = ("pending", "inflight", "conflict")  # statuses whose effect the cache shows
PARKED = ("conflict", "rejected")
MAX_BATCH = 50            # the server's limit (docs/PROTOCOL.md)
MAX_BATCH_BYTES = 12_000  # under the server's 16 KiB body limit, with room for the envelope
BACKOFF_FIRST_S = 1.0
BACKOFF_MAX_S = 60.0
MAX_RETRY_AFTER_S = 300.0


class OutboxError(CacheError):
    """A local write that cannot be made as asked (bad input, unknown row); nothing changed."""


# ---- kinds --------------------------------------------------------------------------------

@dataclass(frozen=True)
class Kind:
    name: str                 # the wire `kind`, e.g. "order.remark"
    stream: str               # the cached stream of its entities
    fields: tuple[str, ...]   # the columns its writes overlay
    version_field: str        # the server's version of those fields (the `base_version`)
    # Kinds that overlay the same row share one server state (`outbox_shadow`) and the same
    # `fields` (e.g. claim, close, transfer of a conversation); default: the kind alone.
    overlay: str = ""
    # The entity's fields in an answer's `state` (default: `state` is them; a create kind's
    # answer may carry another entity, e.g. a reply's new message).
    answer_state: Callable[[str, dict], dict | None] | None = None
    # Run by `hold_stale` before a batch is taken: parks writes the cache already shows to
    # be stale (status `conflict`, without sending); returns (entity ids, mutation ids).
    hold: Callable[[sqlite3.Cursor, str], tuple[set[int], set[str]]] | None = None
    # A `conflict` answer parks the write and holds back the entity's later writes until the
    # agent settles it (a remark: merge). False: it is parked as `rejected` (code
    # "conflict") and holds back nothing (a claim a colleague beat the agent to has nothing
    # to merge; the row shows the server's state).
    conflict_holds: bool = True

    @property
    def overlays(self) -> bool:
        """False for a pure append-only create (`fields` empty, e.g. a buyer note): nothing
        of the entity's row is patched, and the entity need not be cached."""
        return bool(self.fields)

    @property
    def group(self) -> str:
        return self.overlay or self.name


KINDS: dict[str, Kind] = {}  # every write kind, declared in its own module (`register`)


def register(*kinds: Kind) -> None:
    """Declare write kinds kept in their own modules (`models.remarks`, `models.conversations`
    ...); imported at the end of this module, so every user of the outbox knows every kind."""
    for k in kinds:
        KINDS[k.name] = k


def _kinds_of(stream: str) -> list[Kind]:
    """One kind per overlay group (its kinds share the shadow and the fields)."""
    groups: dict[str, Kind] = {}
    for k in KINDS.values():
        if k.stream == stream:
            groups.setdefault(k.group, k)
    return list(groups.values())


def _group_kinds(kind: Kind) -> list[str]:
    return [k.name for k in KINDS.values() if k.group == kind.group]


# ---- rows -------------------------------------------------------------------------------

@dataclass(frozen=True)
class OutboxEntry:
    mutation_id: str
    kind: str
    entity: str
    entity_id: int
    base_version: int | None
    payload: dict
    status: str
    attempts: int
    next_attempt_at: datetime | None
    last_error: str | None
    error_code: str | None
    created_at: datetime
    updated_at: datetime
    ordinal: int
    local_state: dict | None
    base_state: dict | None
    result: dict | None

    def wire(self) -> dict:
        """The mutation as POST /mutations takes it."""
        return {"mutation_id": self.mutation_id, "kind": self.kind, "entity_id": self.entity_id,
                "base_version": self.base_version or 0, "payload": self.payload}


_COLUMNS = ("mutation_id", "kind", "entity", "entity_id", "base_version", "payload", "status",
            "attempts", "next_attempt_at", "last_error", "error_code", "created_at", "updated_at",
            "ordinal", "local_state", "base_state", "result")
_SELECT = f"SELECT {', '.join(_COLUMNS)} FROM outbox"


def _load(value: Any) -> Any:
    return None if value is None else json.loads(value)


def _dump(value: Any) -> str | None:
    return None if value is None else orjson.dumps(value).decode()


def _entry(row: tuple) -> OutboxEntry:
    d = dict(zip(_COLUMNS, row))
    for k in ("payload", "local_state", "base_state", "result"):
        d[k] = _load(d[k])
    for k in ("next_attempt_at", "created_at", "updated_at"):
        d[k] = timefmt.from_db(d[k])
    d["ordinal"] = d["ordinal"] or 0
    return OutboxEntry(**d)


def _txn(engine: Engine, what: str):
    return write_cursor(engine, what)


def _rows(cur: sqlite3.Cursor, where: str, args: tuple = ()) -> list[OutboxEntry]:
    return [_entry(r) for r in cur.execute(f"{_SELECT} WHERE {where} ORDER BY ordinal", args)]


def _get(cur: sqlite3.Cursor, mutation_id: str) -> OutboxEntry:
    rows = _rows(cur, "mutation_id = ?", (mutation_id,))
    if not rows:
        raise OutboxError(f"no outbox entry {mutation_id}")
    return rows[0]


def _now_text(now: datetime | None) -> str:
    return timefmt.to_db(now or timefmt.utc_now())


# ---- the overlay ----------------------------------------------------------------------------

def _read_fields(cur: sqlite3.Cursor, kind: Kind, entity_id: int) -> dict | None:
    cols = (*kind.fields, kind.version_field)
    row = cur.execute(f"SELECT {', '.join(cols)} FROM {kind.stream} WHERE id = ?", (entity_id,)).fetchone()
    return None if row is None else dict(zip(cols, row))


def _shadow(cur: sqlite3.Cursor, kind: Kind, entity_id: int) -> dict | None:
    row = cur.execute("SELECT state FROM outbox_shadow WHERE kind = ? AND entity_id = ?",
                      (kind.group, entity_id)).fetchone()
    return None if row is None else json.loads(row[0])


def _save_shadow(cur: sqlite3.Cursor, kind: Kind, entity_id: int, state: dict) -> None:
    cur.execute("INSERT INTO outbox_shadow (kind, entity_id, state) VALUES (?, ?, ?) "
                "ON CONFLICT(kind, entity_id) DO UPDATE SET state = excluded.state",
                (kind.group, entity_id, _dump(state)))


def _server_state(cur: sqlite3.Cursor, kind: Kind, entity_id: int) -> dict | None:
    """The server's state of the kind's fields: the shadow while writes wait, else the row."""
    return _shadow(cur, kind, entity_id) or _read_fields(cur, kind, entity_id)


def _learn(cur: sqlite3.Cursor, kind: Kind, entity_id: int, server: dict | None) -> None:
    """The server told us its state (a feed page, an answer): keep it unless it is older."""
    if not server or not kind.overlays:
        return
    known = _shadow(cur, kind, entity_id)
    if known is None:
        current = _read_fields(cur, kind, entity_id)
        if not _waiting(cur, kind, entity_id):
            # Nothing overlays the row: it shows what the server said, unless it knows newer.
            if current is not None and server.get(kind.version_field, 0) >= current.get(kind.version_field, 0):
                _write_fields(cur, kind, entity_id, server)
            return
        known = current or {}
    if server.get(kind.version_field, 0) >= known.get(kind.version_field, 0):
        _save_shadow(cur, kind, entity_id, {**known, **server})


def _waiting(cur: sqlite3.Cursor, kind: Kind, entity_id: int) -> list[OutboxEntry]:
    names = _group_kinds(kind)
    return _rows(cur, f"kind IN ({', '.join('?' * len(names))}) AND entity_id = ? "
                 "AND status IN ('pending', 'inflight', 'conflict')", (*names, entity_id))


def _write_fields(cur: sqlite3.Cursor, kind: Kind, entity_id: int, state: dict) -> None:
    cols = [c for c in (*kind.fields, kind.version_field) if c in state]
    if cols:
        cur.execute(f"UPDATE {kind.stream} SET {', '.join(f'{c} = ?' for c in cols)} WHERE id = ?",
                    (*(state[c] for c in cols), entity_id))


def _recompute(cur: sqlite3.Cursor, kind: Kind, entity_id: int) -> None:
    """Row := server state + waiting writes on top; the shadow goes when nothing waits."""
    if not kind.overlays:
        return
    shadow = _shadow(cur, kind, entity_id)
    waiting = _waiting(cur, kind, entity_id)
    if shadow is None:
        if not waiting:
            return
        shadow = _read_fields(cur, kind, entity_id)
        if shadow is None:
            return  # the entity is gone (deleted on the server): the write will be rejected
        _save_shadow(cur, kind, entity_id, shadow)
    state = dict(shadow)
    for w in waiting:
        state.update(w.local_state or {})
    state[kind.version_field] = shadow.get(kind.version_field, 0)  # always the server's version
    _write_fields(cur, kind, entity_id, state)
    if not waiting:
        cur.execute("DELETE FROM outbox_shadow WHERE kind = ? AND entity_id = ?", (kind.group, entity_id))


def reapply(cur: sqlite3.Cursor, stream: str, ids: frozenset[int] | set[int]) -> None:
    """Called by `models.apply` inside a page's transaction, after the page's rows were
    written: for entities with waiting writes, the page is the server's new state (kept in
    the shadow) and the waiting writes go back on top."""
    if not ids:
        return
    for kind in _kinds_of(stream):
        if not kind.overlays:
            continue
        shadowed = [i for (i,) in cur.execute(
            "SELECT entity_id FROM outbox_shadow WHERE kind = ? AND entity_id IN "
            "(SELECT value FROM json_each(?))", (kind.group, orjson.dumps(sorted(ids))))]
        for entity_id in shadowed:
            fresh = _read_fields(cur, kind, entity_id)
            known = _shadow(cur, kind, entity_id) or {}
            if fresh is not None and fresh.get(kind.version_field, 0) >= known.get(kind.version_field, 0):
                _save_shadow(cur, kind, entity_id, fresh)
            _recompute(cur, kind, entity_id)


def changed(kind: Kind | None, entity_ids: set[int], mutation_ids: set[str],
            initiator: object = None) -> ChangeSet:
    """The change set of a local write: the entities it shows on (`kind`'s stream) and its
    outbox rows."""
    changes = [StreamChange(kind.stream, upserted=frozenset(entity_ids))] if kind and entity_ids else []
    return ChangeSet.of(*changes, outbox=mutation_ids, initiator=initiator)


# ---- local writes (writer jobs) -----------------------------------------------------------------

def record(engine: Engine, kind_name: str, entity_id: int, payload: dict, local_state: dict, *,
           initiator: object = None, now: datetime | None = None,
           mutation_id: str | None = None, base_version: int | None = None) -> ChangeSet:
    """Apply a write to the cache and queue it, in one transaction. `local_state` is what the
    write sets in the entity's row (the kind's fields). Returns the change set naming the
    entity and the new outbox row (`ChangeSet.outbox`)."""
    kind = get_kind(kind_name)
    with _txn(engine, "save the change") as cur:
        mutation_id = record_in(cur, kind, entity_id, payload, local_state, now=now,
                                mutation_id=mutation_id, base_version=base_version)
    return changed(kind, {entity_id}, {mutation_id}, initiator)


def get_kind(kind_name: str) -> Kind:
    kind = KINDS.get(kind_name)
    if kind is None:
        raise OutboxError(f"unknown write kind {kind_name!r}")
    return kind


def record_in(cur: sqlite3.Cursor, kind: Kind, entity_id: int, payload: dict, local_state: dict, *,
              now: datetime | None = None, mutation_id: str | None = None,
              base_version: int | None = None, base_state: dict | None = None) -> str:
    """`record` inside the caller's transaction; returns the new mutation id. `base_state`:
    the server's state the write was made against, when not the one the cache knows (a
    merge made against what a conflict reported)."""
    mutation_id = mutation_id or str(uuid.uuid4())
    stamp = _now_text(now)
    base = _server_state(cur, kind, entity_id) if kind.overlays else {}
    if base is None:
        raise OutboxError(f"no {kind.stream} row {entity_id} in the cache")
    earlier = _rows(cur, "entity = ? AND entity_id = ? AND status IN ('pending', 'inflight', 'conflict')",
                    (kind.stream, entity_id))
    # Based on the server's version when nothing of ours waits; else on the write before
    # it (filled in when that one is applied).
    # `base_version` from the caller: the version the agent started editing from. A
    # colleague's change that arrived while the agent typed then makes the server answer
    # "conflict" instead of the agent's save overwriting it.
    if not kind.overlays:
        base_version = 0  # a create builds on nothing (the server does not check it)
    elif earlier:
        base_version = None
    elif base_version is None:
        base_version = base.get(kind.version_field, 0)
    ordinal = cur.execute("SELECT coalesce(max(ordinal), 0) + 1 FROM outbox").fetchone()[0]
    cur.execute(
        "INSERT INTO outbox (mutation_id, kind, entity, entity_id, base_version, payload, status, "
        "attempts, created_at, updated_at, ordinal, local_state, base_state) "
        "VALUES (?, ?, ?, ?, ?, ?, 'pending', 0, ?, ?, ?, ?, ?)",
        (mutation_id, kind.name, kind.stream, entity_id, base_version, _dump(payload), stamp, stamp,
         ordinal, _dump(local_state), _dump(base if base_state is None else base_state)))
    _recompute(cur, kind, entity_id)
    return mutation_id


def server_state(cur: sqlite3.Cursor, kind: Kind, entity_id: int) -> dict | None:
    """The server's state of the kind's fields as the cache knows it (under any overlay)."""
    return _server_state(cur, kind, entity_id)


def recompute(cur: sqlite3.Cursor, kind: Kind, entity_id: int) -> None:
    """Show the entity's row again as server state + waiting writes (after a change made
    to the outbox rows inside the caller's transaction)."""
    _recompute(cur, kind, entity_id)


def rows(cur: sqlite3.Cursor, where: str, args: tuple = ()) -> list[OutboxEntry]:
    """Outbox entries matching `where`, in the order written (inside a transaction)."""
    return _rows(cur, where, args)


# ---- sending (writer jobs used by sync.pusher) ---------------------------------------------------

def recover_inflight(engine: Engine) -> ChangeSet:
    """At start: a write that was being sent when the program stopped goes back to pending
    (it is resent with the same id; the server answers `duplicate` if it had arrived)."""
    with _txn(engine, "recover the outbox") as cur:
        ids = [m for (m,) in cur.execute("SELECT mutation_id FROM outbox WHERE status = 'inflight'")]
        cur.execute("UPDATE outbox SET status = 'pending' WHERE status = 'inflight'")
    return ChangeSet.of(outbox=ids)


def hold_stale(engine: Engine, *, now: datetime | None = None) -> ChangeSet:
    """Before a batch is taken: each kind's `hold` parks the writes the cache already shows
    to be stale (a reply over a buyer message the agent has not seen), without sending."""
    stamp = _now_text(now)
    hooks = [k for k in KINDS.values() if k.hold is not None]
    if not hooks:
        return ChangeSet()
    changes: list[StreamChange] = []
    held: set[str] = set()
    with _txn(engine, "hold stale writes") as cur:
        for kind in hooks:
            entity_ids, mutation_ids = kind.hold(cur, stamp)  # type: ignore[misc]
            if entity_ids:
                changes.append(StreamChange(kind.stream, upserted=frozenset(entity_ids)))
            held |= mutation_ids
    return ChangeSet.of(*changes, outbox=held)


def take_batch(engine: Engine, *, now: datetime | None = None, limit: int = MAX_BATCH,
               max_bytes: int = MAX_BATCH_BYTES) -> list[OutboxEntry]:
    """The next writes to send (the oldest waiting write of each entity, due now), marked
    inflight in the same transaction."""
    stamp = _now_text(now)
    with _txn(engine, "take writes to send") as cur:
        rows = _rows(cur, """status = 'pending' AND (next_attempt_at IS NULL OR next_attempt_at <= ?)
            AND NOT EXISTS (SELECT 1 FROM outbox p WHERE p.entity = outbox.entity
                            AND p.entity_id = outbox.entity_id AND p.ordinal < outbox.ordinal
                            AND p.status IN ('pending', 'inflight', 'conflict'))""", (stamp,))
        batch, size = [], 0
        for r in rows[:limit]:
            if r.base_version is None:  # should not happen (the write before it is gone): rebase
                r = _rebase_on_server(cur, r)
            n = len(orjson.dumps(r.wire()))
            if batch and size + n > max_bytes:
                break
            batch.append(r)
            size += n
        cur.executemany("UPDATE outbox SET status = 'inflight', attempts = attempts + 1, updated_at = ? "
                        "WHERE mutation_id = ?", [(stamp, r.mutation_id) for r in batch])
    return batch


def _rebase_on_server(cur: sqlite3.Cursor, r: OutboxEntry) -> OutboxEntry:
    kind = KINDS.get(r.kind)
    server = _server_state(cur, kind, r.entity_id) if kind else None
    version = (server or {}).get(kind.version_field, 0) if kind else 0
    cur.execute("UPDATE outbox SET base_version = ? WHERE mutation_id = ?", (version, r.mutation_id))
    return _get(cur, r.mutation_id)


def next_due(engine: Engine) -> datetime | None:
    """When the earliest pending write may be sent (None: nothing pending)."""
    with engine.connect() as conn:
        raw = conn.connection.driver_connection
        row = raw.execute("SELECT count(*), min(coalesce(next_attempt_at, '')) FROM outbox "
                          "WHERE status = 'pending'").fetchone()
    if not row[0]:
        return None
    return timefmt.from_db(row[1]) if row[1] else timefmt.utc_now()


def make_due(engine: Engine) -> ChangeSet:
    """The server answers again: writes held back by network trouble may go at once (a
    server's Retry-After is still honoured)."""
    with _txn(engine, "resume sending") as cur:
        cur.execute("UPDATE outbox SET next_attempt_at = NULL WHERE status = 'pending' "
                    "AND next_attempt_at IS NOT NULL AND coalesce(error_code, '') != 'retry_after'")
    return ChangeSet()


def backoff_s(attempts: int, retry_after_s: float | None = None, rng: random.Random | None = None) -> float:
    """Exponential with full jitter, never sooner than the server's Retry-After."""
    ceiling = min(BACKOFF_MAX_S, BACKOFF_FIRST_S * 2 ** max(0, attempts - 1))
    delay = (rng or random).uniform(ceiling / 2, ceiling)
    if retry_after_s is not None:
        delay = max(delay, min(float(retry_after_s), MAX_RETRY_AFTER_S))
    return delay


def record_failure(engine: Engine, mutation_ids: list[str], error: str, *,
                   retry_after_s: float | None = None, now: datetime | None = None,
                   count_attempt: bool = True) -> ChangeSet:
    """A batch did not get answers (network, 5xx, 429): back to pending, to be resent with
    the same ids after a backoff; `last_error` says why."""
    at = now or timefmt.utc_now()
    with _txn(engine, "record a failed send") as cur:
        for m in mutation_ids:
            row = cur.execute("SELECT attempts FROM outbox WHERE mutation_id = ? AND status = 'inflight'",
                              (m,)).fetchone()
            if row is None:
                continue
            attempts = row[0] if count_attempt else max(0, row[0] - 1)
            due = at + timedelta(seconds=backoff_s(attempts, retry_after_s)) if count_attempt else at
            cur.execute("UPDATE outbox SET status = 'pending', attempts = ?, next_attempt_at = ?, "
                        "last_error = ?, error_code = ?, updated_at = ? WHERE mutation_id = ?",
                        (attempts, timefmt.to_db(due), error[:500],
                         "retry_after" if retry_after_s is not None else None, timefmt.to_db(at), m))
    return ChangeSet.of(outbox=mutation_ids)


def record_answers(engine: Engine, answers: list[dict], *, now: datetime | None = None) -> ChangeSet:
    """The server's answers to a batch, in one transaction (see docs/CLIENT-API.md)."""
    stamp = _now_text(now)
    touched: dict[str, set[int]] = {}
    ids: set[str] = set()
    with _txn(engine, "record the server's answers") as cur:
        for answer in answers:
            row = cur.execute(f"{_SELECT} WHERE mutation_id = ?", (answer["mutation_id"],)).fetchone()
            if row is None:
                continue  # discarded meanwhile: the server's effect arrives through the feed
            entry = _entry(row)
            _answer(cur, entry, _original(answer), stamp)
            ids.add(entry.mutation_id)
            touched.setdefault(entry.entity, set()).add(entry.entity_id)
    changes = [StreamChange(s, upserted=frozenset(e)) for s, e in touched.items()]
    return ChangeSet.of(*changes, outbox=ids)


def _original(answer: dict) -> dict:
    """`duplicate` carries the first answer: handle it as that answer."""
    if answer.get("status") == "duplicate" and isinstance(answer.get("original"), dict):
        return {**answer["original"], "mutation_id": answer["mutation_id"]}
    return answer


def _answer(cur: sqlite3.Cursor, e: OutboxEntry, a: dict, stamp: str) -> None:
    kind = KINDS.get(e.kind)
    status = a.get("status")
    state = a.get("state") if isinstance(a.get("state"), dict) else None
    if status == "applied":
        cur.execute("UPDATE outbox SET status = 'done', result = ?, last_error = NULL, error_code = NULL, "
                    "next_attempt_at = NULL, updated_at = ? WHERE mutation_id = ?",
                    (_dump(a), stamp, e.mutation_id))
        _pass_base_on(cur, e, a.get("version"))
    elif status == "conflict" and kind is not None and not kind.conflict_holds:
        cur.execute("UPDATE outbox SET status = 'rejected', result = ?, last_error = ?, error_code = 'conflict', "
                    "updated_at = ? WHERE mutation_id = ?",
                    (_dump(a), "a colleague changed it first", stamp, e.mutation_id))
        _pass_base_on(cur, e, e.base_version)
    elif status == "conflict":
        cur.execute("UPDATE outbox SET status = 'conflict', result = ?, last_error = ?, error_code = 'conflict', "
                    "updated_at = ? WHERE mutation_id = ?",
                    (_dump(a), "a colleague changed it first", stamp, e.mutation_id))
    else:
        code = str(a.get("code") or "rejected")
        reason = str(a.get("reason") or "the server refused this change")
        cur.execute("UPDATE outbox SET status = 'rejected', result = ?, last_error = ?, error_code = ?, "
                    "updated_at = ? WHERE mutation_id = ?", (_dump(a), reason[:500], code, stamp, e.mutation_id))
        _pass_base_on(cur, e, e.base_version)
    if kind is not None:
        if state is not None and kind.answer_state is not None:
            state = kind.answer_state(str(status), state)
        if state is not None:
            _learn(cur, kind, e.entity_id, state)
        _recompute(cur, kind, e.entity_id)


def _pass_base_on(cur: sqlite3.Cursor, e: OutboxEntry, version: int | None) -> None:
    """The next waiting write of the entity builds on this one's outcome."""
    nxt = cur.execute("SELECT mutation_id FROM outbox WHERE entity = ? AND entity_id = ? AND ordinal > ? "
                      "AND status IN ('pending', 'inflight', 'conflict') ORDER BY ordinal LIMIT 1",
                      (e.entity, e.entity_id, e.ordinal)).fetchone()
    if nxt is not None and version is not None:
        cur.execute("UPDATE outbox SET base_version = ? WHERE mutation_id = ? AND base_version IS NULL",
                    (version, nxt[0]))


def reject_one(engine: Engine, mutation_id: str, code: str, reason: str) -> ChangeSet:
    """The server refused the request carrying only this write (a 4xx other than 401/429)."""
    return record_answers(engine, [{"mutation_id": mutation_id, "status": "rejected", "code": code,
                                    "reason": reason}])


# ---- the agent's actions (writer jobs) ---------------------------------------------------------

def retry(engine: Engine, mutation_id: str, *, initiator: object = None) -> ChangeSet:
    """Send a parked or waiting write again now, with the same mutation id."""
    with _txn(engine, "retry the change") as cur:
        e = _get(cur, mutation_id)
        if e.status == "done":
            raise OutboxError("this change was already applied by the server")
        cur.execute("UPDATE outbox SET status = 'pending', next_attempt_at = NULL, updated_at = ? "
                    "WHERE mutation_id = ?", (_now_text(None), mutation_id))
        kind = KINDS.get(e.kind)
        if kind is not None:
            _recompute(cur, kind, e.entity_id)
    return changed(KINDS.get(e.kind), {e.entity_id}, {mutation_id}, initiator)


def discard(engine: Engine, mutation_id: str, *, initiator: object = None) -> ChangeSet:
    """Give up a write that has not been applied: the row shows the server's state again
    (plus any other waiting writes). A write being sent right now cannot be discarded."""
    with _txn(engine, "discard the change") as cur:
        e = _get(cur, mutation_id)
        if e.status == "done":
            raise OutboxError("this change was already applied by the server; it cannot be discarded")
        if e.status == "inflight":
            raise OutboxError("this change is being sent right now; try again in a moment")
        _pass_base_on(cur, e, e.base_version)
        cur.execute("DELETE FROM outbox WHERE mutation_id = ?", (mutation_id,))
        kind = KINDS.get(e.kind)
        if kind is not None:
            _recompute(cur, kind, e.entity_id)
    return changed(KINDS.get(e.kind), {e.entity_id}, {mutation_id}, initiator)


def take_theirs(engine: Engine, mutation_id: str, *, initiator: object = None) -> ChangeSet:
    """Settle a conflict by keeping the colleague's version: the conflicting write and the
    agent's later waiting edits of that entity (what the merge view showed as "mine") are
    dropped; the row shows the server's state."""
    with _txn(engine, "keep the colleague's version") as cur:
        e = _get(cur, mutation_id)
        if e.status != "conflict":
            raise OutboxError("only a change in conflict can be settled this way")
        later = _rows(cur, "entity = ? AND entity_id = ? AND ordinal > ? AND status IN ('pending', 'conflict')",
                      (e.entity, e.entity_id, e.ordinal))
        gone = [e.mutation_id] + [r.mutation_id for r in later]
        cur.executemany("DELETE FROM outbox WHERE mutation_id = ?", [(m,) for m in gone])
        kind = KINDS.get(e.kind)
        if kind is not None:
            _recompute(cur, kind, e.entity_id)
    return changed(KINDS.get(e.kind), {e.entity_id}, set(gone), initiator)


def prune_done(engine: Engine, *, older_than: timedelta = timedelta(days=7),
               now: datetime | None = None) -> ChangeSet:
    """Forget applied writes after a while (their effect is in the synced history)."""
    cutoff = timefmt.to_db((now or timefmt.utc_now()) - older_than)
    with _txn(engine, "tidy the outbox") as cur:
        ids = [m for (m,) in cur.execute("SELECT mutation_id FROM outbox WHERE status = 'done' AND updated_at < ?",
                                         (cutoff,))]
        cur.execute("DELETE FROM outbox WHERE status = 'done' AND updated_at < ?", (cutoff,))
    return ChangeSet.of(outbox=ids)


# ---- reads (any thread) ---------------------------------------------------------------------

def entries(engine: Engine, statuses: tuple[str, ...] = ("pending", "inflight", "conflict", "rejected")
            ) -> list[OutboxEntry]:
    """Writes waiting or parked, oldest first, with the real error text in `last_error`."""
    marks = ", ".join("?" * len(statuses))
    return _read(engine, lambda cur: _rows(cur, f"status IN ({marks})", statuses))


def get_entry(engine: Engine, mutation_id: str) -> OutboxEntry | None:
    return _read(engine, lambda cur: next(iter(_rows(cur, "mutation_id = ?", (mutation_id,))), None))


def counts(engine: Engine) -> dict[str, int]:
    """How many writes per status (for the status bar: "N changes waiting")."""
    return dict(_read(engine, lambda cur: cur.execute(
        "SELECT status, count(*) FROM outbox GROUP BY status").fetchall()))


# Kinds declared in their own modules register themselves (see `register`); importing them
# here means no user of the outbox can miss one. (At the end: they import this module.
# Imported first, one of them is half-loaded while the others load: none of them may import
# another's names at module level.)
from workstation.models import buyers as _buyers  # noqa: E402,F401
from workstation.models import conversations as _conversations  # noqa: E402,F401
from workstation.models import phrases as _phrases  # noqa: E402,F401
from workstation.models import remarks as _remarks  # noqa: E402,F401
