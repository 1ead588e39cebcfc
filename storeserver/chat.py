"""Conversations with buyers: the domain writes (docs/PROTOCOL.md, "Conversations").

Every function here runs INSIDE the caller's write transaction (`db.write_txn`, or the
mutation batch's) and stamps seq only through `ops.reserve_seq`, which also takes the
shop's row lock: writers of a shop run one at a time, so the assignment counts below cannot
race. A conversation's derived fields (`waiting_since`, `unread`, `last_message_*`) change
in the same statement sequence as the message that moves them.

Assignment is round robin among the agents free to take a conversation (receiving, active,
seen in the last 90 s, fewer open conversations than their capacity): the one with the
fewest open conversations, then the one assigned longest ago (`agents.last_assigned_seq`,
the shop seq of its last assignment), then the lowest id. Deterministic, and a newly
arrived agent does not take every conversation while the others sit idle.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Connection, and_, bindparam, func, insert, or_, select, update

from . import answering, notify
from .models import Agent, AutoReply, Buyer, Conversation, Message, Product, ShopSettings
from .ops import NotFound, reserve_seq
from .streams import FIELDS

_convs, _msgs, _agents = Conversation.__table__, Message.__table__, Agent.__table__
_buyers, _products, _settings = Buyer.__table__, Product.__table__, ShopSettings.__table__

SEEN_WITHIN = timedelta(seconds=90)   # an agent this recently active can be assigned
PREVIEW_CHARS = 60
MAX_TEXT_CHARS = 2000
MAX_NOTE_CHARS = 200
STALE_MESSAGES = 20                   # newer messages sent back with a stale reply


class ClientIdReused(ValueError):
    """A relay client id already names another buyer's or another text's message."""


class Refused(Exception):
    """A write the domain refuses: `code` as in docs/PROTOCOL.md (unknown_agent, closed, ...)."""

    def __init__(self, code: str, reason: str):
        super().__init__(reason)
        self.code, self.reason = code, reason


# ---- entities ----------------------------------------------------------------------------

def wire_time(value: datetime | None) -> str | None:
    return None if value is None else value.strftime("%Y-%m-%dT%H:%M:%SZ")


def _entity(row: Any, stream: str, *, wire: bool) -> dict:
    item = {f: getattr(row, f) for f in FIELDS[stream]}
    if wire:  # JSON-ready (mutation answers are stored as JSON)
        item = {k: wire_time(v) if isinstance(v, datetime) else v for k, v in item.items()}
    return item


def conversation_entity(row: Any, *, wire: bool = True) -> dict:
    return _entity(row, "conversations", wire=wire)


def message_entity(row: Any, *, wire: bool = True) -> dict:
    return _entity(row, "messages", wire=wire)


def agent_entity(row: Any, *, wire: bool = True) -> dict:
    return _entity(row, "agents", wire=wire)


def conversation(conn: Connection, shop_id: int, conversation_id: int, *, lock: bool = True):
    q = select(_convs).where(_convs.c.id == conversation_id, _convs.c.shop_id == shop_id)
    row = conn.execute(q.with_for_update() if lock else q).one_or_none()
    if row is None:
        raise NotFound(f"conversation {conversation_id}")
    return row


def _message(conn: Connection, message_id: int):
    return conn.execute(select(_msgs).where(_msgs.c.id == message_id)).one()


# ---- messages ------------------------------------------------------------------------------

def _append(conn: Connection, shop_id: int, conv: Any, *, sender: str, text: str,
            agent_no: str | None, client_id: str | None, now: datetime,
            extra: dict | None = None) -> tuple[int, int]:
    """Insert a message and move its conversation along (two new seqs: the message's, then
    the conversation's). Returns (message id, message seq). The live event names the buyer,
    so the buyer's relay wait wakes (storeserver.notify)."""
    first = reserve_seq(conn, shop_id, 2)
    notify.publish(conn, shop_id, buyer_id=conv.buyer_id)
    message_id = conn.execute(insert(_msgs).values(
        shop_id=shop_id, seq=first, conversation_id=conv.id, sender=sender, agent_no=agent_no,
        text=text, created_at=now, client_id=client_id).returning(_msgs.c.id)).scalar_one()
    values: dict[str, Any] = {"seq": first + 1, "last_message_id": message_id, "last_message_at": now,
                              "last_message_sender": sender, "last_message_preview": text[:PREVIEW_CHARS]}
    if sender == "auto":
        # The shop's greeting is not news: the queue keeps showing the buyer's question.
        values = {"seq": first + 1}
    elif sender == "buyer":
        values["waiting_since"] = conv.waiting_since or now
        values["unread"] = _convs.c.unread + 1
    elif sender == "agent":
        # Answering is reading: the shop has seen everything up to its own reply.
        values |= {"waiting_since": None, "unread": 0, "read_upto_message_id": message_id}
    conn.execute(update(_convs).where(_convs.c.id == conv.id).values(**values, **(extra or {})))
    return message_id, first


def add_message(conn: Connection, shop_id: int, conv_id: int, *, sender: str, text: str,
                agent_no: str | None, now: datetime, client_id: str | None = None) -> int:
    """A message as is (the auto-reply, demo history, tools); returns its id."""
    conv = conversation(conn, shop_id, conv_id)
    return _append(conn, shop_id, conv, sender=sender, text=text, agent_no=agent_no,
                   client_id=client_id, now=now)[0]


@dataclass(frozen=True)
class BuyerMessage:
    message: dict          # the message entity (naive datetimes)
    conversation_id: int
    duplicate: bool


def buyer_message(conn: Connection, shop_id: int, buyer_id: int, text: str, *, client_id: str,
                  product_id: int | None, now: datetime, auto_reply: bool = True) -> BuyerMessage:
    """A buyer's message from the relay: into the buyer's open conversation, or a new one
    (assigned round robin, else unassigned), followed by the shop's auto-reply when it is
    the buyer's first of the China-time day (`auto_reply=False` leaves it out: the demo's
    later messages). Idempotent by `client_id` (a duplicate adds nothing). Raises NotFound
    (buyer, product) and ClientIdReused.

    The relay's hot path, so few statements: the shop lock, ONE read of everything the post
    depends on (`_POST_CONTEXT`), the free agent when the conversation needs one, then ONE
    reservation of every number the post writes (the message, the auto-reply, the
    conversation: consecutive, in that order) and the writes themselves (both messages in
    one INSERT); the answer is built from what was written, not read back."""
    reserve_seq(conn, shop_id, 0)  # the shop lock first: two copies of one message queue here
    day = answering.china_day(now)
    ctx = conn.execute(_POST_CONTEXT, {"p_shop": shop_id, "p_buyer": buyer_id, "p_day": day,
                                       "p_client_id": client_id, "p_product": product_id}).one_or_none()
    if ctx is None or ctx.known_id is not None:
        known = _known_message(conn, shop_id, buyer_id, client_id, text)
        if known is not None:
            return known
    if ctx is None:
        raise NotFound(f"buyer {buyer_id}")
    if product_id is not None and ctx.product_ok is None:
        raise NotFound(f"product {product_id}")
    auto_text = None
    if auto_reply and answering.auto_reply_due(ctx.auto_reply_enabled, ctx.auto_reply_text, ctx.sent_today):
        auto_text = answering.fill_auto_reply(ctx.auto_reply_text, shop_name=ctx.shop_name, buyer_nick=ctx.nick)
    agent = None
    if ctx.conv_id is None or ctx.assigned_agent_no is None:
        agent = free_agent(conn, shop_id, now)
    n = 2 if auto_text is None else 3
    first = reserve_seq(conn, shop_id, n)
    conv_seq = first + n - 1
    notify.publish(conn, shop_id, buyer_id=buyer_id)
    values: dict[str, Any] = {"seq": conv_seq, "last_message_at": now, "last_message_sender": "buyer",
                              "last_message_preview": text[:PREVIEW_CHARS],
                              "waiting_since": ctx.waiting_since or now}
    if product_id is not None:
        values["product_id"] = product_id
    conv_id = ctx.conv_id
    if conv_id is None:
        conv_id = conn.execute(insert(_convs).values(
            shop_id=shop_id, buyer_id=buyer_id, buyer_nick=ctx.nick, status="open",
            assigned_agent_no=agent.agent_no if agent else None, version=1, created_at=now,
            unread=1, read_upto_message_id=0, **values).returning(_convs.c.id)).scalar_one()
    rows = [{"shop_id": shop_id, "seq": first, "conversation_id": conv_id, "sender": "buyer", "agent_no": None,
             "text": text, "created_at": now, "client_id": client_id}]
    if auto_text is not None:
        # Right after the buyer's message: the next id and seq. It is not news (the
        # conversation's last_message_* stay the buyer's) and not unread.
        rows.append({**rows[0], "seq": first + 1, "sender": "auto", "text": auto_text, "client_id": None})
    ids = sorted(conn.execute(insert(_msgs).values(rows).returning(_msgs.c.id)).scalars())
    message_id = ids[0]
    if ctx.conv_id is None:
        conn.execute(update(_convs).where(_convs.c.id == conv_id).values(last_message_id=message_id))
    else:
        if agent is not None:  # waiting unassigned until now: an agent has room again
            values |= {"assigned_agent_no": agent.agent_no, "version": ctx.version + 1}
        conn.execute(update(_convs).where(_convs.c.id == conv_id).values(
            **values, last_message_id=message_id, unread=_convs.c.unread + 1))
    if agent is not None:
        _stamp_agent(conn, shop_id, agent.agent_no, conv_seq)
    if auto_text is not None:
        answering.record_auto_reply(conn, shop_id, buyer_id, day, now, ids[1], older=ctx.older_days)
    sent = {**rows[0], "id": message_id}
    return BuyerMessage({f: sent[f] for f in FIELDS["messages"]}, conv_id, False)


def _post_context_query():
    """One row (none for a buyer not of this shop): the buyer's nick; the buyer's open
    conversation (its id, assignee, version, waiting_since; NULL when none); the shop's
    auto-reply settings; whether the buyer had the auto-reply on `p_day` and has rows of
    earlier days; the id of a message already sent with `p_client_id`; whether
    `p_product` (NULL: none given) is the shop's. Built once: the relay's every post runs it."""
    auto = AutoReply.__table__
    shop, buyer, day = bindparam("p_shop"), bindparam("p_buyer"), bindparam("p_day")
    known = (select(_msgs.c.id).where(_msgs.c.shop_id == shop, _msgs.c.client_id == bindparam("p_client_id"))
             .scalar_subquery())
    mine = (auto.c.shop_id == shop, auto.c.buyer_id == buyer)
    sent_today = select(auto.c.day).where(*mine, auto.c.day == day).exists()
    older_days = select(auto.c.day).where(*mine, auto.c.day < day).exists()
    product = (select(_products.c.id).where(_products.c.id == bindparam("p_product"), _products.c.shop_id == shop)
               .scalar_subquery())
    return (select(_buyers.c.nick, _convs.c.id.label("conv_id"), _convs.c.assigned_agent_no, _convs.c.version,
                   _convs.c.waiting_since, _settings.c.auto_reply_enabled, _settings.c.auto_reply_text,
                   _settings.c.shop_name, sent_today.label("sent_today"), older_days.label("older_days"),
                   known.label("known_id"), product.label("product_ok"))
            .select_from(_buyers)
            .outerjoin(_convs, and_(_convs.c.shop_id == shop, _convs.c.buyer_id == _buyers.c.id,
                                    _convs.c.status == "open"))
            .outerjoin(_settings, and_(_settings.c.id == shop, _settings.c.shop_id == shop))
            .where(_buyers.c.id == buyer, _buyers.c.shop_id == shop))


_POST_CONTEXT = _post_context_query()


def _known_message(conn: Connection, shop_id: int, buyer_id: int, client_id: str, text: str) -> BuyerMessage | None:
    """The message already sent with `client_id` (a repeat of this post), None when there is
    none; ClientIdReused when it was another buyer's or another text."""
    known = conn.execute(select(_msgs, _convs.c.buyer_id).join(_convs, _convs.c.id == _msgs.c.conversation_id)
                         .where(_msgs.c.shop_id == shop_id, _msgs.c.client_id == client_id)).one_or_none()
    if known is None:
        return None
    if known.sender != "buyer" or known.buyer_id != buyer_id or known.text != text:
        raise ClientIdReused("this client_id was used before for another message")
    return BuyerMessage(message_entity(known, wire=False), known.conversation_id, True)


def _stamp_assignment(conn: Connection, shop_id: int, conv_id: int) -> None:
    """Record on the assignee when it got this conversation (round robin's 'longest ago')."""
    row = conn.execute(select(_convs.c.assigned_agent_no, _convs.c.seq).where(_convs.c.id == conv_id)).one()
    if row.assigned_agent_no is not None:
        _stamp_agent(conn, shop_id, row.assigned_agent_no, row.seq)


def _stamp_agent(conn: Connection, shop_id: int, agent_no: str, seq: int) -> None:
    conn.execute(update(_agents).where(_agents.c.shop_id == shop_id, _agents.c.agent_no == agent_no,
                                       _agents.c.last_assigned_seq < seq)
                 .values(last_assigned_seq=seq))


# ---- assignment ----------------------------------------------------------------------------

def _open_count(shop_id: int):
    return (select(func.count()).select_from(_convs)
            .where(_convs.c.shop_id == shop_id, _convs.c.status == "open",
                   _convs.c.assigned_agent_no == _agents.c.agent_no)
            .correlate(_agents).scalar_subquery())


def _free_agent_query():
    n_open = _open_count(bindparam("p_shop"))
    return (select(_agents.c.id, _agents.c.agent_no, n_open.label("n_open"))
            .where(_agents.c.shop_id == bindparam("p_shop"), _agents.c.active.is_(True),
                   _agents.c.status == "receiving", _agents.c.last_seen_at >= bindparam("p_seen_since"),
                   n_open < _agents.c.capacity)
            .order_by(n_open, _agents.c.last_assigned_seq, _agents.c.id).limit(1))


_FREE_AGENT = _free_agent_query()  # built once: every new conversation runs it


def free_agent(conn: Connection, shop_id: int, now: datetime):
    """The agent the next conversation goes to, or None (see the module doc)."""
    return conn.execute(_FREE_AGENT, {"p_shop": shop_id, "p_seen_since": now - SEEN_WITHIN}).one_or_none()


def open_assigned(conn: Connection, shop_id: int, agent_no: str) -> int:
    return conn.execute(select(func.count()).select_from(_convs).where(
        _convs.c.shop_id == shop_id, _convs.c.status == "open",
        _convs.c.assigned_agent_no == agent_no)).scalar_one()


def pick_up(conn: Connection, shop_id: int, agent: Any) -> list[int]:
    """An agent switching to receiving takes the longest-waiting unassigned open
    conversations, up to its capacity. Returns their ids (each got a new seq and version)."""
    free = agent.capacity - open_assigned(conn, shop_id, agent.agent_no)
    if free <= 0:
        return []
    rows = conn.execute(select(_convs.c.id, _convs.c.version).where(
        _convs.c.shop_id == shop_id, _convs.c.status == "open", _convs.c.assigned_agent_no.is_(None))
        .order_by(_convs.c.waiting_since.asc().nulls_last(), _convs.c.id).limit(free)
        .with_for_update()).all()
    for row in rows:
        conn.execute(update(_convs).where(_convs.c.id == row.id).values(
            assigned_agent_no=agent.agent_no, version=row.version + 1, seq=reserve_seq(conn, shop_id)))
        _stamp_assignment(conn, shop_id, row.id)
    return [r.id for r in rows]


# ---- agent writes ----------------------------------------------------------------------------

def _answer(status: str, conv: Any, **extra: Any) -> dict:
    return {"status": status, "version": conv.version, **extra}


def _applied(conn: Connection, conv_id: int, shop_id: int) -> dict:
    row = conversation(conn, shop_id, conv_id, lock=False)
    return _answer("applied", row, seq=row.seq, state=conversation_entity(row))


def _conflict(conv: Any) -> dict:
    return _answer("conflict", conv, state=conversation_entity(conv))


def reply(conn: Connection, shop_id: int, conv_id: int, *, agent_no: str, text: str,
          after_message_id: int, base_version: int, mutation_id: str, now: datetime) -> dict:
    """`message.reply`: never sent over something the agent has not seen (stale → conflict,
    nothing written); the caller's own newer replies do not make it stale."""
    conv = conversation(conn, shop_id, conv_id)
    stale = _staleness(conn, conv, agent_no=agent_no, after=after_message_id, base_version=base_version)
    if stale is not None:
        return _answer("conflict", conv, state={
            "stale": stale, "conversation": conversation_entity(conv),
            "messages": newer_messages(conn, conv.id, after_message_id)})
    message_id, seq = _append(conn, shop_id, conv, sender="agent", text=text, agent_no=agent_no,
                              client_id=mutation_id, now=now)
    return _answer("applied", conv, seq=seq, state=message_entity(_message(conn, message_id)))


def _staleness(conn: Connection, conv: Any, *, agent_no: str, after: int, base_version: int) -> str | None:
    if conv.status == "closed":
        return "closed"
    if conv.version != base_version:
        return "changed"
    senders = set(conn.execute(select(_msgs.c.sender).distinct().where(
        _msgs.c.conversation_id == conv.id, _msgs.c.id > after,
        or_(_msgs.c.sender == "buyer",
            and_(_msgs.c.sender == "agent", _msgs.c.agent_no != agent_no)))).scalars())
    if "buyer" in senders:
        return "buyer_wrote"
    if "agent" in senders:
        return "colleague_replied"
    return None


def newer_messages(conn: Connection, conv_id: int, after: int) -> list[dict]:
    """The newest STALE_MESSAGES messages after `after`, oldest first."""
    rows = conn.execute(select(_msgs).where(_msgs.c.conversation_id == conv_id, _msgs.c.id > after)
                        .order_by(_msgs.c.id.desc()).limit(STALE_MESSAGES)).all()
    return [message_entity(r) for r in reversed(rows)]


def claim(conn: Connection, shop_id: int, conv_id: int, *, agent_no: str, base_version: int) -> dict:
    conv = conversation(conn, shop_id, conv_id)
    if conv.version != base_version:
        return _conflict(conv)
    if conv.status == "closed":
        raise Refused("closed", "the conversation is closed; reopen it first")
    if conv.assigned_agent_no != agent_no:
        conn.execute(update(_convs).where(_convs.c.id == conv.id).values(
            assigned_agent_no=agent_no, version=conv.version + 1, seq=reserve_seq(conn, shop_id)))
        _stamp_assignment(conn, shop_id, conv.id)
    return _applied(conn, conv.id, shop_id)


def transfer(conn: Connection, shop_id: int, conv_id: int, *, agent_no: str, base_version: int,
             to_agent_no: str, note: str, now: datetime) -> dict:
    """Assign to a colleague, with the note on the conversation and a `system` message."""
    conv = conversation(conn, shop_id, conv_id)
    if conv.version != base_version:
        return _conflict(conv)
    if conv.status == "closed":
        raise Refused("closed", "the conversation is closed; reopen it first")
    target = conn.execute(select(_agents.c.id).where(
        _agents.c.shop_id == shop_id, _agents.c.agent_no == to_agent_no, _agents.c.active.is_(True))).first()
    if target is None:
        raise Refused("unknown_agent", "no active agent of this shop has that number")
    text = f"转接给 {to_agent_no}：{note}" if note else f"转接给 {to_agent_no}"
    _append(conn, shop_id, conv, sender="system", text=text, agent_no=agent_no, client_id=None, now=now,
            extra={"assigned_agent_no": to_agent_no, "transfer_note": note, "transferred_by": agent_no,
                   "version": conv.version + 1})
    _stamp_assignment(conn, shop_id, conv.id)
    return _applied(conn, conv.id, shop_id)


def close(conn: Connection, shop_id: int, conv_id: int, *, base_version: int, now: datetime) -> dict:
    conv = conversation(conn, shop_id, conv_id)
    if conv.version != base_version:
        return _conflict(conv)
    if conv.status == "open":
        conn.execute(update(_convs).where(_convs.c.id == conv.id).values(
            status="closed", closed_at=now, version=conv.version + 1, seq=reserve_seq(conn, shop_id)))
    return _applied(conn, conv.id, shop_id)


def reopen(conn: Connection, shop_id: int, conv_id: int, *, base_version: int) -> dict:
    conv = conversation(conn, shop_id, conv_id)
    if conv.version != base_version:
        return _conflict(conv)
    if conv.status == "closed":
        other = conn.execute(select(_convs.c.id).where(
            _convs.c.shop_id == shop_id, _convs.c.buyer_id == conv.buyer_id, _convs.c.status == "open")).first()
        if other is not None:
            raise Refused("another_open", f"the buyer's conversation {other.id} is open; continue there")
        conn.execute(update(_convs).where(_convs.c.id == conv.id).values(
            status="open", closed_at=None, version=conv.version + 1, seq=reserve_seq(conn, shop_id)))
    return _applied(conn, conv.id, shop_id)


def mark_read(conn: Connection, shop_id: int, conv_id: int, *, upto_message_id: int) -> dict:
    """The shared read mark moves forward only (never past the last message)."""
    conv = conversation(conn, shop_id, conv_id)
    upto = min(max(conv.read_upto_message_id, upto_message_id), conv.last_message_id or 0)
    if upto > conv.read_upto_message_id:
        unread = conn.execute(select(func.count()).select_from(_msgs).where(
            _msgs.c.conversation_id == conv.id, _msgs.c.sender == "buyer", _msgs.c.id > upto)).scalar_one()
        conn.execute(update(_convs).where(_convs.c.id == conv.id).values(
            read_upto_message_id=upto, unread=unread, seq=reserve_seq(conn, shop_id)))
    return _applied(conn, conv.id, shop_id)


def set_status(conn: Connection, shop_id: int, agent_id: int, status: str) -> dict:
    """`agent.status`; switching to receiving also picks up waiting unassigned conversations."""
    agent = conn.execute(select(_agents).where(_agents.c.id == agent_id, _agents.c.shop_id == shop_id)
                         .with_for_update()).one_or_none()
    if agent is None:
        raise NotFound(f"agent {agent_id}")
    if agent.status != status:
        conn.execute(update(_agents).where(_agents.c.id == agent_id).values(
            status=status, seq=reserve_seq(conn, shop_id)))
    if status == "receiving":
        pick_up(conn, shop_id, agent)
    row = conn.execute(select(_agents).where(_agents.c.id == agent_id)).one()
    return {"status": "applied", "version": row.seq, "seq": row.seq, "state": agent_entity(row)}


def mark_seen(conn: Connection, agent_id: int, now: datetime) -> None:
    """An authenticated request from the agent (bookkeeping: no seq, not on the wire)."""
    conn.execute(update(_agents).where(_agents.c.id == agent_id).values(last_seen_at=now))


def buyer_messages(conn: Connection, shop_id: int, buyer_id: int, after: int, limit: int) -> list[dict]:
    """The buyer's messages (all their conversations) with id > after, oldest first."""
    rows = conn.execute(select(*(_msgs.c[f] for f in FIELDS["messages"]))
                        .join(_convs, _convs.c.id == _msgs.c.conversation_id)
                        .where(_convs.c.shop_id == shop_id, _convs.c.buyer_id == buyer_id, _msgs.c.id > after)
                        .order_by(_msgs.c.id).limit(limit)).all()
    return [dict(zip(FIELDS["messages"], r)) for r in rows]
