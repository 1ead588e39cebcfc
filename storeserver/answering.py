"""Answering fast: shop settings, quick phrases, buyer notes, the auto-reply
(docs/PROTOCOL.md, "Answering fast").

The writes here run INSIDE the caller's write transaction (a mutation batch, `db.write_txn`)
and stamp seq only through `ops.reserve_seq` (the shop's row lock, live events). The rules
on phrase and auto-reply text (`phrase_problem`, `auto_reply_problem`) are the protocol's and
are the same ones the mutation payloads check; the workstation checks the same before it
queues a write.
"""
from __future__ import annotations

import re
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import Connection, Engine, delete, insert, select, update

from .models import PHRASE_CATEGORIES, AutoReply, Buyer, BuyerNote, Phrase, ShopSettings, Tombstone
from .ops import NotFound, reserve_seq
from .streams import FIELDS

_settings, _phrases, _notes = ShopSettings.__table__, Phrase.__table__, BuyerNote.__table__
_auto, _buyers, _tombs = AutoReply.__table__, Buyer.__table__, Tombstone.__table__

CHINA_TZ = timedelta(hours=8)    # the auto-reply's "day" and the cut-off are China time
CATEGORIES = PHRASE_CATEGORIES
# The variables a phrase may hold (the workstation fills them from its cache).
VARIABLES = ("buyer_name", "buyer_nick", "order_no", "order_status", "carrier", "tracking_no",
             "receiver_address", "sku_stock", "shop_name", "agent_name", "cutoff_time")
AUTO_REPLY_VARIABLES = ("shop_name", "buyer_nick")  # what the server fills in an auto-reply
MAX_TITLE_CHARS, MAX_SHORTCUT_CHARS, MAX_PHRASE_CHARS = 40, 20, 500
MAX_AUTO_REPLY_CHARS, MAX_AUTO_REPLY_LINES = 300, 4
MAX_NOTE_CHARS = 500
DEFAULT_CUTOFF = "16:00"
SHORTCUT = re.compile(r"^[a-z0-9]*$")
CUTOFF = re.compile(r"^(?:[01]\d|2[0-3]):[0-5]\d$")
_VARIABLE = re.compile(r"\{([^{}]*)\}")  # a variable: braces around anything but braces


class Forbidden(Exception):
    """The caller's role may not do this (the mutation's `rejected forbidden`)."""


# ---- the text rules ------------------------------------------------------------------------

def variables_in(text: str) -> list[str]:
    """The names in braces, in order, once each (known or not)."""
    out: list[str] = []
    for name in _VARIABLE.findall(text):
        if name not in out:
            out.append(name)
    return out


def variables_problem(text: str, allowed: tuple[str, ...] = VARIABLES) -> str | None:
    unknown = [n for n in variables_in(text) if n not in allowed]
    if unknown:
        return (f"unknown variable {{{unknown[0][:20]}}}; variables: "
                + ", ".join(f"{{{n}}}" for n in allowed))
    return None


def line_count(text: str) -> int:
    """Lines as an agent sees them: newlines + 1 (CR LF counts once, a lone CR too)."""
    return len(text.replace("\r\n", "\n").replace("\r", "\n").split("\n"))


def phrase_problem(title: str, shortcut: str, text: str) -> tuple[str, str] | None:
    """(code, reason) when a phrase breaks the rules, else None."""
    if any("\x00" in s for s in (title, shortcut, text)):
        return "invalid_payload", "no NUL characters"
    if not title.strip() or not text.strip():
        return "invalid_payload", "a phrase needs a title and a text (not only spaces)"
    if len(title) > MAX_TITLE_CHARS or len(shortcut) > MAX_SHORTCUT_CHARS or len(text) > MAX_PHRASE_CHARS:
        return "too_long", (f"at most {MAX_TITLE_CHARS} characters of title, {MAX_SHORTCUT_CHARS} of "
                            f"shortcut and {MAX_PHRASE_CHARS} of text")
    if not SHORTCUT.match(shortcut):
        return "invalid_payload", "a shortcut is lowercase letters a-z and digits only"
    problem = variables_problem(text)
    return ("invalid_payload", problem) if problem else None


def auto_reply_problem(enabled: bool, text: str) -> tuple[str, str] | None:
    if "\x00" in text:
        return "invalid_payload", "no NUL characters"
    if len(text) > MAX_AUTO_REPLY_CHARS or line_count(text) > MAX_AUTO_REPLY_LINES:
        return "too_long", (f"an auto-reply is at most {MAX_AUTO_REPLY_LINES} lines and "
                            f"{MAX_AUTO_REPLY_CHARS} characters")
    if enabled and not text.strip():
        return "invalid_payload", "an enabled auto-reply needs a text"
    problem = variables_problem(text, AUTO_REPLY_VARIABLES)
    return ("invalid_payload", problem) if problem else None


def china_day(at: datetime) -> date:
    """The China-time (UTC+8) date of a naive UTC time."""
    return (at + CHINA_TZ).date()


# ---- entities ------------------------------------------------------------------------------

def _wire(row: Any, stream: str) -> dict:
    item = {f: getattr(row, f) for f in FIELDS[stream]}
    return {k: v.strftime("%Y-%m-%dT%H:%M:%SZ") if isinstance(v, datetime) else v for k, v in item.items()}


def _applied(row: Any, stream: str) -> dict:
    return {"status": "applied", "version": getattr(row, "version", 1), "seq": row.seq,
            "state": _wire(row, stream)}


# ---- shop settings -------------------------------------------------------------------------

def create_settings(conn: Connection, shop_id: int, shop_name: str, *, auto_reply_enabled: bool = False,
                    auto_reply_text: str = "", cutoff_time: str = DEFAULT_CUTOFF) -> None:
    """The shop's settings row (with the shop: ops.create_shop, the demo seed)."""
    conn.execute(insert(_settings).values(
        id=shop_id, shop_id=shop_id, seq=reserve_seq(conn, shop_id), version=1, shop_name=shop_name,
        auto_reply_enabled=auto_reply_enabled, auto_reply_text=auto_reply_text, cutoff_time=cutoff_time))


def settings(conn: Connection, shop_id: int, *, lock: bool = False):
    q = select(_settings).where(_settings.c.id == shop_id, _settings.c.shop_id == shop_id)
    return conn.execute(q.with_for_update() if lock else q).one_or_none()


def write_settings(conn: Connection, shop_id: int, entity_id: int, *, base_version: int, manager: bool,
                   agent_no: str, now: datetime, auto_reply_enabled: bool, auto_reply_text: str,
                   cutoff_time: str) -> dict:
    """`shop.settings` (the payload is checked by the caller)."""
    row = settings(conn, shop_id, lock=True) if entity_id == shop_id else None
    if row is None:
        raise NotFound(f"shop {entity_id}")
    if not manager:
        raise Forbidden("only a store manager changes the shop's settings")
    if base_version != row.version:
        return {"status": "conflict", "version": row.version, "state": _wire(row, "shop_settings")}
    conn.execute(update(_settings).where(_settings.c.id == shop_id).values(
        auto_reply_enabled=auto_reply_enabled, auto_reply_text=auto_reply_text, cutoff_time=cutoff_time,
        version=row.version + 1, updated_by=agent_no, updated_at=now, seq=reserve_seq(conn, shop_id)))
    return _applied(settings(conn, shop_id), "shop_settings")


def set_settings(engine: Engine, shop_id: int, **values: Any) -> int:
    """The back office changes the settings (any of auto_reply_enabled, auto_reply_text,
    cutoff_time), unchecked: version + 1, a new seq (returned)."""
    from .db import write_txn

    with write_txn(engine) as conn:
        seq = reserve_seq(conn, shop_id)
        done = conn.execute(update(_settings).where(_settings.c.id == shop_id).values(
            **values, version=_settings.c.version + 1, seq=seq)).rowcount
        if not done:
            raise NotFound(f"shop {shop_id}")
        return seq


# ---- phrases -------------------------------------------------------------------------------

def _phrase(conn: Connection, shop_id: int, phrase_id: int, agent_no: str):
    """The phrase as the caller may see it (another agent's personal phrase is not found)."""
    row = conn.execute(select(_phrases).where(_phrases.c.id == phrase_id, _phrases.c.shop_id == shop_id)
                       .with_for_update()).one_or_none()
    if row is None or row.owner_agent_no not in (None, agent_no):
        raise NotFound(f"phrase {phrase_id}")
    return row


def create_phrase(conn: Connection, shop_id: int, *, team: bool, manager: bool, agent_no: str,
                  category: str, title: str, shortcut: str, text: str, now: datetime) -> dict:
    if team and not manager:
        raise Forbidden("only a store manager adds the team's phrases")
    phrase_id = conn.execute(insert(_phrases).values(
        shop_id=shop_id, seq=reserve_seq(conn, shop_id), version=1, owner_agent_no=None if team else agent_no,
        category=category, title=title, shortcut=shortcut, text=text, updated_by=agent_no,
        updated_at=now).returning(_phrases.c.id)).scalar_one()
    return _applied(conn.execute(select(_phrases).where(_phrases.c.id == phrase_id)).one(), "phrases")


def update_phrase(conn: Connection, shop_id: int, phrase_id: int, *, base_version: int, manager: bool,
                  agent_no: str, category: str, title: str, shortcut: str, text: str, now: datetime) -> dict:
    row = _phrase(conn, shop_id, phrase_id, agent_no)
    if row.owner_agent_no is None and not manager:
        raise Forbidden("only a store manager edits the team's phrases")
    if base_version != row.version:
        return {"status": "conflict", "version": row.version, "state": _wire(row, "phrases")}
    conn.execute(update(_phrases).where(_phrases.c.id == phrase_id).values(
        category=category, title=title, shortcut=shortcut, text=text, version=row.version + 1,
        updated_by=agent_no, updated_at=now, seq=reserve_seq(conn, shop_id)))
    return _applied(conn.execute(select(_phrases).where(_phrases.c.id == phrase_id)).one(), "phrases")


def delete_phrase(conn: Connection, shop_id: int, phrase_id: int, *, base_version: int, manager: bool,
                  agent_no: str, now: datetime) -> dict:
    row = _phrase(conn, shop_id, phrase_id, agent_no)
    if row.owner_agent_no is None and not manager:
        raise Forbidden("only a store manager deletes the team's phrases")
    if base_version != row.version:
        return {"status": "conflict", "version": row.version, "state": _wire(row, "phrases")}
    seq = reserve_seq(conn, shop_id)
    conn.execute(delete(_phrases).where(_phrases.c.id == phrase_id))
    conn.execute(insert(_tombs).values(shop_id=shop_id, stream="phrases", entity_id=phrase_id, seq=seq,
                                       deleted_at=now))
    return {"status": "applied", "version": row.version, "seq": seq, "state": {}}


# ---- buyer notes ---------------------------------------------------------------------------

def add_note(conn: Connection, shop_id: int, buyer_id: int, *, text: str, agent_no: str, now: datetime,
             client_id: str | None) -> dict:
    if conn.execute(select(_buyers.c.id).where(_buyers.c.id == buyer_id,
                                               _buyers.c.shop_id == shop_id)).first() is None:
        raise NotFound(f"buyer {buyer_id}")
    note_id = conn.execute(insert(_notes).values(
        shop_id=shop_id, seq=reserve_seq(conn, shop_id), buyer_id=buyer_id, text=text, agent_no=agent_no,
        created_at=now, client_id=client_id).returning(_notes.c.id)).scalar_one()
    return _applied(conn.execute(select(_notes).where(_notes.c.id == note_id)).one(), "buyer_notes")


# ---- the auto-reply ------------------------------------------------------------------------

def auto_reply_due(enabled: bool, text: str | None, sent_today: bool) -> bool:
    """Whether a buyer's message now gets the auto-reply: enabled, a text that is not blank,
    and none sent to this buyer on this China-time day (`auto_replies` has the day's row).
    The caller (chat.buyer_message) reads all three in one statement under the shop's lock,
    so two posts of one buyer, also through two server processes, cannot both find it due."""
    return bool(enabled and (text or "").strip() and not sent_today)


def fill_auto_reply(text: str, *, shop_name: str, buyer_nick: str) -> str:
    values = {"shop_name": shop_name, "buyer_nick": buyer_nick}
    return _VARIABLE.sub(lambda m: values.get(m[1], m[0]), text)


def record_auto_reply(conn: Connection, shop_id: int, buyer_id: int, day: date, now: datetime,
                      message_id: int, *, older: bool) -> None:
    """The auto-reply `message_id` was sent on the China-time `day`: its `(shop, buyer, day)`
    row (INSERT … ON CONFLICT DO NOTHING: the primary key is the last word on "once a day").
    `older`: the buyer has rows of earlier days, which are of no more use and go (the table
    keeps one row per buyer at most)."""
    if conn.dialect.name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert as upsert
    else:
        from sqlalchemy.dialects.sqlite import insert as upsert
    conn.execute(upsert(_auto).values(shop_id=shop_id, buyer_id=buyer_id, day=day, created_at=now,
                                      message_id=message_id).on_conflict_do_nothing())
    if older:
        conn.execute(delete(_auto).where(_auto.c.shop_id == shop_id, _auto.c.buyer_id == buyer_id,
                                         _auto.c.day < day))
