"""The buyer beside the chat: who they are (returning or first order, member or VIP, how many
orders and refunds) and the notes colleagues keep about them (stream `buyer_notes`, cache
schema 0007; docs/PROTOCOL.md "Answering fast").

Reads run on any thread; each figure is one indexed query (`orders(buyer_id)` and, for the
refunds, `orders(buyer_id, status)` of migration 0008), so a profile costs the same at a
million orders as at a hundred, also for a buyer with thousands of orders.

A note is an append-only create like a chat reply: `add_note` writes only an outbox row
(kind `buyer.note`); `notes()` shows it above the synced ones (newest first) as
"queued" / "sending" / "failed" until the server's note, whose `client_id` is the write's
mutation id, arrives — never twice.
"""
from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Engine

from workstation.models import outbox, timefmt
from workstation.models.changes import ChangeSet
from workstation.models.db import read_with as _read, write_cursor
from workstation.models.schema import ORDER_STATUS
from workstation.models.outbox import Kind, OutboxError

MAX_NOTE_CHARS = 500
MEMBER_LEVELS = ("normal", "member", "vip")
REFUND_STATUSES = ("refunding", "refunded")


def _note_answer_state(_status: str, _state: dict) -> dict | None:
    return None  # the answer carries the new note, not the buyer: nothing of the buyer to learn


# A pure create: the buyer's row is not patched (and need not be cached yet); one note of a
# buyer is sent at a time, in the order written (the outbox's per-entity rule).
NOTE = Kind("buyer.note", "buyers", (), "seq", answer_state=_note_answer_state, conflict_holds=False)
outbox.register(NOTE)


@dataclass(frozen=True)
class BuyerProfile:
    """Times are aware UTC datetimes."""

    buyer_id: int
    nick: str
    name: str
    member_level: str              # "normal" | "member" | "vip" ("normal" while the buyer is not cached)
    first_order_at: datetime | None  # the server's figure, else the oldest cached order
    orders: int                    # cached orders of the buyer
    refunds: int                   # of them refunding or refunded
    last_order_at: datetime | None
    returning: bool                # more than one order
    first_order: bool              # exactly one order, or none yet
    known: bool = True             # the buyer's own row is cached (else only their orders are)


@dataclass(frozen=True)
class BuyerNote:
    note_id: int | None            # None: not on the server yet
    mutation_id: str | None        # the write's id (= the server note's client_id)
    text: str
    agent_no: str
    at: datetime                   # aware UTC
    status: str                    # "synced" | "queued" | "sending" | "failed"
    error: str | None = None       # failed: the server's reason


def _buyer_id(value: Any) -> int:
    if not isinstance(value, int) or isinstance(value, bool) or value < 1:
        raise OutboxError(f"not a buyer id: {value!r}")
    return value


# ---- the profile ------------------------------------------------------------------------------

def _profile(cur: sqlite3.Cursor, buyer_id: int) -> BuyerProfile | None:
    buyer = cur.execute("SELECT nick, name, member_level, first_order_at FROM buyers WHERE id = ?",
                        (buyer_id,)).fetchone()
    (orders,) = cur.execute("SELECT count(*) FROM orders WHERE buyer_id = ?", (buyer_id,)).fetchone()
    (refunds,) = cur.execute(
        f"SELECT count(*) FROM orders WHERE buyer_id = ? AND status IN ({', '.join('?' * len(REFUND_STATUSES))})",
        (buyer_id, *(ORDER_STATUS[s] for s in REFUND_STATUSES))).fetchone()
    # Order ids follow created_at: the first and the last by id are the min and max over the
    # buyer's entries of ix_orders_buyer_status (covering), then one row each.
    oldest = cur.execute("SELECT created_at, buyer_nick FROM orders WHERE id = "
                         "(SELECT min(id) FROM orders WHERE buyer_id = ?)", (buyer_id,)).fetchone()
    newest = cur.execute("SELECT created_at FROM orders WHERE id = (SELECT max(id) FROM orders WHERE buyer_id = ?)",
                         (buyer_id,)).fetchone()
    if buyer is None and oldest is None:
        return None
    nick, name, level, first_at = buyer if buyer is not None else (oldest[1], "", "normal", None)
    first = timefmt.from_db(first_at) or (timefmt.from_db(oldest[0]) if oldest else None)
    return BuyerProfile(buyer_id=buyer_id, nick=nick or "", name=name or "",
                        member_level=level if level in MEMBER_LEVELS else "normal", first_order_at=first,
                        orders=orders, refunds=refunds, last_order_at=timefmt.from_db(newest[0]) if newest else None,
                        returning=orders > 1, first_order=orders <= 1, known=buyer is not None)


def profile(engine: Engine, buyer_id: int) -> BuyerProfile | None:
    """Who the buyer is, from the cache; None when neither the buyer nor an order of theirs
    is cached."""
    return _read(engine, lambda cur: _profile(cur, buyer_id))


# ---- notes --------------------------------------------------------------------------------------

_NOTE_STATUS = {"pending": "queued", "inflight": "sending", "conflict": "failed", "rejected": "failed"}


def _notes(cur: sqlite3.Cursor, buyer_id: int) -> list[BuyerNote]:
    synced: dict[int, BuyerNote] = {}
    seen: set[str] = set()
    for nid, text, agent_no, at, client_id in cur.execute(
            "SELECT id, text, agent_no, created_at, client_id FROM buyer_notes WHERE buyer_id = ? "
            "ORDER BY id DESC", (buyer_id,)):
        synced[nid] = BuyerNote(nid, client_id, text, agent_no, timefmt.from_db(at), "synced")
        if client_id:
            seen.add(client_id)
    unsent: list[BuyerNote] = []
    for e in outbox.rows(cur, "kind = ? AND entity_id = ?", (NOTE.name, buyer_id)):
        if e.mutation_id in seen:
            continue  # the server's note is here: it replaces the queued copy
        local = e.local_state or {}
        text = str(e.payload.get("text", ""))
        at = timefmt.from_db(local.get("at")) or e.created_at
        if e.status == "done":
            note = (e.result or {}).get("state") or {}
            nid = note.get("id")
            if isinstance(nid, int) and nid not in synced:  # applied, not pulled yet
                synced[nid] = BuyerNote(nid, e.mutation_id, str(note.get("text", text)),
                                        str(note.get("agent_no") or local.get("agent_no") or ""),
                                        timefmt.from_db(note.get("created_at")) or at, "synced")
            continue
        status = _NOTE_STATUS[e.status]
        unsent.append(BuyerNote(None, e.mutation_id, text, str(local.get("agent_no") or ""), at, status,
                                error=e.last_error if status == "failed" else None))
    unsent.reverse()  # newest first, like the synced ones
    return unsent + [synced[i] for i in sorted(synced, reverse=True)]


def notes(engine: Engine, buyer_id: int) -> list[BuyerNote]:
    """The buyer's notes, newest first: the agent's own not yet on the server first (queued,
    sending, failed), then the synced ones (everyone's)."""
    return _read(engine, lambda cur: _notes(cur, buyer_id))


def check_note(text: Any) -> None:
    """Raise OutboxError for a note the server would refuse (the text is kept as typed)."""
    if not isinstance(text, str):
        raise OutboxError("a note must be text")
    if "\x00" in text:
        raise OutboxError("the note contains a NUL character")
    if not text.strip():
        raise OutboxError("the note is empty")
    if len(text) > MAX_NOTE_CHARS:
        raise OutboxError(f"the note is {len(text)} characters long; at most {MAX_NOTE_CHARS}")


def add_note(engine: Engine, buyer_id: int, text: str, *, agent_no: str, initiator: object = None,
             now: datetime | None = None) -> ChangeSet:
    """A writer job: the agent's note about the buyer, queued at once (shown by `notes()`
    as queued) and sent when the network allows. Raises OutboxError, nothing saved, for a
    note the server would refuse."""
    buyer_id = _buyer_id(buyer_id)
    check_note(text)
    at = timefmt.to_db(now or timefmt.utc_now())
    with write_cursor(engine, "save the note") as cur:
        mid = outbox.record_in(cur, NOTE, buyer_id, {"text": text}, {"agent_no": agent_no, "at": at}, now=now)
    return ChangeSet.of(outbox={mid}, initiator=initiator)
