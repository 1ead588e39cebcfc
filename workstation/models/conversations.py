"""The buyer chat over the cache: the queue, a conversation's history, and the agent's chat
writes (streams `conversations`, `messages`, `agents`; docs/PROTOCOL.md "Conversations").

Reads run on any thread (one indexed query each). Writes are writer jobs (through
`SyncService.submit_write`) that go through the outbox like every local write:
- `message.reply` is an append-only create: no cached row is patched; the reply waits in the
  outbox and `history()` shows it after the synced messages until the server's message
  (whose `client_id` is the reply's mutation id) arrives.
- claim, transfer, close, reopen, read and the agent's status patch the cached row at once
  (the outbox overlay: the server's state is kept in `outbox_shadow` and the writes are put
  back on top after every pull). The conversation kinds share one overlay.

**A reply is never sent over something the agent has not seen.** Before every batch
(`outbox.hold_stale`) and when it is written, a waiting reply is checked against the cache:
a newer buyer message or a colleague's reply than the one it answers, the conversation
closed, or its version changed (claimed, transferred, closed, reopened) -> it is *held*
(outbox status `conflict`, never sent). The server makes the same check and answers
`conflict` with its `stale` reason; that reply is held the same way. A held reply holds
back the agent's later writes of that conversation (they were written after it, so the
buyer must not get them first); `confirm_reply` sends it again as a NEW mutation based on
what is cached now (the agent has now seen it), after the conversation's other waiting
writes, with the agent's later replies kept behind it; `outbox.discard` drops it. A later
reply that is stale too is held on its own when its turn comes.
"""
from __future__ import annotations

import sqlite3
import unicodedata
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import orjson
from sqlalchemy import Engine

from workstation.models import outbox, timefmt
from workstation.models.changes import ChangeSet, StreamChange
from workstation.models.db import read_with as _read, write_cursor
from workstation.models.outbox import Kind, OutboxError

MAX_REPLY_CHARS = 2000
MAX_NOTE_CHARS = 200
VIEWS = ("open", "mine", "unassigned")
AGENT_STATUSES = ("receiving", "paused", "offline")
STALE_REASONS = ("closed", "changed", "buyer_wrote", "colleague_replied")

# The conversation fields the agent's writes overlay (one overlay for every conversation
# kind: they share the server's state in `outbox_shadow`). `unread` is not overlaid: while a
# read mark waits, `queue()` counts the cached buyer messages above it instead.
CONVERSATION_FIELDS = ("status", "assigned_agent_no", "closed_at", "transfer_note", "transferred_by",
                       "read_upto_message_id")


def _reply_answer_state(status: str, state: dict) -> dict | None:
    """A reply's answer carries the new message (applied) or the stale report (conflict,
    with the conversation as the server has it now)."""
    if status == "conflict" and isinstance(state.get("conversation"), dict):
        return state["conversation"]
    return None


def _hold_stale_replies(cur: sqlite3.Cursor, stamp: str) -> tuple[set[int], set[str]]:
    conversations: set[int] = set()
    held: set[str] = set()
    for entry in outbox.rows(cur, "kind = ? AND status = 'pending'", (REPLY.name,)):
        reason = _stale_reason(cur, entry)
        if reason is not None:
            _hold(cur, entry, reason, stamp)
            conversations.add(entry.entity_id)
            held.add(entry.mutation_id)
    return conversations, held


def _conv_kind(name: str) -> Kind:
    # A claim, transfer, close or reopen that meets a newer version (a colleague acted
    # first) is refused and shown; it holds nothing back (the replies after it then meet
    # the new version and are held for the agent).
    return Kind(name, "conversations", CONVERSATION_FIELDS, "version", overlay="conversation",
                conflict_holds=False)


REPLY = Kind("message.reply", "conversations", CONVERSATION_FIELDS, "version", overlay="conversation",
             answer_state=_reply_answer_state, hold=_hold_stale_replies)
CLAIM = _conv_kind("conversation.claim")
TRANSFER = _conv_kind("conversation.transfer")
CLOSE = _conv_kind("conversation.close")
REOPEN = _conv_kind("conversation.reopen")
READ = _conv_kind("conversation.read")
AGENT_STATUS = Kind("agent.status", "agents", ("status",), "seq", conflict_holds=False)
outbox.register(REPLY, CLAIM, TRANSFER, CLOSE, REOPEN, READ, AGENT_STATUS)


# ---- rows -------------------------------------------------------------------------------

@dataclass(frozen=True)
class QueueRow:
    """A conversation as the queue and the conversation pane show it (times: naive UTC)."""

    conversation_id: int
    buyer_id: int
    buyer_nick: str
    status: str                       # "open" | "closed" (the agent's waiting writes applied)
    assigned_agent_no: str | None
    version: int
    waiting_since: datetime | None    # None = answered
    last_message_at: datetime | None
    last_message_sender: str | None
    last_message_preview: str
    unread: int
    product_id: int | None
    queued: int                       # the agent's replies waiting to be sent
    held: int                         # the agent's replies held for the agent to confirm
    last_message_id: int | None = None
    read_upto_message_id: int = 0
    transfer_note: str | None = None
    transferred_by: str | None = None
    created_at: datetime | None = None
    closed_at: datetime | None = None


@dataclass(frozen=True)
class MessageRow:
    """One line of a history, oldest first (times: naive UTC)."""

    message_id: int | None            # None: a reply not yet on the server
    mutation_id: str | None           # the agent's reply's id (= the server message's client_id)
    sender: str                       # "buyer" | "agent" | "auto" | "system"
    agent_no: str | None
    text: str
    at: datetime
    status: str                       # "synced" | "queued" | "sending" | "failed" | "held"
    error: str | None = None          # failed: the server's reason
    held_reason: str | None = None    # held: "closed" | "changed" | "buyer_wrote" | "colleague_replied"


@dataclass(frozen=True)
class AgentRow:
    id: int
    agent_no: str
    display_name: str
    role: str
    status: str
    capacity: int
    active: bool


def _naive(text: str | None) -> datetime | None:
    value = timefmt.from_db(text)
    return None if value is None else value.replace(tzinfo=None)


# ---- reads -------------------------------------------------------------------------------

_WAITING = "('pending', 'inflight', 'conflict')"
_QUEUE_SQL = f"""
SELECT c.id, c.buyer_id, c.buyer_nick, c.status, c.assigned_agent_no, c.version, c.waiting_since,
       c.last_message_at, c.last_message_sender, c.last_message_preview,
       CASE WHEN EXISTS (SELECT 1 FROM outbox o WHERE o.entity = 'conversations' AND o.entity_id = c.id
                         AND o.kind = 'conversation.read' AND o.status IN {_WAITING})
            THEN (SELECT count(*) FROM messages m WHERE m.conversation_id = c.id AND m.sender = 'buyer'
                  AND m.id > c.read_upto_message_id)
            ELSE c.unread END,
       c.product_id,
       (SELECT count(*) FROM outbox o WHERE o.entity = 'conversations' AND o.entity_id = c.id
        AND o.kind = 'message.reply' AND o.status IN ('pending', 'inflight')),
       (SELECT count(*) FROM outbox o WHERE o.entity = 'conversations' AND o.entity_id = c.id
        AND o.kind = 'message.reply' AND o.status = 'conflict'),
       c.last_message_id, c.read_upto_message_id, c.transfer_note, c.transferred_by, c.created_at,
       c.closed_at
FROM conversations c"""


def _queue_row(r: tuple) -> QueueRow:
    return QueueRow(r[0], r[1], r[2], r[3], r[4], r[5], _naive(r[6]), _naive(r[7]), r[8], r[9], r[10],
                    r[11], r[12], r[13], r[14], r[15], r[16], r[17], _naive(r[18]), _naive(r[19]))


def queue(engine: Engine, *, view: str = "open", agent_no: str | None = None) -> list[QueueRow]:
    """Open conversations, the longest waiting first (answered ones after them, the latest
    message first). `view`: "open" (all), "mine" (assigned to `agent_no`), "unassigned"."""
    if view not in VIEWS:
        raise ValueError(f"unknown queue view {view!r}; expected one of {', '.join(VIEWS)}")
    where, args = "c.status = 'open'", ()
    if view == "mine":
        if not agent_no:
            raise ValueError("the 'mine' view needs the agent's number")
        where, args = where + " AND c.assigned_agent_no = ?", (agent_no,)
    elif view == "unassigned":
        where += " AND c.assigned_agent_no IS NULL"
    sql = (f"{_QUEUE_SQL} WHERE {where} ORDER BY c.waiting_since IS NULL, c.waiting_since, "
           "c.last_message_at DESC, c.id DESC")
    return _read(engine, lambda cur: [_queue_row(r) for r in cur.execute(sql, args)])


def get_conversation(engine: Engine, conversation_id: int) -> QueueRow | None:
    rows = _read(engine, lambda cur: cur.execute(f"{_QUEUE_SQL} WHERE c.id = ?", (conversation_id,)).fetchall())
    return _queue_row(rows[0]) if rows else None


_REPLY_STATUS = {"pending": "queued", "inflight": "sending", "conflict": "held", "rejected": "failed"}


def _history(cur: sqlite3.Cursor, conversation_id: int) -> list[MessageRow]:
    synced: dict[int, MessageRow] = {}
    seen: set[str] = set()
    for mid, sender, agent_no, text, at, client_id in cur.execute(
            "SELECT id, sender, agent_no, text, created_at, client_id FROM messages "
            "WHERE conversation_id = ? ORDER BY id", (conversation_id,)):
        synced[mid] = MessageRow(mid, client_id if sender == "agent" else None, sender, agent_no, text,
                                 _naive(at), "synced")
        if client_id:
            seen.add(client_id)
    unsent: list[MessageRow] = []
    for e in outbox.rows(cur, "kind = ? AND entity_id = ?", (REPLY.name, conversation_id)):
        if e.mutation_id in seen:
            continue  # the server's message is here: it replaces the queued copy
        local = e.local_state or {}
        text = e.payload.get("text", "")
        if e.status == "done":
            message = (e.result or {}).get("state") or {}
            if isinstance(message.get("id"), int) and message["id"] not in synced:
                synced[message["id"]] = MessageRow(
                    message["id"], e.mutation_id, "agent", message.get("agent_no") or local.get("agent_no"),
                    message.get("text", text), _naive(message.get("created_at")) or _naive(local.get("at")),
                    "synced")
            continue
        status = _REPLY_STATUS[e.status]
        held = None
        if status == "held":
            held = ((e.result or {}).get("state") or {}).get("stale") or "changed"
        unsent.append(MessageRow(None, e.mutation_id, "agent", local.get("agent_no"), text,
                                 _naive(local.get("at")) or e.created_at.replace(tzinfo=None), status,
                                 error=e.last_error if status == "failed" else None, held_reason=held))
    return [synced[i] for i in sorted(synced)] + unsent


def history(engine: Engine, conversation_id: int) -> list[MessageRow]:
    """The conversation's messages oldest first, then the agent's replies not on the server
    yet (queued, sending, held, failed) in the order written."""
    return _read(engine, lambda cur: _history(cur, conversation_id))


def _fold(text: str) -> str:
    return unicodedata.normalize("NFKC", text).casefold()


def search_history(engine: Engine, conversation_id: int, text: str) -> list[int]:
    """Ids of the conversation's messages containing `text` (NFKC, case-insensitive;
    offline), oldest first. An empty query finds nothing."""
    needle = _fold(text).strip()
    if not needle:
        return []
    return [m.message_id for m in history(engine, conversation_id)
            if m.message_id is not None and needle in _fold(m.text)]


def buyer_orders(engine: Engine, buyer_id: int, limit: int = 50) -> list:
    """The buyer's cached orders, newest first (`models.search.OrderRow`)."""
    from workstation.models.search import order_rows

    if limit <= 0:
        return []

    def read(cur: sqlite3.Cursor) -> list:
        ids = [i for (i,) in cur.execute("SELECT id FROM orders WHERE buyer_id = ? ORDER BY id DESC LIMIT ?",
                                         (buyer_id, limit))]
        return order_rows(cur, ids)
    return _read(engine, read)


def agents(engine: Engine) -> list[AgentRow]:
    """The shop's staff (active ones first, by agent number)."""
    return _read(engine, lambda cur: [AgentRow(*r[:6], bool(r[6])) for r in cur.execute(
        "SELECT id, agent_no, display_name, role, status, capacity, active FROM agents "
        "ORDER BY active DESC, agent_no")])


# ---- the stale check -----------------------------------------------------------------------

def _stale_reason(cur: sqlite3.Cursor, entry: outbox.OutboxEntry) -> str | None:
    """Why the cache says this reply must not go out as written (None: it may)."""
    server = outbox.server_state(cur, REPLY, entry.entity_id)
    if server is None:
        return None  # the conversation is gone: the server answers not_found
    # Based on a write of the agent's still waiting before it (base_version None, filled in
    # when that one is answered): the server's state is about to change (a reopen), so only
    # the messages can tell yet.
    if entry.base_version is not None:
        if server.get("status") == "closed":
            return "closed"
        if server.get("version") != entry.base_version:
            return "changed"
    after = int(entry.payload.get("after_message_id") or 0)
    me = (entry.local_state or {}).get("agent_no") or ""
    senders = {s for (s,) in cur.execute(
        "SELECT DISTINCT sender FROM messages WHERE conversation_id = ? AND id > ? "
        "AND (sender = 'buyer' OR (sender = 'agent' AND coalesce(agent_no, '') != ?))",
        (entry.entity_id, after, me))}
    if "buyer" in senders:
        return "buyer_wrote"
    if "agent" in senders:
        return "colleague_replied"
    return None


_HELD_TEXT = {
    "closed": "the conversation was closed",
    "changed": "the conversation changed hands or state",
    "buyer_wrote": "the buyer wrote again",
    "colleague_replied": "a colleague replied",
}


def _hold(cur: sqlite3.Cursor, entry: outbox.OutboxEntry, reason: str, stamp: str) -> None:
    result = {"status": "conflict", "held": "local", "state": {"stale": reason}}
    cur.execute("UPDATE outbox SET status = 'conflict', error_code = 'held', last_error = ?, result = ?, "
                "next_attempt_at = NULL, updated_at = ? WHERE mutation_id = ?",
                (f"held: {_HELD_TEXT[reason]}", orjson.dumps(result).decode(), stamp, entry.mutation_id))


# ---- checks ------------------------------------------------------------------------------

def check_reply(text: Any) -> None:
    """Raise OutboxError when a reply cannot be sent as typed (the text itself is kept as it
    is: newlines, tabs, emoji, spaces)."""
    if not isinstance(text, str):
        raise OutboxError("a reply must be text")
    if "\x00" in text:
        raise OutboxError("the reply contains a NUL character")
    if not text.strip():
        raise OutboxError("the reply is empty")
    if len(text) > MAX_REPLY_CHARS:
        raise OutboxError(f"the reply is {len(text)} characters long; at most {MAX_REPLY_CHARS}")


def _conversation(cur: sqlite3.Cursor, conversation_id: Any) -> dict:
    if not isinstance(conversation_id, int) or isinstance(conversation_id, bool):
        raise OutboxError(f"not a conversation id: {conversation_id!r}")
    cols = ("id", "status", "version", "assigned_agent_no", "read_upto_message_id", "last_message_id")
    row = cur.execute(f"SELECT {', '.join(cols)} FROM conversations WHERE id = ?", (conversation_id,)).fetchone()
    if row is None:
        raise OutboxError(f"no conversation {conversation_id} in the cache")
    return dict(zip(cols, row))


def _newest_message_id(cur: sqlite3.Cursor, conversation_id: int) -> int:
    row = cur.execute("SELECT max(id) FROM messages WHERE conversation_id = ?", (conversation_id,)).fetchone()
    return row[0] or 0


def _changed(stream: str, entity_id: int, mutation_ids: set[str], initiator: object) -> ChangeSet:
    return ChangeSet.of(StreamChange(stream, upserted=frozenset({entity_id})), outbox=mutation_ids,
                        initiator=initiator)


def _txn(engine: Engine, what: str):
    return write_cursor(engine, what)


# ---- replies (writer jobs) --------------------------------------------------------------------

def send_reply(engine: Engine, conversation_id: int, text: str, *, agent_no: str,
               after_message_id: int | None = None, initiator: object = None,
               now: datetime | None = None) -> ChangeSet:
    """The agent's reply: queued at once (shown in `history` as queued), sent when the
    network allows. `after_message_id`: the newest message the agent had on screen (default:
    the newest cached); a reply the cache already shows to be stale is held at once."""
    check_reply(text)
    at = timefmt.to_db(now or timefmt.utc_now())
    with _txn(engine, "save the reply") as cur:
        conv = _conversation(cur, conversation_id)
        if conv["status"] != "open":
            raise OutboxError("the conversation is closed; reopen it first")
        after = _newest_message_id(cur, conversation_id) if after_message_id is None else after_message_id
        if not isinstance(after, int) or isinstance(after, bool) or after < 0:
            raise OutboxError(f"not a message id: {after!r}")
        mid = outbox.record_in(cur, REPLY, conversation_id, {"text": text, "after_message_id": after},
                               {"agent_no": agent_no, "at": at}, now=now)
        entry = outbox.rows(cur, "mutation_id = ?", (mid,))[0]
        reason = _stale_reason(cur, entry)
        if reason is not None:
            _hold(cur, entry, reason, at)
    return _changed("conversations", conversation_id, {mid}, initiator)


def confirm_reply(engine: Engine, mutation_id: str, *, text: str | None = None, initiator: object = None,
                  now: datetime | None = None) -> ChangeSet:
    """Send a held reply after all (optionally with edited text): it goes out as a NEW
    mutation, answering the newest cached message, after the conversation's other waiting
    writes; the agent's later waiting replies of the conversation stay behind it."""
    if text is not None:
        check_reply(text)
    at = timefmt.to_db(now or timefmt.utc_now())
    with _txn(engine, "confirm the reply") as cur:
        found = outbox.rows(cur, "mutation_id = ?", (mutation_id,))
        if not found or found[0].kind != REPLY.name:
            raise OutboxError(f"no reply {mutation_id} in the outbox")
        old = found[0]
        if old.status != "conflict":
            raise OutboxError("only a held reply can be confirmed")
        conv = _conversation(cur, old.entity_id)
        if conv["status"] != "open":
            raise OutboxError("the conversation is closed; reopen it first")
        later = outbox.rows(cur, "kind = ? AND entity_id = ? AND ordinal > ? AND status IN ('pending', 'conflict')",
                            (REPLY.name, old.entity_id, old.ordinal))
        cur.execute("DELETE FROM outbox WHERE mutation_id = ?", (mutation_id,))
        new_text = old.payload.get("text", "") if text is None else text
        local = {**(old.local_state or {}), "at": at}
        new_id = outbox.record_in(cur, REPLY, old.entity_id,
                                  {"text": new_text, "after_message_id": _newest_message_id(cur, old.entity_id)},
                                  local, now=now, mutation_id=str(uuid.uuid4()))
        for e in later:  # keep the agent's later replies after this one, in their order
            cur.execute("UPDATE outbox SET ordinal = (SELECT max(ordinal) + 1 FROM outbox) WHERE mutation_id = ?",
                        (e.mutation_id,))
        moved = {e.mutation_id for e in later} | {new_id}
        before = [w for w in outbox.rows(cur, "entity = ? AND entity_id = ? AND status IN "
                                         "('pending', 'inflight', 'conflict')", ("conversations", old.entity_id))
                  if w.mutation_id not in moved]
        if not before:  # nothing of the agent's goes first: based on the version cached now
            cur.execute("UPDATE outbox SET base_version = ? WHERE mutation_id = ?", (conv["version"], new_id))
    return _changed("conversations", old.entity_id, {mutation_id, new_id, *(e.mutation_id for e in later)},
                    initiator)


# ---- conversation actions (writer jobs) --------------------------------------------------------

def _act(engine: Engine, kind: Kind, conversation_id: int, payload: dict, what: str,
         check: Callable[[dict], dict], initiator: object) -> ChangeSet:
    with _txn(engine, what) as cur:
        local = check(_conversation(cur, conversation_id))
        mid = outbox.record_in(cur, kind, conversation_id, payload, local)
    return _changed("conversations", conversation_id, {mid}, initiator)


def _must_be_open(conv: dict) -> None:
    if conv["status"] != "open":
        raise OutboxError("the conversation is closed; reopen it first")


def claim(engine: Engine, conversation_id: int, *, agent_no: str, initiator: object = None) -> ChangeSet:
    """Take the conversation (assigned to the agent at once)."""
    def check(conv: dict) -> dict:
        _must_be_open(conv)
        if conv["assigned_agent_no"] == agent_no:
            raise OutboxError("this conversation is already yours")
        return {"assigned_agent_no": agent_no}
    return _act(engine, CLAIM, conversation_id, {}, "claim the conversation", check, initiator)


def transfer(engine: Engine, conversation_id: int, to_agent_no: str, note: str = "", *, agent_no: str,
             initiator: object = None) -> ChangeSet:
    """Hand the conversation to a colleague (an active one the cache knows), with a note."""
    if not isinstance(note, str) or "\x00" in note or len(note) > MAX_NOTE_CHARS:
        raise OutboxError(f"the note must be text of at most {MAX_NOTE_CHARS} characters without NUL")
    if not isinstance(to_agent_no, str) or not to_agent_no or to_agent_no == agent_no:
        raise OutboxError("choose a colleague to transfer the conversation to")

    def check(conv: dict) -> dict:
        _must_be_open(conv)
        return {"assigned_agent_no": to_agent_no, "transfer_note": note, "transferred_by": agent_no}

    with _txn(engine, "transfer the conversation") as cur:
        row = cur.execute("SELECT active FROM agents WHERE agent_no = ?", (to_agent_no,)).fetchone()
        if row is None or not row[0]:
            raise OutboxError(f"no active colleague {to_agent_no}")
        local = check(_conversation(cur, conversation_id))
        mid = outbox.record_in(cur, TRANSFER, conversation_id, {"to_agent_no": to_agent_no, "note": note}, local)
    return _changed("conversations", conversation_id, {mid}, initiator)


def close(engine: Engine, conversation_id: int, *, initiator: object = None,
          now: datetime | None = None) -> ChangeSet:
    at = timefmt.to_db(now or timefmt.utc_now())

    def check(conv: dict) -> dict:
        if conv["status"] == "closed":
            raise OutboxError("the conversation is already closed")
        return {"status": "closed", "closed_at": at}
    return _act(engine, CLOSE, conversation_id, {}, "close the conversation", check, initiator)


def reopen(engine: Engine, conversation_id: int, *, initiator: object = None) -> ChangeSet:
    def check(conv: dict) -> dict:
        if conv["status"] == "open":
            raise OutboxError("the conversation is already open")
        return {"status": "open", "closed_at": None}
    return _act(engine, REOPEN, conversation_id, {}, "reopen the conversation", check, initiator)


def mark_read(engine: Engine, conversation_id: int, upto_message_id: int, *,
              initiator: object = None) -> ChangeSet:
    """Move the team's read mark forward (never back: an older mark changes nothing). While
    offline, later marks of the conversation update the one waiting instead of piling up."""
    if not isinstance(upto_message_id, int) or isinstance(upto_message_id, bool) or upto_message_id < 0:
        raise OutboxError(f"not a message id: {upto_message_id!r}")
    with _txn(engine, "mark the conversation read") as cur:
        conv = _conversation(cur, conversation_id)
        if upto_message_id <= (conv["read_upto_message_id"] or 0):
            return ChangeSet()
        payload = {"upto_message_id": upto_message_id}
        local = {"read_upto_message_id": upto_message_id}
        waiting = outbox.rows(cur, "kind = ? AND entity_id = ? AND status = 'pending'", (READ.name, conversation_id))
        if waiting:
            mid = waiting[-1].mutation_id
            cur.execute("UPDATE outbox SET payload = ?, local_state = ? WHERE mutation_id = ?",
                        (orjson.dumps(payload).decode(), orjson.dumps(local).decode(), mid))
            outbox.recompute(cur, READ, conversation_id)
        else:
            mid = outbox.record_in(cur, READ, conversation_id, payload, local)
    return _changed("conversations", conversation_id, {mid}, initiator)


def set_status(engine: Engine, agent_id: int, status: str, *, initiator: object = None) -> ChangeSet:
    """The agent's own status: receiving (接待) / paused (挂起) / offline."""
    if status not in AGENT_STATUSES:
        raise OutboxError(f"unknown status {status!r}; expected one of {', '.join(AGENT_STATUSES)}")
    with _txn(engine, "change the agent's status") as cur:
        row = cur.execute("SELECT status FROM agents WHERE id = ?", (agent_id,)).fetchone()
        if row is None:
            raise OutboxError(f"no agent {agent_id} in the cache")
        mid = outbox.record_in(cur, AGENT_STATUS, agent_id, {"status": status}, {"status": status})
    return _changed("agents", agent_id, {mid}, initiator)
